/* SPDX-License-Identifier: MIT */
/*
 * cio_process_spawn.c - starting a child on Unix with posix_spawn(3):
 * pipes for its piped stdio, /dev/null, cwd, process group, an empty
 * signal mask; its pidfd on Linux; and the accessors of a child.
 *
 * posix_spawn rather than fork+exec: glibc (2.24+), musl and the BSDs
 * report an exec failure as its return value, which is the error pipe
 * fork+exec would need by hand; glibc spawns with CLONE_VFORK on a
 * separate stack, so nothing is copied and no code of ours runs in the
 * child between fork and exec (where, in a threaded process, only
 * async-signal-safe calls would be allowed); and it resets handled
 * signals in the child before the exec, so our handler never runs there.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "cio_process_int.h"

/* Is posix_spawn_file_actions_addchdir_np there? (cio_command_cwd
 * refuses a cwd where it is not.) */
#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define HAVE_SPAWN_CHDIR 1
#endif

/* A pipe for child descriptor @fd: *@mine for us, *@theirs for it. */
static int
stdio_pipe(int fd, int *mine, int *theirs)
{
    int p[2], i;

#ifdef HAVE_PIPE2
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
#else
    if (pipe(p) < 0)
        return -errno;
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
#endif
    /*
     * The child's end must not be 0, 1 or 2 (possible if the parent
     * closed its own stdio): the file actions dup2 onto those numbers,
     * and one would clobber an end another still has to dup.
     */
    for (i = 0; i < 2; i++) {
        if (p[i] < 3) {
            int moved = fcntl(p[i], F_DUPFD_CLOEXEC, 3);

            if (moved < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
            }
            close(p[i]);
            p[i] = moved;
        }
    }
    *mine = fd == 0 ? p[1] : p[0];
    *theirs = fd == 0 ? p[0] : p[1];
    return 0;
}

/* The child's pidfd, or CIO_INVALID_FD for the polling fallback. */
static cio_fd
open_pidfd(int pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
    const char *no = getenv("COMPIO_NO_PIDFD");
    int fd;

    if (no != NULL && no[0] != '\0' && strcmp(no, "0") != 0)
        return CIO_INVALID_FD;
    /* Close-on-exec always. The child is ours and not reaped, so the
     * pid cannot have been reused. */
    fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return CIO_INVALID_FD;
    if (cio__api_attach(fd) < 0) {
        close(fd);
        return CIO_INVALID_FD;
    }
    return fd;
#else
    (void)pid;
    return CIO_INVALID_FD;
#endif
}

/* Fill the file actions and attributes. 0 or -errno. */
static int
prepare(const cio_command *cmd, const uint8_t stdio[3], const int theirs[3],
        posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr)
{
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t none, dfl;
    int fd, r = 0;

    for (fd = 0; fd < 3 && r == 0; fd++) {
        switch (stdio[fd]) {
        case CIO_STDIO_PIPED:
            r = posix_spawn_file_actions_adddup2(fa, theirs[fd], fd);
            break;
        case CIO_STDIO_NULL:
            r = posix_spawn_file_actions_addopen(
                fa, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
            break;
        default:
            break;
        }
    }
#ifdef HAVE_SPAWN_CHDIR
    if (r == 0 && cmd->cwd != NULL)
        r = posix_spawn_file_actions_addchdir_np(fa, cmd->cwd);
#else
    if (r == 0 && cmd->cwd != NULL)
        r = ENOTSUP;
#endif
    /*
     * An empty mask, and SIGPIPE back to its default even if the parent
     * ignores it (servers often do), as Rust's and Python's spawns do:
     * `yes | head` in the child must end when head does.
     */
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    if (r == 0)
        r = posix_spawnattr_setsigmask(attr, &none);
    if (r == 0)
        r = posix_spawnattr_setsigdefault(attr, &dfl);
    if (r == 0 && cmd->pgid >= 0) {
        flags |= POSIX_SPAWN_SETPGROUP;
        r = posix_spawnattr_setpgroup(attr, (pid_t)cmd->pgid);
    }
    if (r == 0)
        r = posix_spawnattr_setflags(attr, flags);
    return -r;
}

int
cio__proc_spawn(const cio_command *cmd, const uint8_t stdio[3], cio_child **out)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int mine[3] = {-1, -1, -1}, theirs[3] = {-1, -1, -1};
    char **envp = NULL;
    cio_child *c;
    uint64_t deadline;
    pid_t pid;
    int fd, r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cmd == NULL)
        return CIO_EINVAL;
    if (cmd->error < 0)
        return cmd->error;
    if (cio_runtime_current() == NULL)
        return CIO_EPERM;
    if (cio_current() != NULL) {
        if (cio_cancelled())
            return CIO_ECANCELED;
        deadline = cio_deadline();
        if (deadline != 0 && cio_now() >= deadline)
            return CIO_ETIMEDOUT;
    }
    cio__proc_orphan_sweep();

    c = calloc(1, sizeof *c);
    if (c == NULL)
        return CIO_ENOMEM;
    c->pidfd = CIO_INVALID_FD;
    /* Everything that can fail is done before the child exists. */
    for (fd = 0, r = 0; fd < 3 && r == 0; fd++) {
        if (stdio[fd] != CIO_STDIO_PIPED)
            continue;
        r = stdio_pipe(fd, &mine[fd], &theirs[fd]);
        if (r == 0)
            r = cio__api_attach(mine[fd]);
        if (r == 0) {
            r = cio__fdstream_new(&c->io[fd], mine[fd], CIO__FD_PIPE, 1);
            if (r == 0)
                mine[fd] = -1; /* The stream owns it now. */
        }
    }
    if (r == 0)
        r = cio__proc_envp(cmd, &envp);
    if (r == 0) {
        r = -posix_spawn_file_actions_init(&fa);
        if (r == 0) {
            r = -posix_spawnattr_init(&attr);
            if (r == 0) {
                r = prepare(cmd, stdio, theirs, &fa, &attr);
                if (r == 0) {
                    const char *prog = cmd->argv[0];

                    if (strchr(prog, '/') != NULL)
                        r = -posix_spawn(&pid, prog, &fa, &attr, cmd->argv,
                                         envp);
                    else
                        r = -posix_spawnp(&pid, prog, &fa, &attr, cmd->argv,
                                          envp);
                }
                posix_spawnattr_destroy(&attr);
            }
            posix_spawn_file_actions_destroy(&fa);
        }
    }
    free(envp);
    /* The child has its ends (or there is no child): ours go. */
    for (fd = 0; fd < 3; fd++) {
        if (theirs[fd] >= 0)
            close(theirs[fd]);
        if (mine[fd] >= 0)
            close(mine[fd]);
    }
    if (r < 0) {
        for (fd = 0; fd < 3; fd++)
            cio_stream_close(c->io[fd]);
        free(c);
        return r;
    }
    c->pid = (int)pid;
    c->pidfd = open_pidfd(c->pid);
    *out = c;
    return 0;
}

int
cio_command_spawn(const cio_command *cmd, cio_child **out)
{
    if (cmd == NULL) {
        if (out != NULL)
            *out = NULL;
        return CIO_EINVAL;
    }
    return cio__proc_spawn(cmd, cmd->stdio, out);
}

int
cio_child_pid(const cio_child *child)
{
    return child != NULL ? child->pid : CIO_EINVAL;
}

cio_stream *
cio_child_stdin(cio_child *child)
{
    return child != NULL ? child->io[0] : NULL;
}

cio_stream *
cio_child_stdout(cio_child *child)
{
    return child != NULL ? child->io[1] : NULL;
}

cio_stream *
cio_child_stderr(cio_child *child)
{
    return child != NULL ? child->io[2] : NULL;
}

cio_stream *
cio_child_take_stdio(cio_child *child, int fd)
{
    cio_stream *s;

    if (child == NULL || fd < 0 || fd > 2)
        return NULL;
    s = child->io[fd];
    child->io[fd] = NULL;
    return s;
}
