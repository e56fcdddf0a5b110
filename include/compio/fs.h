/* SPDX-License-Identifier: MIT */
/*
 * compio/fs.h - files, paths, directories, pipes and the process's own
 * stdio, as calls made from tasks that read like blocking code:
 *
 *     static int main_task(void *arg) {
 *         char buf[4096];
 *         cio_file *f;
 *         int r = cio_file_open(&f, "README.md", CIO_O_RDONLY, 0);
 *         if (r < 0)
 *             return r;
 *         int64_t n = cio_file_read_at(f, buf, sizeof buf, 0);
 *         cio_file_close(f);
 *         ...
 *     }
 *     int main(void) { return cio_block_on(NULL, main_task, NULL); }
 *
 * Each call is one op (or a few) awaited on the current runtime, so it
 * runs on whatever the loaded backend does best: io_uring does file IO
 * and path operations in the kernel; epoll sends them to the blocking
 * thread pool. Functions that have no op (reading a directory, readlink)
 * run on the pool through a BLOCKING op.
 *
 * Conventions, for every function here:
 * - Task only: called outside a task of a runtime they return CIO_EPERM
 *   (cio_file_close and the close of a stream still release the
 *   descriptor there).
 * - They return >= 0 on success and a negative errno on failure
 *   (CIO_ENOENT, CIO_EACCES, ...), never setting errno.
 * - They honour cio_cancel (CIO_ECANCELED) and the task's deadline
 *   (cio_deadline_set: CIO_ETIMEDOUT). An op that completed before the
 *   cancel took effect keeps its real result: an open that won the race
 *   returns its file, never a leaked descriptor. Work on the pool cannot
 *   be stopped once started; a cancel then waits for it.
 * - A call that moves bytes moves at most 2^31 - 4096 bytes at once; the
 *   plain read/write calls may return less than asked (a short count),
 *   the _exact/_all forms loop until done.
 * - Every descriptor is opened close-on-exec and attached to the
 *   runtime's driver.
 *
 * Windows (api/cio_fs_*_win32.c; tested on the iocp backend under
 * wine): paths are UTF-8 and become UTF-16 for the W calls ('/' and
 * '\\' both separate). Files are opened with CreateFileW,
 * FILE_FLAG_OVERLAPPED and not inherited, sharing read, write and
 * delete (an open file may be renamed or unlinked, as on POSIX);
 * CIO_O_APPEND opens for append-only data access, so every write lands
 * at the end. Open, stat, the path calls and directory reading run on
 * the pool; reads, writes, sync and set_len are the same ops as on
 * POSIX. The differences:
 * - Modes: only the owner's write bit of a create mode counts (without
 *   it the file is read-only); stat reports 0666 or 0444 (plus 0111 for
 *   directories), uid and gid 0, ctime = mtime, btime valid, no rdev;
 *   ino is the file index and dev the volume serial number.
 * - cio_fs_symlink and cio_fs_readlink return CIO_ENOTSUP (creating a
 *   symlink needs a privilege or developer mode there); cio_fs_link is
 *   CreateHardLinkW. Directory entries carry ino 0.
 * - Reading or writing a file not opened for it is CIO_EBADF, as on
 *   POSIX (Windows itself says access denied).
 * - cio_pipe makes a named pipe with both ends overlapped. cio_stdin,
 *   cio_stdout and cio_stderr wrap a duplicate of the standard handle
 *   and do each read and write as a BLOCKING op on the pool, since a
 *   console or synchronous pipe cannot join a completion port.
 * - custom_flags of cio_open_options are msvcrt _O_* flags and are
 *   ignored apart from the access mode, append, create and truncate.
 */
#ifndef COMPIO_FS_H
#define COMPIO_FS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "platform.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- opening files ---- */

/** An open file: a descriptor read and written at explicit offsets. */
typedef struct cio_file cio_file;

/*
 * Open flags for cio_file_open, our own values (mapped to the system's
 * O_* flags). Exactly one of RDONLY, WRONLY, RDWR.
 */
#define CIO_O_RDONLY 0x0000u /**< Read only. */
#define CIO_O_WRONLY 0x0001u /**< Write only. */
#define CIO_O_RDWR 0x0002u   /**< Read and write. */
#define CIO_O_APPEND 0x0008u /**< Every write goes to the end. */
#define CIO_O_CREAT 0x0010u  /**< Create the file if it does not exist. */
/** Create the file, failing with CIO_EEXIST if it exists (create_new;
 *  implies CREAT; a final symlink is never followed). */
#define CIO_O_EXCL 0x0020u
#define CIO_O_TRUNC 0x0040u /**< Truncate to length 0 on open. */

/**
 * Open @path (relative to the working directory unless absolute) with
 * CIO_O_* @flags; @mode (e.g. 0644, less the umask) applies when the
 * file is created. On success *@out is the file (close it with
 * cio_file_close) and the call returns 0; otherwise *@out is NULL and
 * the call returns CIO_EINVAL (unknown flag bits, two access modes,
 * TRUNC without write access),
 * or the open's error: CIO_ENOENT, CIO_EACCES, CIO_EEXIST (CREAT|EXCL),
 * CIO_EISDIR (a directory opened for writing), CIO_ENOTDIR, CIO_ELOOP,
 * CIO_EMFILE, ...
 */
CIO_EXTERN int cio_file_open(cio_file **out, const char *path, unsigned flags,
                             uint32_t mode);

/**
 * Open options, like Rust's OpenOptions. Start from
 * cio_open_options_init() (everything off, mode 0666), set what you
 * need, then call cio_file_open_with().
 */
typedef struct cio_open_options {
    int read;         /**< Open for reading. */
    int write;        /**< Open for writing. */
    int append;       /**< Writes go to the end; implies write. */
    int create;       /**< Create the file if missing (needs write or
                           append). */
    int create_new;   /**< Create it, failing with CIO_EEXIST if it
                           exists; create and truncate are then ignored.
                           Needs write or append. */
    int truncate;     /**< Truncate to 0 (needs write, not append). */
    uint32_t mode;    /**< Permission bits for a created file (0666). */
    int custom_flags; /**< Extra system O_* flags (O_NOFOLLOW, O_DIRECT,
                           O_NOATIME, ...), or-ed in; the access-mode bits
                           of it are ignored. */
} cio_open_options;

/** Reset @o: nothing set, mode 0666. */
CIO_EXTERN void cio_open_options_init(cio_open_options *o);

/**
 * Open @path as @o says. 0 and *@out, or CIO_EINVAL for a combination
 * that makes no sense (none of read/write/append; create, create_new or
 * truncate without write or append; truncate with append), or the
 * open's error as for cio_file_open.
 */
CIO_EXTERN int cio_file_open_with(cio_file **out, const char *path,
                                  const cio_open_options *o);

/**
 * Wrap a descriptor the caller opened (it should be close-on-exec) and
 * attach it to the runtime. On success the file owns it; on failure it
 * stays the caller's. 0, CIO_EBADF, CIO_ENOMEM, CIO_EPERM outside a
 * runtime.
 */
CIO_EXTERN int cio_file_from_fd(cio_file **out, cio_fd fd);

/**
 * Close the file and free it. The descriptor is released whatever the
 * result, also from a cancelled task or outside a task (then with a
 * plain close). 0 or the close's error (CIO_EIO: data may be lost).
 * NULL is fine.
 */
CIO_EXTERN int cio_file_close(cio_file *f);

/** The file's descriptor (still owned by @f). */
CIO_EXTERN cio_fd cio_file_fd(const cio_file *f);

/* ---- positional IO ---- */

/**
 * Read at most @len bytes at offset @off: the count (maybe short), 0 at
 * or past the end of the file, or -errno (CIO_EBADF when not opened for
 * reading, CIO_EISDIR, CIO_EINVAL, CIO_EIO, ...).
 */
CIO_EXTERN int64_t cio_file_read_at(cio_file *f, void *buf, size_t len,
                                    uint64_t off);

/**
 * Write at most @len bytes at offset @off (at the end with APPEND): the
 * count (maybe short) or -errno (CIO_EBADF when not opened for writing,
 * CIO_ENOSPC, -EFBIG, ...).
 */
CIO_EXTERN int64_t cio_file_write_at(cio_file *f, const void *buf, size_t len,
                                     uint64_t off);

/**
 * Read exactly @len bytes at @off, looping over short reads. 0, or
 * CIO_ENODATA when the file ends first, or the first error. *@done (if
 * not NULL) is the number of bytes stored at the start of @buf, also on
 * failure (as cio_read_exact in compio/io.h).
 */
CIO_EXTERN int cio_file_read_exact_at(cio_file *f, void *buf, size_t len,
                                      uint64_t off, size_t *done);

/**
 * Write all @len bytes at @off, looping over short writes. 0 or the
 * first error (what was written before it stays written; *@done, if not
 * NULL, says how much); CIO_EIO if a write makes no progress.
 */
CIO_EXTERN int cio_file_write_all_at(cio_file *f, const void *buf, size_t len,
                                     uint64_t off, size_t *done);

/** Vectored read at @off, one op: the count (maybe short), 0, -errno. */
CIO_EXTERN int64_t cio_file_readv_at(cio_file *f, const cio_iovec *iov,
                                     unsigned n, uint64_t off);

/** Vectored write at @off, one op: the count (maybe short) or -errno. */
CIO_EXTERN int64_t cio_file_writev_at(cio_file *f, const cio_iovec *iov,
                                      unsigned n, uint64_t off);

/**
 * Fill every buffer of @iov from @off on, looping over short reads (the
 * array is not modified). 0, CIO_ENODATA at a premature end, or -errno
 * (CIO_EINVAL for more than 1024 buffers); *@done (if not NULL) is the
 * number of bytes stored, counted over the whole vector.
 */
CIO_EXTERN int cio_file_readv_exact_at(cio_file *f, const cio_iovec *iov,
                                       unsigned n, uint64_t off, size_t *done);

/**
 * Write every buffer of @iov at @off on, looping. As
 * cio_file_write_all_at, *@done counted over the whole vector.
 */
CIO_EXTERN int cio_file_writev_all_at(cio_file *f, const cio_iovec *iov,
                                      unsigned n, uint64_t off, size_t *done);

/* ---- metadata and durability ---- */

/** Flush data and metadata to the device (fsync). 0 or -errno. */
CIO_EXTERN int cio_file_sync_all(cio_file *f);

/** Flush data, and metadata only as needed to read it (fdatasync). */
CIO_EXTERN int cio_file_sync_data(cio_file *f);

/**
 * Truncate or extend (with zeros) to @len bytes (ftruncate). 0, or
 * CIO_EINVAL (not opened for writing, or too large), CIO_EBADF, ...
 */
CIO_EXTERN int cio_file_set_len(cio_file *f, uint64_t len);

/** What a directory entry or a stat names. */
typedef enum cio_file_type {
    CIO_FT_UNKNOWN = 0, /**< Could not be told. */
    CIO_FT_REGULAR,     /**< A regular file. */
    CIO_FT_DIR,         /**< A directory. */
    CIO_FT_SYMLINK,     /**< A symbolic link (never followed by readdir). */
    CIO_FT_FIFO,        /**< A named pipe. */
    CIO_FT_SOCKET,      /**< A Unix socket. */
    CIO_FT_CHAR,        /**< A character device. */
    CIO_FT_BLOCK        /**< A block device. */
} cio_file_type;

/** A point in time: seconds and nanoseconds since the Unix epoch. */
typedef struct cio_timespec {
    int64_t sec;   /**< Seconds (negative before 1970). */
    uint32_t nsec; /**< Nanoseconds, 0..999999999. */
} cio_timespec;

/** cio_stat.valid bit: btime (creation time) is filled in. */
#define CIO_STAT_BTIME 0x1u

/** File metadata, portable (filled from statx(2) on Linux). */
typedef struct cio_stat {
    cio_file_type type; /**< What the path names. */
    uint32_t mode;      /**< Permission bits (07777). */
    uint32_t nlink;     /**< Hard links. */
    uint32_t uid;       /**< Owner. */
    uint32_t gid;       /**< Group. */
    uint32_t blksize;   /**< Preferred IO size. */
    uint32_t valid;     /**< CIO_STAT_* bits of optional fields. */
    uint64_t size;      /**< Bytes (a symlink: its text's length). */
    uint64_t blocks;    /**< 512-byte blocks allocated. */
    uint64_t ino;       /**< Inode number. */
    uint64_t dev;       /**< Device of the file system (makedev form). */
    uint64_t rdev;      /**< Device a CHAR/BLOCK file stands for. */
    cio_timespec atime; /**< Last access. */
    cio_timespec mtime; /**< Last modification of the data. */
    cio_timespec ctime; /**< Last change of the inode. */
    cio_timespec btime; /**< Creation, if valid & CIO_STAT_BTIME. */
} cio_stat;

/** Metadata of an open file (statx with AT_EMPTY_PATH). 0 or -errno. */
CIO_EXTERN int cio_file_stat(cio_file *f, cio_stat *st);

/**
 * Metadata of @path, following symbolic links. 0, or CIO_ENOENT,
 * CIO_ENOTDIR, CIO_EACCES, CIO_ELOOP, ...
 */
CIO_EXTERN int cio_fs_stat(const char *path, cio_stat *st);

/** As cio_fs_stat, about a symbolic link itself (not followed). */
CIO_EXTERN int cio_fs_lstat(const char *path, cio_stat *st);

/* ---- a file as a stream ---- */

/**
 * A stream view of @f that reads and writes in order from a cursor,
 * starting at @pos (every call of this function moves the cursor
 * there). It is owned by @f and lives until cio_file_close; closing the
 * view with cio_stream_close only ends the view (later calls on it fail
 * with CIO_EBADF), the file stays open. Shutdown is not supported.
 */
CIO_EXTERN cio_stream *cio_file_stream(cio_file *f, uint64_t pos);

/* ---- path functions ---- */

/** Remove a file (or symlink): unlink. CIO_ENOENT, CIO_EISDIR, ... */
CIO_EXTERN int cio_fs_unlink(const char *path);

/** Remove an empty directory. CIO_ENOTEMPTY, CIO_ENOTDIR, ... */
CIO_EXTERN int cio_fs_rmdir(const char *path);

/**
 * Rename @from to @to, replacing @to (atomically) if it is a file.
 * CIO_ENOENT, CIO_EXDEV (another file system), CIO_EISDIR, ...
 */
CIO_EXTERN int cio_fs_rename(const char *from, const char *to);

/** Make a directory with @mode (less the umask). CIO_EEXIST, ... */
CIO_EXTERN int cio_fs_mkdir(const char *path, uint32_t mode);

/**
 * Make @path and every missing parent (mkdir -p), each with @mode. 0 if
 * it exists already as a directory; CIO_EEXIST if @path names something
 * else; CIO_ENOTDIR if a parent is not a directory; else the first
 * mkdir's error.
 */
CIO_EXTERN int cio_fs_mkdir_all(const char *path, uint32_t mode);

/**
 * Make @linkpath a symbolic link whose text is @target (which need not
 * exist). CIO_EEXIST if @linkpath exists.
 */
CIO_EXTERN int cio_fs_symlink(const char *target, const char *linkpath);

/**
 * Make @newpath a hard link to @oldpath (a symlink @oldpath is linked
 * itself, not followed). CIO_EEXIST, CIO_EXDEV, CIO_EPERM (a dir), ...
 */
CIO_EXTERN int cio_fs_link(const char *oldpath, const char *newpath);

/**
 * Copy the text of symbolic link @path into @buf, without a NUL (as
 * readlink(2)). The number of bytes placed (equal to @len: the text may
 * have been cut), or CIO_EINVAL (not a symlink), CIO_ENOENT, ... Runs on
 * the pool.
 */
CIO_EXTERN int64_t cio_fs_readlink(const char *path, char *buf, size_t len);

/**
 * Read the whole file @path into a malloc'd buffer, growing it until
 * the end (the size from stat is only a hint, so /proc files work).
 * *@buf gets one NUL byte after the data, not counted in *@len; free it
 * with free(). 0, or -errno (then *@buf is NULL and *@len 0).
 */
CIO_EXTERN int cio_fs_read_file(const char *path, void **buf, size_t *len);

/**
 * Create or truncate @path (with @mode when created) and write @len
 * bytes of @data. 0 or -errno (the open's, a write's or the close's).
 */
CIO_EXTERN int cio_fs_write_file(const char *path, const void *data, size_t len,
                                 uint32_t mode);

/* ---- directories ---- */

/** A directory being read. */
typedef struct cio_dir cio_dir;

/** One entry; valid until the next cio_dir_next or cio_dir_close. */
typedef struct cio_dir_entry {
    const char *name;   /**< The name (no path), NUL-terminated. */
    cio_file_type type; /**< Its type, symlinks not followed. */
    uint64_t ino;       /**< Inode number. */
} cio_dir_entry;

/**
 * Open directory @path for reading. 0 and *@out, or CIO_ENOENT,
 * CIO_ENOTDIR, CIO_EACCES, ...
 */
CIO_EXTERN int cio_dir_open(cio_dir **out, const char *path);

/**
 * The next entry ("." and ".." are skipped), in no particular order.
 * Entries are read in batches on the blocking pool, not one op each.
 * 1 with *@e filled, 0 at the end, or -errno. An entry whose type the
 * file system does not report is stat'ed (CIO_FT_UNKNOWN only if that
 * fails, e.g. the entry vanished).
 */
CIO_EXTERN int cio_dir_next(cio_dir *d, cio_dir_entry *e);

/** Close and free @d. 0 or -errno. NULL is fine. */
CIO_EXTERN int cio_dir_close(cio_dir *d);

/* ---- pipes and stdio ---- */

/**
 * An anonymous pipe: *@r reads what *@w writes. Both are streams
 * (close each with cio_stream_close; cio_stream_shutdown on the write
 * end closes it, so the reader sees the end). Reads of an empty pipe
 * park the task (cancel and deadlines apply). 0, or CIO_EMFILE, ...
 */
CIO_EXTERN int cio_pipe(cio_stream **r, cio_stream **w);

/**
 * A stream over the process's standard input (descriptor 0). It owns a
 * descriptor of its own, so closing it leaves descriptor 0 open. Each
 * call makes a new stream.
 *
 * A regular file on stdin is read from its current offset, which the
 * stream shares and advances (as `(prog; cat) < file` expects). A pipe,
 * FIFO or terminal is reopened through /proc/self/fd when possible, so
 * the non-blocking mode a readiness backend (epoll) sets on it stays
 * private to the stream and the terminal's flags are not changed for
 * the shell or other processes; where it cannot be reopened (a socket,
 * no /proc) the descriptor is dup'ed, and if it was blocking before, it
 * is made blocking again when the stream is closed.
 *
 * Shutdown is not supported (CIO_ENOTSUP): the stream cannot close
 * the process's own descriptor.
 *
 * 0, CIO_EBADF (descriptor 0 is closed), CIO_EPERM outside a runtime.
 */
CIO_EXTERN int cio_stdin(cio_stream **out);

/** As cio_stdin, for standard output (descriptor 1). */
CIO_EXTERN int cio_stdout(cio_stream **out);

/** As cio_stdin, for standard error (descriptor 2). */
CIO_EXTERN int cio_stderr(cio_stream **out);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_FS_H */
