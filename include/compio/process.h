/* SPDX-License-Identifier: MIT */
/*
 * compio/process.h - spawn child processes, talk to them through their
 * stdin/stdout/stderr as streams, and wait for them from tasks without
 * blocking the runtime.
 *
 *     cio_command *cmd;
 *     cio_child *child;
 *     cio_exit_status st;
 *     cio_command_new(&cmd, "grep");
 *     cio_command_arg(cmd, "-c");
 *     cio_command_arg(cmd, "needle");
 *     cio_command_stdin(cmd, CIO_STDIO_PIPED);
 *     cio_command_stdout(cmd, CIO_STDIO_PIPED);
 *     r = cio_command_spawn(cmd, &child);    // CIO_ENOENT: no grep
 *     cio_command_free(cmd);
 *     in = cio_child_take_stdio(child, 0);   // ours to close
 *     cio_stream_write(in, ...); cio_stream_close(in);   // EOF for grep
 *     n = cio_stream_read(cio_child_stdout(child), buf, sizeof buf);
 *     r = cio_child_wait(child, &st);        // parks the task
 *     cio_child_free(child);
 *
 * Every call returns >= 0 or a negative errno. Calls that wait
 * (cio_child_wait, cio_command_output, and reads and writes on the
 * child's streams) honour cio_cancel (CIO_ECANCELED) and the task's
 * deadline (cio_deadline_set: CIO_ETIMEDOUT); spawn fails at once with
 * those if the task is already cancelled or past its deadline.
 *
 * Spawning (Unix): posix_spawn(3), so an exec failure (a missing
 * program, no permission, a bad cwd) comes back from cio_command_spawn
 * itself as -errno and no child is left behind. The call itself does not
 * park: it returns once the child has exec'd (vfork speed), so it is
 * made from the runtime's thread and holds it for that short time.
 * The child starts with an empty signal mask and SIGPIPE at its default
 * action (as Rust and Python spawn: a parent that ignores SIGPIPE must
 * not make `yes | head` in the child run for ever); other ignored
 * signals stay ignored, as exec(2) leaves them. Descriptors other than
 * its stdio are not inherited (compio opens everything close-on-exec).
 *
 * Writing to a child's stdin after it closed its end is a write to a
 * broken pipe: it returns CIO_EPIPE, because cio_runtime_new sets
 * SIGPIPE to ignored when it finds it at its default (see runtime.h).
 *
 * Waiting (Unix): on Linux with pidfd_open(2) (5.3+), the child's pidfd
 * is polled by an op, so a wait costs nothing while it waits and
 * cancel/deadlines come for free. Elsewhere, or when pidfd_open fails
 * (ENOSYS, a seccomp filter), the wait polls waitid(WNOHANG) with
 * cio_sleep in between, 1 ms doubling to 50 ms: it holds no thread and
 * no descriptor, a cancelled or timed-out wait returns at once without
 * reaping, and the cost is a reaction time of at most 50 ms. (A wait
 * running waitpid(2) on the blocking pool was rejected: it cannot be
 * interrupted, so a cancelled wait would either hold a pool thread and
 * reap the child behind the caller's back, or keep cio_runtime_free
 * waiting until the child exits; and many waits could starve the pool
 * that file IO runs on.) Setting COMPIO_NO_PIDFD=1 in the environment
 * forces the fallback at spawn time; it exists for tests.
 *
 * Reaping: compio reaps only its own children, by pid. The process must
 * not reap them behind its back (SIGCHLD set to SIG_IGN, or
 * waitpid(-1, ...) loops elsewhere): waits would then fail with -ECHILD
 * and, after pid reuse, a kill could reach a stranger. A child freed
 * before it was reaped is not killed; see cio_child_free for what
 * happens to it.
 *
 * Windows: the same calls, with these differences.
 * - Spawning is CreateProcessW. The arguments are joined into one
 *   command line quoted so that the Microsoft C runtime (and
 *   CommandLineToArgvW) splits it back into the same strings; a child
 *   that parses its command line otherwise (cmd.exe, batch files) sees
 *   that quoting. All strings are UTF-8, converted to UTF-16. A program
 *   without a directory is looked up as CreateProcess does (the
 *   program's directory, the current one, the system directories,
 *   PATH; ".exe" is appended if it has no extension). Environment names
 *   match ignoring ASCII case; the block is passed in the order the
 *   caller's has, then the command's settings, unsorted.
 * - Piped stdio: a named pipe per stream, overlapped on the parent's
 *   side (attached to the runtime like cio_pipe's) and a synchronous,
 *   inheritable handle on the child's; CIO_STDIO_NULL is "NUL";
 *   CIO_STDIO_INHERIT passes the caller's standard handle (none if it
 *   has none). The child's handles are made and inherited under a
 *   process-wide lock, so spawns on other threads do not leak them
 *   into their children; handles the program itself marks inheritable
 *   are inherited too.
 * - cio_command_process_group: 0 is CREATE_NEW_PROCESS_GROUP; a group
 *   id > 0 makes spawn fail with CIO_ENOTSUP.
 * - Waiting does not poll: a wait registered on the process handle
 *   (RegisterWaitForSingleObject, on the system's pool) wakes the task
 *   when the child ends; cancel and deadlines apply, and the wait is
 *   unregistered before cio_child_wait returns. There are no zombies: a
 *   child freed while it runs keeps running, and freeing only closes
 *   its handle.
 * - There are no signals to children. cio_child_kill takes SIGKILL
 *   (9: the C runtime's signal.h has no SIGKILL, so pass 9), SIGTERM
 *   and SIGINT, and each one is TerminateProcess with exit code
 *   128 + sig: the child gets no chance to clean up. 0 only checks;
 *   other numbers are CIO_EINVAL. A child ended that way by
 *   cio_child_kill reports code -1 and signal = sig (the first kill's).
 * - cio_exit_status.code is the full 32-bit exit code as an int (not
 *   0..255): a process that died of an exception reports its NTSTATUS,
 *   e.g. 0xC0000005, as a negative code; signal and core_dumped are 0.
 * - cio_child_pid is the process id (GetProcessId).
 */
#ifndef COMPIO_PROCESS_H
#define COMPIO_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a child's stdin, stdout or stderr is connected to. */
typedef enum cio_stdio {
    CIO_STDIO_INHERIT = 0, /**< The parent's own descriptor (default). */
    CIO_STDIO_NULL = 1,    /**< /dev/null. */
    CIO_STDIO_PIPED = 2    /**< A pipe whose other end is a cio_stream. */
} cio_stdio;

/** How a child ended. */
typedef struct cio_exit_status {
    int code;        /**< Exit code 0..255 if it exited, else -1. */
    int signal;      /**< The signal that ended it, else 0. */
    int core_dumped; /**< Non-zero if it dumped core. */
} cio_exit_status;

/** Non-zero when @st says "exited with code 0". */
static inline int
cio_exit_success(const cio_exit_status *st)
{
    return st != NULL && st->code == 0 && st->signal == 0;
}

/* ---- the command builder ---- */

/**
 * A description of a child to start: program, arguments, environment,
 * working directory, stdio. Reusable: spawn it any number of times.
 * Not thread-safe; any thread.
 */
typedef struct cio_command cio_command;

/**
 * A command running @program: a path if it contains a '/', else a name
 * looked up in the PATH of the calling process's environment. argv[0]
 * is @program. 0, CIO_EINVAL (@out or @program NULL or empty), or
 * CIO_ENOMEM.
 */
CIO_EXTERN int cio_command_new(cio_command **out, const char *program);

/** Free @cmd (children spawned from it are not affected). NULL is ok. */
CIO_EXTERN void cio_command_free(cio_command *cmd);

/*
 * The setters below return 0 or -errno. An error is also remembered in
 * the command, and cio_command_spawn returns the first one, so a chain
 * of setters may be checked once at spawn.
 */

/** Append one argument. CIO_EINVAL (NULL), CIO_ENOMEM. */
CIO_EXTERN int cio_command_arg(cio_command *cmd, const char *arg);

/** Append the arguments of the NULL-terminated @args. As _arg. */
CIO_EXTERN int cio_command_args(cio_command *cmd, const char *const *args);

/**
 * Set @name=@value in the child's environment (over an inherited value
 * of the same name). CIO_EINVAL (a NULL, an empty @name or one with
 * '='), CIO_ENOMEM.
 */
CIO_EXTERN int cio_command_env(cio_command *cmd, const char *name,
                               const char *value);

/** Remove @name from the child's environment. As cio_command_env. */
CIO_EXTERN int cio_command_env_remove(cio_command *cmd, const char *name);

/**
 * Start the child's environment empty instead of from the caller's
 * environ, and forget the changes made so far (as Rust's env_clear):
 * only what cio_command_env sets after this call is passed. 0 or
 * CIO_EINVAL.
 */
CIO_EXTERN int cio_command_env_clear(cio_command *cmd);

/**
 * Run the child in @dir (NULL: the caller's working directory). A
 * directory that does not exist makes spawn fail with CIO_ENOENT.
 * CIO_ENOTSUP where posix_spawn cannot change directory (glibc before
 * 2.29), CIO_ENOMEM.
 */
CIO_EXTERN int cio_command_cwd(cio_command *cmd, const char *dir);

/** Connect the child's stdin. CIO_EINVAL for an unknown @how. */
CIO_EXTERN int cio_command_stdin(cio_command *cmd, cio_stdio how);
/** Connect the child's stdout. As cio_command_stdin. */
CIO_EXTERN int cio_command_stdout(cio_command *cmd, cio_stdio how);
/** Connect the child's stderr. As cio_command_stdin. */
CIO_EXTERN int cio_command_stderr(cio_command *cmd, cio_stdio how);

/**
 * Put the child in process group @pgid; 0 makes it the leader of a new
 * group (so a ctrl-c at the terminal does not reach it), -1 (the
 * default) leaves it in the caller's group. CIO_EINVAL if < -1.
 */
CIO_EXTERN int cio_command_process_group(cio_command *cmd, int pgid);

/* ---- children ---- */

/** A running (or finished, not yet freed) child process. */
typedef struct cio_child cio_child;

/**
 * Start @cmd. On a runtime's thread (the child belongs to that runtime:
 * wait for it from its tasks). 0 and *@out set, or CIO_EINVAL, CIO_EPERM
 * (no runtime here), CIO_ECANCELED / CIO_ETIMEDOUT (the calling task was
 * cancelled or is past its deadline: nothing is started), the first
 * error a setter reported, or the exec error: CIO_ENOENT (no such
 * program, or no such cwd), CIO_EACCES (not executable), CIO_ENOEXEC,
 * CIO_ENOMEM, CIO_EMFILE, ... In every failure case no child remains and
 * no descriptor is leaked.
 */
CIO_EXTERN int cio_command_spawn(const cio_command *cmd, cio_child **out);

/** The child's process id. */
CIO_EXTERN int cio_child_pid(const cio_child *child);

/**
 * The parent's end of the child's stdin, stdout or stderr, if it was
 * CIO_STDIO_PIPED; else (or once taken) NULL. Owned by the child:
 * closed by cio_child_free. Reading stdout returns 0 once the child
 * (and every process it passed the pipe to) has closed it.
 */
CIO_EXTERN cio_stream *cio_child_stdin(cio_child *child);
/** See cio_child_stdin. */
CIO_EXTERN cio_stream *cio_child_stdout(cio_child *child);
/** See cio_child_stdin. */
CIO_EXTERN cio_stream *cio_child_stderr(cio_child *child);

/**
 * Take stream @fd (0 stdin, 1 stdout, 2 stderr) away from the child:
 * the caller closes it with cio_stream_close (closing stdin is how the
 * child sees end of input). NULL if it is not piped or already taken.
 */
CIO_EXTERN cio_stream *cio_child_take_stdio(cio_child *child, int fd);

/**
 * Wait for the child to end and reap it. Closes the child's stdin
 * stream first if the child still owns it (a child reading stdin to its
 * end would otherwise never exit; take it first if another task is
 * writing to it). Once reaped, later calls return the
 * same status at once. Task only, on the child's runtime; several tasks
 * may wait for one child.
 *
 * 0 and *@st filled (@st may be NULL), or CIO_EINVAL, CIO_EPERM (not in
 * a task), CIO_ECANCELED, CIO_ETIMEDOUT (the child was not reaped: wait
 * again, or kill it), or -errno from waitid(2).
 */
CIO_EXTERN int cio_child_wait(cio_child *child, cio_exit_status *st);

/**
 * Reap the child if it has ended, without waiting. 1 and *@st filled
 * (@st may be NULL), 0 if it still runs, or -errno. Any code on the
 * child's runtime thread.
 */
CIO_EXTERN int cio_child_try_wait(cio_child *child, cio_exit_status *st);

/**
 * Send @sig to the child (SIGKILL to stop it for good; 0 only checks).
 * 0 if sent, or also 0 if the child has already been reaped (there is
 * nothing left to signal: as Rust's Child::kill); CIO_EINVAL (a bad
 * signal), CIO_EPERM.
 */
CIO_EXTERN int cio_child_kill(cio_child *child, int sig);

/**
 * Close the child's streams and free it. Does not kill it. A child that
 * has ended is reaped now; one still running is handed, by pid, to a
 * process-wide list that later spawns and frees reap without blocking
 * once it has exited (until then it is a zombie, and if the program
 * spawns nothing more, it stays one until the program exits). To be
 * sure, kill and wait before freeing. Runtime thread; NULL is fine.
 */
CIO_EXTERN void cio_child_free(cio_child *child);

/**
 * Run @cmd to the end and collect its stdout: stdout is piped whatever
 * @cmd says, a piped stdin or stderr is connected to /dev/null instead,
 * and the rest is as configured. *@out gets a malloc'd buffer of
 * *@outlen bytes, NUL-terminated (free it); @out NULL reads and drops.
 * @st (may be NULL) gets how the child ended. Task only.
 *
 * 0, or the errors of cio_command_spawn, reading and waiting. If the
 * call fails after the spawn (cancelled, deadline, CIO_ENOMEM, a read
 * error), the child is killed with SIGKILL and reaped (if the task was
 * cancelled, it goes to the list cio_child_free describes), and nothing
 * is returned in *@out.
 */
CIO_EXTERN int cio_command_output(const cio_command *cmd, char **out,
                                  size_t *outlen, cio_exit_status *st);

#ifdef __cplusplus
}
#endif

#endif /* COMPIO_PROCESS_H */
