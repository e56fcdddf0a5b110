/* SPDX-License-Identifier: MIT */
/*
 * check_fs_path.c - path functions: mkdir and mkdir_all (EEXIST,
 * ENOTDIR), rmdir (ENOTEMPTY, ENOTDIR), unlink, rename, symlink,
 * readlink, hard links, lstat against stat.
 */
#include "check_fs.h"

static int
isdir(const char *p)
{
    struct stat sb;

    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
dirs_main(void *arg)
{
    (void)arg;
    ck_assert_int_eq(cio_fs_mkdir(fs_path("d"), 0755), 0);
    ck_assert(isdir(fs_path("d")));
    ck_assert_int_eq(cio_fs_mkdir(fs_path("d"), 0755), CIO_EEXIST);
    ck_assert_int_eq(cio_fs_mkdir(fs_path("x/y"), 0755), CIO_ENOENT);
    fs_put("d/f", "x", 1);
    ck_assert_int_eq(cio_fs_rmdir(fs_path("d")), CIO_ENOTEMPTY);
    ck_assert_int_eq(cio_fs_rmdir(fs_path("d/f")), CIO_ENOTDIR);
    ck_assert_int_eq(cio_fs_unlink(fs_path("d")), CIO_EISDIR);
    ck_assert_int_eq(cio_fs_unlink(fs_path("d/f")), 0);
    ck_assert_int_eq(cio_fs_unlink(fs_path("d/f")), CIO_ENOENT);
    ck_assert_int_eq(cio_fs_rmdir(fs_path("d")), 0);
    ck_assert(!isdir(fs_path("d")));
    ck_assert_int_eq(cio_fs_rmdir(fs_path("d")), CIO_ENOENT);
    ck_assert_int_eq(cio_fs_mkdir(NULL, 0755), CIO_EINVAL);
    ck_assert_int_eq(cio_fs_unlink(NULL), CIO_EINVAL);
    return 0;
}

START_TEST(t_dirs)
{
    fs_run(_i, dirs_main, NULL);
}
END_TEST

static int
mkdir_all_main(void *arg)
{
    (void)arg;
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a/b/c/d"), 0755), 0);
    ck_assert(isdir(fs_path("a/b/c/d")));
    /* Again: all there, fine. */
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a/b/c/d"), 0755), 0);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a"), 0755), 0);
    /* Trailing and doubled slashes. */
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a//b2///c2/"), 0755), 0);
    ck_assert(isdir(fs_path("a/b2/c2")));
    /* A parent that is a file: ENOTDIR; the path itself a file: EEXIST. */
    fs_put("a/file", "x", 1);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a/file/x/y"), 0755),
                     CIO_ENOTDIR);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a/file/x"), 0755), CIO_ENOTDIR);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("a/file"), 0755), CIO_EEXIST);
#ifndef _WIN32 /* No symlinks on Windows (see fs.h). */
    /* A symlink to a directory counts as one. */
    ck_assert_int_eq(symlink("a/b", fs_path("ln")), 0);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("ln/new/deeper"), 0755), 0);
    ck_assert(isdir(fs_path("a/b/new/deeper")));
    /* A dangling symlink on the way is not a directory. */
    ck_assert_int_eq(symlink("nowhere", fs_path("dang")), 0);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("dang"), 0755), CIO_EEXIST);
    ck_assert_int_eq(cio_fs_mkdir_all(fs_path("dang/x"), 0755), CIO_ENOTDIR);
#endif
    ck_assert_int_eq(cio_fs_mkdir_all("", 0755), CIO_ENOENT);
    ck_assert_int_eq(cio_fs_mkdir_all(NULL, 0755), CIO_EINVAL);
    ck_assert_int_eq(cio_fs_mkdir_all("/", 0755), 0);
    return 0;
}

START_TEST(t_mkdir_all)
{
    fs_run(_i, mkdir_all_main, NULL);
}
END_TEST

/* mkdir_all relative to the working directory, down to one component. */
static int
mkdir_all_rel_main(void *arg)
{
    char cwd[PATH_MAX];

    (void)arg;
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(fs_dir), 0);
    ck_assert_int_eq(cio_fs_mkdir_all("r", 0755), 0);
    ck_assert_int_eq(cio_fs_mkdir_all("p/q/r", 0755), 0);
    ck_assert(isdir("p/q/r"));
    ck_assert_int_eq(chdir(cwd), 0);
    return 0;
}

START_TEST(t_mkdir_all_rel)
{
    fs_run(_i, mkdir_all_rel_main, NULL);
}
END_TEST

static int
rename_main(void *arg)
{
    void *buf;
    size_t len;

    (void)arg;
    fs_put("a", "AAA", 3);
    fs_put("b", "B", 1);
    ck_assert_int_eq(cio_fs_rename(fs_path("a"), fs_path("c")), 0);
    ck_assert_int_eq(access(fs_path("a"), F_OK), -1);
    /* Over an existing file: replaced. */
    ck_assert_int_eq(cio_fs_rename(fs_path("c"), fs_path("b")), 0);
    ck_assert_int_eq(cio_fs_read_file(fs_path("b"), &buf, &len), 0);
    ck_assert_str_eq(buf, "AAA");
    free(buf);
    ck_assert_int_eq(cio_fs_rename(fs_path("a"), fs_path("z")), CIO_ENOENT);
    ck_assert_int_eq(mkdir(fs_path("d1"), 0755), 0);
    ck_assert_int_eq(mkdir(fs_path("d2"), 0755), 0);
    fs_put("d2/f", "x", 1);
    ck_assert_int_eq(cio_fs_rename(fs_path("d1"), fs_path("d2")),
                     CIO_ENOTEMPTY);
    ck_assert_int_eq(cio_fs_rename(fs_path("b"), fs_path("d1")), CIO_EISDIR);
    ck_assert_int_eq(cio_fs_rename(fs_path("d1"), fs_path("b")), CIO_ENOTDIR);
    ck_assert_int_eq(cio_fs_rename(NULL, fs_path("b")), CIO_EINVAL);
    return 0;
}

START_TEST(t_rename)
{
    fs_run(_i, rename_main, NULL);
}
END_TEST

#ifdef _WIN32
/*
 * Windows: no symbolic links (CIO_ENOTSUP, see fs.h); hard links are
 * CreateHardLinkW.
 */
static int
links_main(void *arg)
{
    char buf[8];
    cio_stat st, hst;
    cio_file *f;
    void *data;
    size_t len;

    (void)arg;
    fs_put("t", "target!", 7);
    ck_assert_int_eq(cio_fs_symlink("t", fs_path("s")), CIO_ENOTSUP);
    ck_assert_int_eq(cio_fs_readlink(fs_path("t"), buf, sizeof buf),
                     CIO_ENOTSUP);
    ck_assert_int_eq(cio_fs_link(fs_path("t"), fs_path("h")), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("t"), &st), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("h"), &hst), 0);
    ck_assert_uint_eq(st.ino, hst.ino);
    ck_assert_uint_eq(hst.nlink, 2);
    ck_assert_int_eq(cio_file_open(&f, fs_path("h"), CIO_O_WRONLY, 0), 0);
    ck_assert_int_eq(cio_file_write_at(f, "T", 1, 0), 1);
    ck_assert_int_eq(cio_file_close(f), 0);
    ck_assert_int_eq(cio_fs_read_file(fs_path("t"), &data, &len), 0);
    ck_assert_uint_eq(len, 7);
    ck_assert_int_eq(memcmp(data, "Target!", 7), 0);
    free(data);
    ck_assert_int_eq(cio_fs_unlink(fs_path("t")), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("h"), &hst), 0);
    ck_assert_uint_eq(hst.nlink, 1);
    ck_assert_int_eq(cio_fs_link(fs_path("h"), fs_path("h")), CIO_EEXIST);
    ck_assert_int_eq(cio_fs_link(fs_path("zz"), fs_path("y")), CIO_ENOENT);
    return 0;
}
#else
static int
links_main(void *arg)
{
    char buf[64];
    cio_stat st, lst, hst;
    cio_file *f;
    void *data;
    size_t len;

    (void)arg;
    fs_put("t", "target!", 7);
    ck_assert_int_eq(cio_fs_symlink("t", fs_path("s")), 0);
    ck_assert_int_eq(cio_fs_readlink(fs_path("s"), buf, sizeof buf), 1);
    ck_assert_int_eq(buf[0], 't');
    /* Cut short: the result equals the buffer's length. */
    ck_assert_int_eq(cio_fs_symlink("a-long-target", fs_path("s2")), 0);
    ck_assert_int_eq(cio_fs_readlink(fs_path("s2"), buf, 4), 4);
    ck_assert_int_eq(memcmp(buf, "a-lo", 4), 0);
    ck_assert_int_eq(cio_fs_readlink(fs_path("t"), buf, sizeof buf),
                     CIO_EINVAL);
    ck_assert_int_eq(cio_fs_readlink(fs_path("zz"), buf, sizeof buf),
                     CIO_ENOENT);
    ck_assert_int_eq(cio_fs_symlink("t", fs_path("s")), CIO_EEXIST);

    /* stat follows, lstat does not. */
    ck_assert_int_eq(cio_fs_stat(fs_path("s"), &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_REGULAR);
    ck_assert_int_eq(st.size, 7);
    ck_assert_int_eq(cio_fs_lstat(fs_path("s"), &lst), 0);
    ck_assert_int_eq(lst.type, CIO_FT_SYMLINK);
    ck_assert_int_eq(lst.size, 1);
    ck_assert_uint_ne(lst.ino, st.ino);
    /* Through the link. */
    ck_assert_int_eq(cio_file_open(&f, fs_path("s"), CIO_O_RDONLY, 0), 0);
    ck_assert_int_eq(cio_file_read_at(f, buf, sizeof buf, 0), 7);
    ck_assert_int_eq(cio_file_close(f), 0);
    /* Dangling. */
    ck_assert_int_eq(cio_fs_symlink("nowhere", fs_path("dang")), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("dang"), &st), CIO_ENOENT);
    ck_assert_int_eq(cio_fs_lstat(fs_path("dang"), &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_SYMLINK);
    ck_assert_int_eq(cio_fs_unlink(fs_path("dang")), 0);

    /* Hard links: one inode, two names. */
    ck_assert_int_eq(cio_fs_link(fs_path("t"), fs_path("h")), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("t"), &st), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("h"), &hst), 0);
    ck_assert_uint_eq(st.ino, hst.ino);
    ck_assert_uint_eq(hst.nlink, 2);
    ck_assert_int_eq(cio_file_open(&f, fs_path("h"), CIO_O_WRONLY, 0), 0);
    ck_assert_int_eq(cio_file_write_at(f, "T", 1, 0), 1);
    ck_assert_int_eq(cio_file_close(f), 0);
    ck_assert_int_eq(cio_fs_read_file(fs_path("t"), &data, &len), 0);
    ck_assert_uint_eq(len, 7);
    ck_assert_int_eq(memcmp(data, "Target!", 7), 0);
    free(data);
    ck_assert_int_eq(cio_fs_unlink(fs_path("t")), 0);
    ck_assert_int_eq(cio_fs_stat(fs_path("h"), &hst), 0);
    ck_assert_uint_eq(hst.nlink, 1);
    /* A hard link to a symlink links the symlink itself. */
    ck_assert_int_eq(cio_fs_link(fs_path("s2"), fs_path("s3")), 0);
    ck_assert_int_eq(cio_fs_lstat(fs_path("s3"), &st), 0);
    ck_assert_int_eq(st.type, CIO_FT_SYMLINK);
    ck_assert_int_eq(cio_fs_link(fs_path("h"), fs_path("s")), CIO_EEXIST);
    ck_assert_int_eq(cio_fs_link(fs_path("zz"), fs_path("y")), CIO_ENOENT);
    ck_assert_int_eq(cio_fs_link(fs_dir, fs_path("dirlink")), CIO_EPERM);
    return 0;
}

#endif

START_TEST(t_links)
{
    fs_run(_i, links_main, NULL);
}
END_TEST

TCase *
check_fs_path_tcase(void)
{
    TCase *tc = tcase_create("path");

    tcase_add_loop_test(tc, t_dirs, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_mkdir_all, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_mkdir_all_rel, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_rename, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_links, 0, CIO_TEST_NBACKENDS);
    return tc;
}
