/* SPDX-License-Identifier: MIT */
/*
 * check_err_fs.c - documented errors of compio/fs.h, process.h,
 * signal.h and a few of net.h that the other suites do not produce
 * (found by scripts/error-audit.py):
 *  - files: a directory read (EISDIR), /dev/full (ENOSPC), descriptors
 *    that are not files (EBADF), a call outside a runtime (EPERM), a
 *    rename and a link across file systems (EXDEV);
 *  - processes: a program that is not an executable (ENOEXEC), a wait
 *    outside a task (EPERM), env_clear(NULL) (EINVAL);
 *  - the descriptor table full (RLIMIT_NOFILE lowered): every call that
 *    makes a descriptor returns CIO_EMFILE, and works again afterwards;
 *  - permissions (EACCES), run as user nobody when the tests run as root
 *    (root passes every permission check).
 * Each case runs on every backend that loads.
 *
 * On Windows (iocp, under wine in this tree) the same cases run with
 * Windows' own ways to the same errors where it has them: a directory
 * is refused at the open (EISDIR), a handle with no data access stands
 * for O_PATH, Z:\dev\shm (wine's view of the host's /dev/shm) is the
 * second file system, a file named .exe that is no executable gives
 * ENOEXEC, and cmd.exe is the child. Compiled out there, each with its
 * reason below: /dev/full (no device that is always full), the
 * descriptor table full (no RLIMIT_NOFILE to lower) and the permission
 * checks but the listener's (wine checks the Unix user's permissions,
 * and as root passes them all; no AF_UNIX), which Windows gives for a
 * port held with SO_EXCLUSIVEADDRUSE instead of a privileged one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifdef _WIN32
#include "cio_test_win32.h"
#include <limits.h>
#include <sys/stat.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "cio_test_api.h"
#include "compio/fs.h"
#include "compio/net.h"
#include "compio/process.h"
#include "compio/signal.h"

/* ---- files ---- */

static int
file_errors_body(void *arg)
{
    char dir[PATH_MAX];
    cio_file *f;
    char b[16];
    int fd;

    (void)arg;
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof dir));
#ifdef _WIN32
    /*
     * Windows opens a directory only with backup semantics, which
     * cio_file_open does not ask for: the open itself says EISDIR.
     */
    f = NULL;
    ck_assert_int_eq(cio_file_open(&f, dir, CIO_O_RDONLY, 0), CIO_EISDIR);
    ck_assert_ptr_null(f);
    (void)b;
#else
    /* A directory opens for reading, but reading it is EISDIR. */
    ck_assert_int_eq(cio_file_open(&f, dir, CIO_O_RDONLY, 0), 0);
    ck_assert_int_eq(cio_file_read_at(f, b, sizeof b, 0), CIO_EISDIR);
    ck_assert_int_eq(cio_file_close(f), 0);
#endif

#ifndef _WIN32
    /* /dev/full: every write fails with ENOSPC. (Windows has no device
     * that is always full, and wine's NUL takes every write.) */
    if (cio_file_open(&f, "/dev/full", CIO_O_WRONLY, 0) == 0) {
        ck_assert_int_eq(cio_file_write_at(f, "x", 1, 0), CIO_ENOSPC);
        ck_assert_int_eq(cio_file_close(f), 0);
    } else {
        printf("# no /dev/full here: ENOSPC not checked\n");
    }
#endif

    /* Not a descriptor at all. */
    f = NULL;
    ck_assert_int_eq(cio_file_from_fd(&f, -1), CIO_EBADF);
    ck_assert_ptr_null(f);
#ifdef _WIN32
    /*
     * Windows' O_PATH: a handle opened with attribute access only names
     * the file but allows no IO on it.
     */
    {
        char path[PATH_MAX + 8];
        HANDLE h;
        snprintf(path, sizeof path, "%s\\f", dir);
        fd = open(path, O_WRONLY | O_CREAT, 0644);
        ck_assert_int_ne(fd, -1);
        ck_assert_int_eq(close(fd), 0);
        h = CreateFileA(path, FILE_READ_ATTRIBUTES,
                        FILE_SHARE_READ | FILE_SHARE_WRITE |
                            FILE_SHARE_DELETE,
                        NULL, OPEN_EXISTING,
                        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED, NULL);
        ck_assert_ptr_ne(h, INVALID_HANDLE_VALUE);
        ck_assert_int_eq(cio_file_from_fd(&f, (cio_fd)(intptr_t)h), 0);
        ck_assert_int_eq(cio_file_set_len(f, 0), CIO_EBADF);
        ck_assert_int_eq(cio_file_close(f), 0);
        ck_assert_int_eq(unlink(path), 0);
    }
#else
    /* An O_PATH descriptor names a file but allows no IO on it. */
    fd = open("/dev/null", O_PATH | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    if (cio_file_from_fd(&f, fd) == 0) {
        ck_assert_int_eq(cio_file_set_len(f, 0), CIO_EBADF);
        ck_assert_int_eq(cio_file_close(f), 0);
    } else {
        close(fd);
    }
#endif
    ck_assert_int_eq(rmdir(dir), 0);
    return 0;
}

START_TEST(t_file_errors)
{
    cio_file *f = NULL;
#ifdef _WIN32
    int fd = open("NUL", O_RDONLY);
#else
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
#endif

    /* No runtime on this thread: refused, and the fd stays ours. */
    ck_assert_int_ne(fd, -1);
    ck_assert_int_eq(cio_file_from_fd(&f, (cio_fd)fd), CIO_EPERM);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(close(fd), 0);
    cio_test_api_run(_i, file_errors_body, NULL);
}
END_TEST

#ifdef _WIN32
/*
 * The second file system: wine's Z: is the host's /, and /dev/shm a
 * tmpfs there, while %TEMP% is in the wine prefix. Whether the two are
 * separate only the host knows: a rename that works says they are not.
 */
#define XDEV_DIR "Z:\\dev\\shm"
#define getpid _getpid
#else
#define XDEV_DIR "/dev/shm"
#endif

static int
exdev_body(void *arg)
{
    char a[PATH_MAX], from[PATH_MAX + 8], to[PATH_MAX];
    struct stat s1, s2;
    cio_file *f;
    int r;

    (void)arg;
    ck_assert_ptr_nonnull(cio_test_mkdtemp(a, sizeof a));
    if (stat(a, &s1) != 0 || stat(XDEV_DIR, &s2) != 0 ||
#ifndef _WIN32
        s1.st_dev == s2.st_dev ||
#endif
        access(XDEV_DIR, W_OK) != 0) {
        printf("# no second writable file system (" XDEV_DIR "): EXDEV not "
               "checked\n");
        ck_assert_int_eq(rmdir(a), 0);
        return 0;
    }
    snprintf(from, sizeof from, "%s/f", a);
    snprintf(to, sizeof to, XDEV_DIR "/cio-err-fs-%d", (int)getpid());
    ck_assert_int_eq(cio_file_open(&f, from, CIO_O_WRONLY | CIO_O_CREAT, 0644),
                     0);
    ck_assert_int_eq(cio_file_close(f), 0);
    r = cio_fs_rename(from, to);
#ifdef _WIN32
    if (r == 0) {
        printf("# %s and " XDEV_DIR " are one file system: EXDEV not "
               "checked\n", a);
        ck_assert_int_eq(cio_fs_unlink(to), 0);
        ck_assert_int_eq(rmdir(a), 0);
        return 0;
    }
#endif
    ck_assert_int_eq(r, CIO_EXDEV);
    ck_assert_int_eq(cio_fs_link(from, to), CIO_EXDEV);
    ck_assert_int_eq(access(to, F_OK), -1);
    ck_assert_int_eq(cio_fs_unlink(from), 0);
    ck_assert_int_eq(rmdir(a), 0);
    return 0;
}

START_TEST(t_exdev)
{
    cio_test_api_run(_i, exdev_body, NULL);
}
END_TEST

/* ---- processes ---- */

static int
noexec_body(void *arg)
{
    char dir[PATH_MAX], prog[PATH_MAX + 8];
    cio_command *cmd;
    cio_child *child = NULL;
    int fd;

    (void)arg;
    /* valgrind runs exec itself in the child: the failure is not seen. */
    if (cio_test_under_valgrind()) {
        printf("# under valgrind: exec failures not checked\n");
        return 0;
    }
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof dir));
#ifdef _WIN32
    /* Named .exe, but no PE image: CreateProcess says bad format. */
    snprintf(prog, sizeof prog, "%s\\garbage.exe", dir);
    fd = open(prog, O_WRONLY | O_CREAT, 0755);
    ck_assert_int_ne(fd, -1);
#else
    snprintf(prog, sizeof prog, "%s/garbage", dir);
    /* Executable bits, but neither ELF nor "#!": exec says ENOEXEC. */
    fd = open(prog, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    ck_assert_int_ge(fd, 0);
#endif
    ck_assert_int_eq(write(fd, "\x01\x02\x03garbage\n", 11), 11);
    ck_assert_int_eq(close(fd), 0);
    ck_assert_int_eq(cio_command_new(&cmd, prog), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), CIO_ENOEXEC);
    ck_assert_ptr_null(child);
    cio_command_free(cmd);
    ck_assert_int_eq(unlink(prog), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    return 0;
}

START_TEST(t_noexec)
{
    ck_assert_int_eq(cio_command_env_clear(NULL), CIO_EINVAL);
    cio_test_api_run(_i, noexec_body, NULL);
}
END_TEST

static int
spawn_true(void *arg)
{
    cio_command *cmd;

#ifdef _WIN32
    /* Windows' true: cmd.exe /c exit 0. */
    ck_assert_int_eq(cio_command_new(&cmd, "cmd.exe"), 0);
    ck_assert_int_eq(cio_command_arg(cmd, "/c"), 0);
    ck_assert_int_eq(cio_command_arg(cmd, "exit 0"), 0);
#else
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
#endif
    ck_assert_int_eq(cio_command_spawn(cmd, (cio_child **)arg), 0);
    cio_command_free(cmd);
    return 0;
}

static int
wait_child(void *arg)
{
    cio_exit_status st;

    ck_assert_int_eq(cio_child_wait(arg, &st), 0);
    ck_assert(cio_exit_success(&st));
    cio_child_free(arg);
    return 0;
}

START_TEST(t_wait_outside_task)
{
    cio_runtime *rt = cio_test_api_runtime(_i);
    cio_child *child;
    cio_exit_status st;

    if (rt == NULL)
        return;
    ck_assert_int_eq(cio_block_on(rt, spawn_true, &child), 0);
    /* On the child's runtime thread, but not in a task. */
    ck_assert_int_eq(cio_child_wait(child, &st), CIO_EPERM);
    ck_assert_int_eq(cio_block_on(rt, wait_child, child), 0);
    cio_runtime_free(rt);
}
END_TEST

/* ---- the descriptor table full ---- */

#ifndef _WIN32
/*
 * Not on Windows: it has no per-process limit to lower (RLIMIT_NOFILE;
 * its handle table holds some 16 million), so EMFILE cannot be made
 * there in a test's time.
 */
typedef struct fill {
    struct rlimit saved;
    int fds[64];
    int n;
} fill;

/* Lower the limit to a few above the highest fd in use, then take the
 * rest: the next descriptor anybody makes is EMFILE. */
static void
fill_fds(fill *fl)
{
    struct rlimit rl;
    int fd;

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &fl->saved), 0);
    fd = dup(0);
    ck_assert_int_ge(fd, 0);
    close(fd);
    rl = fl->saved;
    rl.rlim_cur = (rlim_t)fd + 32;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    fl->n = 0;
    while (fl->n < 64 && (fd = fcntl(0, F_DUPFD_CLOEXEC, 0)) >= 0)
        fl->fds[fl->n++] = fd;
    ck_assert_int_lt(fl->n, 64);
    ck_assert_int_eq(errno, EMFILE);
}

static void
unfill_fds(fill *fl)
{
    while (fl->n > 0)
        close(fl->fds[--fl->n]);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &fl->saved), 0);
}

static int
emfile_body(void *arg)
{
    char dir[PATH_MAX];
    cio_tcp_listener *l, *l2 = NULL;
    cio_tcp_stream *c, *s = NULL;
    cio_stream *r = NULL, *w = NULL;
    cio_signal_listener *sl = NULL;
    cio_command *cmd;
    cio_child *child = NULL;
    cio_file *f = NULL;
    cio_sockaddr a;
    fill fl;

    (void)arg;
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof dir));
    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 0), 0);
    ck_assert_int_eq(cio_tcp_listen(&l, &a, NULL), 0);
    ck_assert_int_eq(cio_tcp_listener_local_addr(l, &a), 0);
    ck_assert_int_eq(cio_tcp_connect(&c, &a), 0);
    ck_assert_int_eq(cio_command_new(&cmd, "/bin/true"), 0);
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);

    fill_fds(&fl);
    ck_assert_int_eq(cio_file_open(&f, dir, CIO_O_RDONLY, 0), CIO_EMFILE);
    ck_assert_int_eq(cio_pipe(&r, &w), CIO_EMFILE);
    ck_assert_int_eq(cio_tcp_listen(&l2, &a, NULL), CIO_EMFILE);
    /* The pending connection stays queued for a later accept. */
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), CIO_EMFILE);
    ck_assert_int_eq(cio_signal_listen(&sl, SIGUSR2), CIO_EMFILE);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), CIO_EMFILE);
    unfill_fds(&fl);
    ck_assert_ptr_null(f);
    ck_assert_ptr_null(r);
    ck_assert_ptr_null(w);
    ck_assert_ptr_null(l2);
    ck_assert_ptr_null(s);
    ck_assert_ptr_null(sl);
    ck_assert_ptr_null(child);

    /* Everything works again. */
    ck_assert_int_eq(cio_tcp_accept(l, &s, NULL), 0);
    ck_assert_int_eq(cio_tcp_write(c, "k", 1), 1);
    {
        char b;
        ck_assert_int_eq(cio_tcp_read(s, &b, 1), 1);
    }
    ck_assert_int_eq(cio_pipe(&r, &w), 0);
    ck_assert_int_eq(cio_stream_close(r), 0);
    ck_assert_int_eq(cio_stream_close(w), 0);
    ck_assert_int_eq(cio_signal_listen(&sl, SIGUSR2), 0);
    ck_assert_int_eq(cio_signal_unlisten(sl), 0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    ck_assert_int_eq(cio_child_wait(child, NULL), 0);
    cio_child_free(child);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_tcp_close(s), 0);
    ck_assert_int_eq(cio_tcp_close(c), 0);
    ck_assert_int_eq(cio_tcp_listener_close(l), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    return 0;
}

START_TEST(t_emfile)
{
    /* valgrind emulates RLIMIT_NOFILE and keeps descriptors of its own
     * above it: the table cannot be filled the same way. */
    if (cio_test_under_valgrind()) {
        printf("# under valgrind: RLIMIT_NOFILE is emulated, not run\n");
        return;
    }
    cio_test_api_run(_i, emfile_body, NULL);
}
END_TEST
#endif /* !_WIN32 */

/* ---- permissions (as nobody when run as root) ---- */

#ifdef _WIN32
/*
 * Windows: of the permission errors only the listener's is made, its
 * own way: a port another socket holds with SO_EXCLUSIVEADDRUSE is
 * WSAEACCES to a bind that would share it (SO_REUSEADDR). The rest is
 * not done here: wine checks the Unix user's permissions, not ACLs,
 * and as root (as in CI) passes them all; and wine 8 has no AF_UNIX
 * for the socket ones.
 */
typedef struct excl_port {
    cio_sockaddr addr;
} excl_port;

static int
excl_body(void *arg)
{
    excl_port *p = arg;
    cio_tcp_listener *tl = NULL;
    cio_bind_opts o = {0, CIO_BIND_REUSEADDR};

    ck_assert_int_eq(cio_tcp_listen(&tl, &p->addr, &o), CIO_EACCES);
    ck_assert_ptr_null(tl);
    return 0;
}

START_TEST(t_eacces)
{
    struct sockaddr_in sin;
    int len = sizeof sin, one = 1;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    excl_port p;

    ck_assert(s != INVALID_SOCKET);
    ck_assert_int_eq(
        setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &one, sizeof one), 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
    ck_assert_int_eq(cio_sockaddr_loopback(&p.addr, AF_INET,
                                           ntohs(sin.sin_port)),
                     0);
    cio_test_api_run(_i, excl_body, &p);
    closesocket(s);
}
END_TEST
#else
typedef struct perm {
    char base[PATH_MAX];
    char closed[PATH_MAX + 16];   /* Mode 0: no search. */
    char readonly[PATH_MAX + 16]; /* 0555: no new entries. */
    char sock[PATH_MAX + 16];     /* A listening socket, mode 0. */
} perm;

static int
perm_body(void *arg)
{
    perm *p = arg;
    char path[PATH_MAX + 32];
    cio_dir *d = NULL;
    cio_stat st;
    cio_unix_listener *ul = NULL;
    cio_unix_stream *us = NULL;
    cio_tcp_listener *tl = NULL;
    cio_sockaddr a;

    ck_assert_int_eq(cio_dir_open(&d, p->closed), CIO_EACCES);
    ck_assert_ptr_null(d);
    snprintf(path, sizeof path, "%s/file", p->closed);
    ck_assert_int_eq(cio_fs_stat(path, &st), CIO_EACCES);
    snprintf(path, sizeof path, "%s/sock", p->readonly);
    ck_assert_int_eq(cio_sockaddr_unix(&a, path), 0);
    ck_assert_int_eq(cio_unix_listen(&ul, &a, NULL), CIO_EACCES);
    ck_assert_ptr_null(ul);
    ck_assert_int_eq(cio_sockaddr_unix(&a, p->sock), 0);
    ck_assert_int_eq(cio_unix_connect(&us, &a), CIO_EACCES);
    ck_assert_ptr_null(us);
    /* Ports below ip_unprivileged_port_start need privilege. */
    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 1), 0);
    ck_assert_int_eq(cio_tcp_listen(&tl, &a, NULL), CIO_EACCES);
    ck_assert_ptr_null(tl);
    return 0;
}

static int
unpriv_port_start(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
    int v = 1024;

    if (f != NULL) {
        if (fscanf(f, "%d", &v) != 1)
            v = 1024;
        fclose(f);
    }
    return v;
}

START_TEST(t_eacces)
{
    struct sockaddr_un sun;
    perm p;
    int lfd, fd, dropped = 0;

    if (geteuid() == 0) {
        const char *fork_mode = getenv("CK_FORK");
        if (fork_mode != NULL && strcmp(fork_mode, "no") == 0) {
            printf("# CK_FORK=no: not changing user\n");
            return;
        }
    }
    if (unpriv_port_start() < 2) {
        printf("# every port is unprivileged here: not run\n");
        return;
    }
    ck_assert_ptr_nonnull(cio_test_mkdtemp(p.base, sizeof p.base));
    ck_assert_int_eq(chmod(p.base, 0755), 0);
    snprintf(p.closed, sizeof p.closed, "%s/closed", p.base);
    snprintf(p.readonly, sizeof p.readonly, "%s/ro", p.base);
    snprintf(p.sock, sizeof p.sock, "%s/sock", p.base);
    ck_assert_int_eq(mkdir(p.closed, 0700), 0);
    ck_assert_int_eq(mkdir(p.readonly, 0555), 0);
    {
        char file[PATH_MAX + 32];
        snprintf(file, sizeof file, "%s/file", p.closed);
        fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        close(fd);
    }
    ck_assert_int_eq(chmod(p.closed, 0), 0);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ck_assert_uint_lt(strlen(p.sock), sizeof sun.sun_path);
    strcpy(sun.sun_path, p.sock);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);
    ck_assert_int_eq(chmod(p.sock, 0), 0);

    /*
     * Root passes every permission check: as root, become nobody for
     * the checks (effective ids only, so root comes back for the
     * cleanup; the runtime is made after the switch, so its threads and
     * the kernel's io workers act as nobody too). Check runs the case
     * in a child process.
     */
    if (geteuid() == 0) {
        ck_assert_int_eq(setgroups(0, NULL), 0);
        ck_assert_int_eq(setresgid(65534, 65534, 0), 0);
        ck_assert_int_eq(setresuid(65534, 65534, 0), 0);
        dropped = 1;
    }
    cio_test_api_run(_i, perm_body, &p);
    if (dropped) {
        ck_assert_int_eq(setresuid(0, 0, 0), 0);
        ck_assert_int_eq(setresgid(0, 0, 0), 0);
    }
    chmod(p.closed, 0700);

    close(lfd);
    unlink(p.sock);
    {
        char file[PATH_MAX + 32];
        snprintf(file, sizeof file, "%s/file", p.closed);
        unlink(file);
    }
    rmdir(p.closed);
    rmdir(p.readonly);
    rmdir(p.base);
}
END_TEST
#endif /* _WIN32 */

#ifdef _WIN32
/* Report case @name, compiled out here, as a TAP SKIP for @reason. */
#define ERR_SKIP(s, name, reason)                                              \
    do {                                                                       \
        static const TTest name##_skip = {#name, NULL, __FILE__, __LINE__};   \
        cio_test_skip_case((s), &name##_skip, (reason));                       \
    } while (0)
#endif

int
main(void)
{
    Suite *s = suite_create("err_fs");
    TCase *tc = tcase_create("errors");

    cio_test_api_require_one();
    tcase_add_loop_test(tc, t_file_errors, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_exdev, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_noexec, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_wait_outside_task, 0, CIO_TEST_NBACKENDS);
#ifdef _WIN32
    suite_add_tcase(s, tc);
    tcase_add_loop_test(tc, t_eacces, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, tc);
    ERR_SKIP(s, t_emfile, "no RLIMIT_NOFILE on Windows to fill up to");
#else
    tcase_add_loop_test(tc, t_emfile, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, t_eacces, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, tc);
#endif
    return cio_test_run(s);
}
