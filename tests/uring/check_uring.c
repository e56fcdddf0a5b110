/* SPDX-License-Identifier: MIT */
/*
 * check_uring.c - what only the io_uring backend has to prove, beyond the
 * conformance suite: the per-op fallback to the pool (disable_ops), the
 * refusal under a seccomp filter and the fallback of "auto" to epoll,
 * the SQ-full and CQ-overflow paths, knob validation, a set-up flag the
 * kernel rejects being dropped, notify from another thread, closing
 * a driver with thousands of ops in flight, and the batch paths of
 * module ABI 1.3 (completions that do not fit in the caller's entries
 * stay in the CQ, in order). The tests that close drivers with ops in
 * flight run twice: with IORING_ASYNC_CANCEL_ANY and, through the
 * cancel_any = no knob, with the module's own list of its ops, as on
 * kernels before 5.19.
 *
 * Every test goes through the public driver API only. The program SKIPs
 * (exit 77) when io_uring cannot run here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"
#include "cio_test_driver.h"

/* ---- helpers ---- */

/*
 * Open a uring driver (fallback = no) with [module.uring] settings
 * given as "key", "value", ..., NULL. Returns cio_driver_open's result.
 */
static int
open_uring(cio_driver **drv, ...)
{
    cio_config *cfg = NULL;
    const char *k;
    va_list ap;
    int r;
    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "uring"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    va_start(ap, drv);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        ck_assert_int_eq(cio_config_set(cfg, "module.uring", k, v), 0);
    }
    va_end(ap);
    *drv = NULL;
    r = cio_driver_open(drv, cfg);
    cio_config_free(cfg);
    return r;
}

/*
 * For the tests that run twice (tcase_add_loop_test): on round 1 the
 * last knob is cancel_any = no; on round 0 the NULL key ends the list.
 */
#define CANCEL_KNOB(i) ((i) ? "cancel_any" : NULL), "no"

static cio_driver *
must_open(cio_driver **pdrv, int r)
{
    cio_driver *drv = *pdrv;
    ck_assert_msg(r == 0, "cio_driver_open(uring): %s: %s", cio_errname(r),
                  cio_error_detail());
    ck_assert_str_eq(cio_driver_backend(drv), "uring");
    return drv;
}

static int32_t
run1(cio_driver *drv, cio_op *op)
{
    cio_entry e;
    cio_test_push(drv, op, 99);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_ptr_eq(e.op, op);
    return e.result;
}

/* Raise RLIMIT_NOFILE towards @want; returns the soft limit reached. */
static rlim_t
want_fds(rlim_t want)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

/* ---- per-op fallback ---- */

/* What a sequence of file-system and misc ops returned. */
typedef struct fs_results {
    int32_t r[20];
    int64_t size_after_truncate;
    uint64_t statx_size;
    char readback[16];
} fs_results;

/*
 * Run mkdirat, openat, writev_at, fsync, fdatasync, ftruncate, statx,
 * readv_at, renameat, symlinkat, linkat, close, unlinkat (file and
 * dir), socket and splice
 * through @drv in @dir and record every result.
 */
static void
fs_sequence(cio_driver *drv, const char *dir, fs_results *out)
{
    char sub[PATH_MAX + 8], f1[PATH_MAX + 16], f2[PATH_MAX + 16];
    char sl[PATH_MAX + 16], hl[PATH_MAX + 16], text[8];
    struct statx stx;
    char a[] = "hello ", b[] = "world!";
    char ra[6], rb[6];
    cio_iovec wv[2] = {{a, 6}, {b, 6}}, rv[2] = {{ra, 6}, {rb, 6}};
    int p[2], q[2], fd;
    cio_op op;
    struct stat st;

    memset(out, 0, sizeof(*out));
    snprintf(sub, sizeof(sub), "%s/d", dir);
    snprintf(f1, sizeof(f1), "%s/d/f1", dir);
    snprintf(f2, sizeof(f2), "%s/d/f2", dir);
    snprintf(sl, sizeof(sl), "%s/d/sym", dir);
    snprintf(hl, sizeof(hl), "%s/d/hard", dir);

    cio_op_mkdirat(&op, CIO_AT_FDCWD, sub, 0700);
    out->r[0] = run1(drv, &op);
    cio_op_openat(&op, CIO_AT_FDCWD, f1, O_RDWR | O_CREAT | O_EXCL, 0600);
    out->r[1] = fd = run1(drv, &op);
    ck_assert_int_ge(fd, 0);
    /* OPENAT adds O_CLOEXEC on every path. */
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    cio_op_vec(&op, CIO_OP_WRITEV_AT, fd, wv, 2, 4);
    out->r[2] = run1(drv, &op);
    cio_op_fsync(&op, fd, 0);
    out->r[3] = run1(drv, &op);
    cio_op_fsync(&op, fd, 1);
    out->r[4] = run1(drv, &op);
    cio_op_ftruncate(&op, fd, 10);
    out->r[5] = run1(drv, &op);
    ck_assert_int_eq(fstat(fd, &st), 0);
    out->size_after_truncate = (int64_t)st.st_size;
    memset(&stx, 0, sizeof(stx));
    cio_op_statx(&op, CIO_AT_FDCWD, f1, 0, STATX_SIZE, &stx);
    out->r[6] = run1(drv, &op);
    out->statx_size = stx.stx_size;
    memset(ra, 0, sizeof(ra));
    memset(rb, 0, sizeof(rb));
    cio_op_vec(&op, CIO_OP_READV_AT, fd, rv, 2, 0);
    out->r[7] = run1(drv, &op);
    memcpy(out->readback, ra, 6);
    memcpy(out->readback + 6, rb, 6);
    cio_op_renameat(&op, CIO_AT_FDCWD, f1, CIO_AT_FDCWD, f2, 0);
    out->r[8] = run1(drv, &op);
    cio_op_symlinkat(&op, "f2", CIO_AT_FDCWD, sl);
    out->r[15] = run1(drv, &op);
    memset(text, 0, sizeof(text));
    ck_assert_int_eq(readlink(sl, text, sizeof(text) - 1), 2);
    ck_assert_str_eq(text, "f2");
    cio_op_linkat(&op, CIO_AT_FDCWD, f2, CIO_AT_FDCWD, hl, 0);
    out->r[16] = run1(drv, &op);
    ck_assert_int_eq(stat(hl, &st), 0);
    ck_assert_int_eq((int)st.st_nlink, 2);
    cio_op_linkat(&op, CIO_AT_FDCWD, f2, CIO_AT_FDCWD, hl, 0);
    out->r[17] = run1(drv, &op); /* EEXIST */
    cio_op_unlinkat(&op, CIO_AT_FDCWD, sl, 0);
    out->r[18] = run1(drv, &op);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, hl, 0);
    out->r[19] = run1(drv, &op);
    cio_op_close(&op, fd);
    out->r[9] = run1(drv, &op);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, f2, 0);
    out->r[10] = run1(drv, &op);
    cio_op_unlinkat(&op, CIO_AT_FDCWD, f2, 0);
    out->r[11] = run1(drv, &op); /* ENOENT: errors match too. */
    cio_op_unlinkat(&op, CIO_AT_FDCWD, sub, AT_REMOVEDIR);
    out->r[12] = run1(drv, &op);
    cio_op_socket(&op, AF_UNIX, SOCK_STREAM, 0);
    fd = run1(drv, &op);
    out->r[13] = fd >= 0;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(q, O_CLOEXEC), 0);
    ck_assert_int_eq(write(p[1], "splice", 6), 6);
    cio_op_splice(&op, p[0], -1, q[1], -1, 6, 0);
    out->r[14] = run1(drv, &op);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static const unsigned fs_opcodes[] = {
    CIO_OP_MKDIRAT,  CIO_OP_OPENAT,   CIO_OP_WRITEV_AT, CIO_OP_FSYNC,
    CIO_OP_FDATASYNC, CIO_OP_FTRUNCATE, CIO_OP_STATX,   CIO_OP_READV_AT,
    CIO_OP_RENAMEAT, CIO_OP_CLOSE,    CIO_OP_UNLINKAT,  CIO_OP_SOCKET,
    CIO_OP_SPLICE,   CIO_OP_SYMLINKAT, CIO_OP_LINKAT};
#define N_FS_OPCODES (sizeof(fs_opcodes) / sizeof(fs_opcodes[0]))

START_TEST(t_disable_ops)
{
    char dir[PATH_MAX];
    cio_driver *drv;
    fs_results nat, pooled;
    int fds0 = cio_test_count_fds();

    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    /* Natively: this kernel (6.9+) has every one of these opcodes. */
    drv = must_open(&drv, open_uring(&drv, NULL));
    for (size_t i = 0; i < N_FS_OPCODES; i++)
        ck_assert_msg(cio_driver_supports(drv, fs_opcodes[i]) ==
                          CIO_SUPPORT_NATIVE,
                      "%s not native", cio_opcode_name(fs_opcodes[i]));
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_BLOCKING),
                     CIO_SUPPORT_POOLED);
    fs_sequence(drv, dir, &nat);
    cio_driver_close(drv);

    /* The same sequence with every one of them forced to the pool. */
    drv = must_open(&drv, open_uring(&drv, "disable_ops",
                                    " mkdirat,openat , writev_at,fsync,"
                                    "fdatasync,ftruncate,statx,readv_at,"
                                    "renameat,close,unlinkat,socket,splice,"
                                    "symlinkat,linkat",
                                    NULL));
    for (size_t i = 0; i < N_FS_OPCODES; i++)
        ck_assert_msg(cio_driver_supports(drv, fs_opcodes[i]) ==
                          CIO_SUPPORT_POOLED,
                      "%s not pooled", cio_opcode_name(fs_opcodes[i]));
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_READ_AT),
                     CIO_SUPPORT_NATIVE);
    fs_sequence(drv, dir, &pooled);
    cio_driver_close(drv);

    for (int i = 0; i < 20; i++)
        ck_assert_msg(nat.r[i] == pooled.r[i] || i == 1,
                      "step %d: native %d, pooled %d", i, (int)nat.r[i],
                      (int)pooled.r[i]);
    /* The expected values themselves. */
    ck_assert_int_eq(nat.r[0], 0);
    ck_assert_int_eq(nat.r[2], 12);
    ck_assert_int_eq(nat.r[5], 0);
    ck_assert_int_eq(nat.size_after_truncate, 10);
    ck_assert_int_eq(pooled.size_after_truncate, 10);
    ck_assert_uint_eq(nat.statx_size, 10);
    ck_assert_uint_eq(pooled.statx_size, 10);
    ck_assert_int_eq(nat.r[7], 10);
    ck_assert_mem_eq(nat.readback, "\0\0\0\0hello ", 10);
    ck_assert_mem_eq(pooled.readback, nat.readback, 10);
    ck_assert_int_eq(nat.r[11], CIO_ENOENT);
    ck_assert_int_eq(nat.r[14], 6);
    ck_assert_int_eq(nat.r[15], 0);
    ck_assert_int_eq(nat.r[16], 0);
    ck_assert_int_eq(nat.r[17], CIO_EEXIST);
    ck_assert_int_eq(nat.r[18], 0);
    ck_assert_int_eq(nat.r[19], 0);
    rmdir(dir);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- seccomp: io_uring_setup refused ---- */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define CHILD_CHECK(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            _exit(10);                                                        \
        }                                                                     \
    } while (0)

#ifdef TEST_AUDIT_ARCH
/* Make io_uring_setup fail with EPERM in this process, as Docker does. */
static int
deny_io_uring(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & 0xffff)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return -errno;
    return 0;
}

static void
seccomp_child(void)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    cio_driver *drv = NULL;
    const char *d;
    int found = 0, r;

    CHILD_CHECK(deny_io_uring() == 0);
    CHILD_CHECK(syscall(__NR_io_uring_setup, 2, NULL) < 0 && errno == EPERM);

    /* auto: uring is refused with its reason, epoll is chosen. */
    CHILD_CHECK(cio_config_new(&cfg) == 0);
    CHILD_CHECK(cio_config_set(cfg, "runtime", "backend", "auto") == 0);
    CHILD_CHECK(cio_backend_scan(cfg, &list) == 0);
    CHILD_CHECK(list->chosen != NULL && strcmp(list->chosen, "epoll") == 0);
    CHILD_CHECK(list->chosen_why != NULL &&
                strstr(list->chosen_why, "uring") != NULL &&
                strstr(list->chosen_why, "Operation not permitted") != NULL);
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i].name, "uring") != 0)
            continue;
        found = 1;
        CHILD_CHECK(list->items[i].status == CIO_EPERM);
        CHILD_CHECK(strstr(list->items[i].reason, "io_uring_setup") != NULL);
        CHILD_CHECK(strstr(list->items[i].reason, "seccomp") != NULL ||
                    strstr(list->items[i].reason, "io_uring_disabled") !=
                        NULL);
    }
    CHILD_CHECK(found);
    cio_backend_list_free(list);
    r = cio_driver_open(&drv, cfg);
    CHILD_CHECK(r == 0 && strcmp(cio_driver_backend(drv), "epoll") == 0);
    cio_driver_close(drv);
    cio_config_free(cfg);

    /* uring named, no fallback: a clear failure carrying the reason. */
    CHILD_CHECK(cio_config_new(&cfg) == 0);
    CHILD_CHECK(cio_config_set(cfg, "runtime", "backend", "uring") == 0);
    CHILD_CHECK(cio_config_set(cfg, "runtime", "fallback", "no") == 0);
    drv = NULL;
    r = cio_driver_open(&drv, cfg);
    CHILD_CHECK(r < 0 && drv == NULL);
    d = cio_error_detail();
    fprintf(stderr, "child: detail: %s\n", d);
    CHILD_CHECK(d != NULL && strstr(d, "uring") != NULL &&
                strstr(d, "io_uring_setup") != NULL &&
                strstr(d, "Operation not permitted") != NULL);
    cio_config_free(cfg);
    _exit(0);
}
#endif

START_TEST(t_seccomp_refusal)
{
#ifdef TEST_AUDIT_ARCH
    pid_t pid;
    int status;
    /* valgrind 3.19 does not implement seccomp(2): no filter to test. */
    if (cio_test_under_valgrind()) {
        printf("# under valgrind: seccomp(2) not available, not run\n");
        return;
    }
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        seccomp_child();
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "seccomp child failed (status 0x%x); see its stderr",
                  status);
#else
    printf("# no seccomp arch constant for this CPU: case skipped\n");
#endif
}
END_TEST

/* ---- SQ full and CQ overflow ---- */

#define FLOOD_NOPS 5000
#define FLOOD_READS 2000
#define FLOOD_POLLS 1000
#define FLOOD_TOTAL (FLOOD_NOPS + FLOOD_READS + FLOOD_POLLS)

START_TEST(t_sq_full_cq_overflow)
{
    char dir[PATH_MAX], path[PATH_MAX + 8];
    unsigned char data[256], *rbuf;
    cio_driver *drv;
    cio_op *ops;
    cio_entry *e;
    unsigned char *seen;
    int fd, sv[2], got = 0, fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, "entries", "4", "cq_entries", "8",
                                     CANCEL_KNOB(_i), NULL));
    ops = calloc(FLOOD_TOTAL, sizeof(*ops));
    e = calloc(FLOOD_TOTAL, sizeof(*e));
    seen = calloc(FLOOD_TOTAL, 1);
    rbuf = calloc(FLOOD_READS, 1);
    ck_assert(ops && e && seen && rbuf);
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)i;
    ck_assert_int_eq(write(fd, data, sizeof(data)), (int)sizeof(data));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);

    /*
     * 8,000 ops into a 4-entry SQ without a poll in between: submit has
     * to flush the SQ itself. The 1,000 POLL_ADDs wait in the kernel
     * until one write makes them all complete at once into an 8-entry
     * CQ: the kernel's overflow list has to give every CQE back.
     */
    for (int k = 0; k < FLOOD_TOTAL; k++) {
        if (k < FLOOD_NOPS)
            cio_op_nop(&ops[k]);
        else if (k < FLOOD_NOPS + FLOOD_READS)
            cio_op_read_at(&ops[k], fd, &rbuf[k - FLOOD_NOPS], 1,
                           (uint64_t)(k % 256));
        else
            cio_op_poll_add(&ops[k], sv[0], CIO_POLL_IN);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), FLOOD_TOTAL);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    /* Let every POLL_ADD complete before the first poll. */
    usleep(100000);
    cio_test_reap(drv, e, FLOOD_TOTAL, 60000);
    for (int i = 0; i < FLOOD_TOTAL; i++) {
        uint64_t k = e[i].user_data;
        ck_assert_uint_lt(k, FLOOD_TOTAL);
        ck_assert_ptr_eq(e[i].op, &ops[k]);
        ck_assert_msg(!seen[k], "op %llu delivered twice",
                      (unsigned long long)k);
        seen[k] = 1;
        got++;
        if (k < FLOOD_NOPS)
            ck_assert_int_eq(e[i].result, 0);
        else if (k < FLOOD_NOPS + FLOOD_READS) {
            ck_assert_int_eq(e[i].result, 1);
            ck_assert_uint_eq(rbuf[k - FLOOD_NOPS], (unsigned)(k % 256));
        } else
            ck_assert_int_eq(e[i].result & CIO_POLL_IN, CIO_POLL_IN);
    }
    ck_assert_int_eq(got, FLOOD_TOTAL);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    /* Nothing more, ever: no duplicate, no stray internal CQE. */
    ck_assert_int_eq(cio_driver_poll(drv, 50, e, 1), 0);
    cio_driver_close(drv);
    close(fd);
    close(sv[0]);
    close(sv[1]);
    unlink(path);
    rmdir(dir);
    free(ops);
    free(e);
    free(seen);
    free(rbuf);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- knob validation ---- */

static void
expect_bad(const char *key, const char *value, const char *key2,
           const char *value2, const char *needle)
{
    cio_driver *drv;
    const char *d;
    int r;
    if (key2 != NULL)
        r = open_uring(&drv, key, value, key2, value2, NULL);
    else
        r = open_uring(&drv, key, value, NULL);
    ck_assert_msg(r == CIO_EINVAL, "%s = %s: got %s", key, value,
                  cio_errname(r));
    ck_assert_ptr_null(drv);
    d = cio_error_detail();
    ck_assert_msg(d != NULL && strstr(d, needle) != NULL,
                  "%s = %s: detail '%s' lacks '%s'", key, value,
                  d ? d : "(null)", needle);
}

START_TEST(t_knob_validation)
{
    int fds0 = cio_test_count_fds();
    cio_driver *drv;
    expect_bad("entries", "0", NULL, NULL, "entries = '0'");
    expect_bad("entries", "12x", NULL, NULL, "entries");
    expect_bad("entries", "40000", NULL, NULL, "1..32768");
    expect_bad("entries", "-1", NULL, NULL, "entries");
    expect_bad("cq_entries", "100000", NULL, NULL, "cq_entries");
    expect_bad("entries", "64", "cq_entries", "16", "less than");
    expect_bad("sqpoll", "maybe", NULL, NULL, "want yes or no");
    expect_bad("sqpoll_cpu", "0", NULL, NULL, "needs sqpoll = yes");
    expect_bad("sqpoll_idle_ms", "10", NULL, NULL, "needs sqpoll = yes");
    expect_bad("single_issuer", "no", "defer_taskrun", "yes",
               "needs single_issuer");
    expect_bad("single_issuer", "no", "taskrun_flag", "yes",
               "needs coop_taskrun or defer_taskrun");
    expect_bad("disable_ops", "read_at,bogus", NULL, NULL, "'bogus'");
    expect_bad("cancel_any", "maybe", NULL, NULL, "cancel_any");
    expect_bad("valgrind", "yes", NULL, NULL, "want auto or no");
    /* Good values are taken. */
    drv = must_open(&drv, open_uring(&drv, "entries", "8", "cq_entries", "64",
                                    "coop_taskrun", "on", "single_issuer",
                                    "no", "taskrun_flag", "yes", NULL));
    cio_driver_close(drv);
    drv = must_open(&drv, open_uring(&drv, "valgrind", "no", NULL));
    cio_driver_close(drv);
    drv = must_open(&drv, open_uring(&drv, "valgrind", "AUTO", NULL));
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- a set-up flag the kernel rejects is dropped ---- */

/*
 * Open with @k1=@v1, @k2=@v2 and stderr captured; the driver must work
 * (a NOP and a pipe read round trip) and the log must name @dropped.
 */
static void
expect_dropped(const char *k1, const char *v1, const char *k2,
               const char *v2, const char *dropped)
{
    char logpath[] = "/tmp/cio-uring-log-XXXXXX", log[4096];
    cio_driver *drv;
    cio_op op, rd;
    char buf[4];
    int lfd, saved, r, p[2];
    ssize_t n;

    lfd = mkstemp(logpath);
    ck_assert_int_ge(lfd, 0);
    unlink(logpath);
    fflush(stderr);
    saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(lfd, 2), 2);
    r = open_uring(&drv, k1, v1, k2, v2, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(lfd, log, sizeof(log) - 1, 0);
    close(lfd);
    log[n > 0 ? n : 0] = '\0';
    must_open(&drv, r);
    ck_assert_msg(strstr(log, "rejected") != NULL &&
                      strstr(log, dropped) != NULL,
                  "log lacks the dropped %s: '%s'", dropped, log);
    cio_op_nop(&op);
    ck_assert_int_eq(run1(drv, &op), 0);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    cio_op_read(&rd, p[0], buf, sizeof(buf));
    cio_test_push(drv, &rd, 1);
    ck_assert_int_eq(cio_driver_poll(drv, 20, (cio_entry[1]){{0}}, 1), 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    {
        cio_entry e;
        cio_test_reap(drv, &e, 1, 10000);
        ck_assert_ptr_eq(e.op, &rd);
        ck_assert_int_eq(e.result, 3);
    }
    close(p[0]);
    close(p[1]);
    cio_driver_close(drv);
}

START_TEST(t_rejected_flag_dropped)
{
    int fds0 = cio_test_count_fds();
    /* A CPU number past nr_cpu_ids: io_uring_setup says EINVAL. */
    expect_dropped("sqpoll", "yes", "sqpoll_cpu", "100000", "sqpoll_cpu");
    /* DEFER_TASKRUN with SQPOLL: the kernel refuses the combination. */
    expect_dropped("sqpoll", "yes", "defer_taskrun", "yes", "defer_taskrun");
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- notify from another thread ---- */

typedef struct notifier {
    cio_driver *drv;
    atomic_int round;
    int rounds;
} notifier;

static void *
notify_rounds(void *arg)
{
    notifier *nt = arg;
    for (int i = 1; i <= nt->rounds; i++) {
        struct timespec ts = {0, 2000000};
        while (atomic_load(&nt->round) < i)
            sched_yield();
        /* Give the owner time to block in the kernel, usually. */
        nanosleep(&ts, NULL);
        ck_assert_int_eq(cio_driver_notify(nt->drv), 0);
    }
    return NULL;
}

START_TEST(t_notify_thread)
{
    notifier nt;
    pthread_t th;
    cio_entry e;
    cio_op rd;
    char buf[4];
    int sv[2], fds0 = cio_test_count_fds();
    uint64_t t0;

    /* Round 1: the one-shot poll of kernels before 5.13, re-armed and
     * emptied after every wake-up. */
    nt.drv = must_open(&nt.drv,
                       _i ? open_uring(&nt.drv, "notify_multishot", "no", NULL)
                          : open_uring(&nt.drv, NULL));
    atomic_init(&nt.round, 0);
    nt.rounds = 200;
    /* An op stays pending all along: wake-ups must not complete it. */
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    cio_test_push(nt.drv, &rd, 1);
    ck_assert_int_eq(pthread_create(&th, NULL, notify_rounds, &nt), 0);
    t0 = cio_test_now_ms();
    for (int i = 1; i <= nt.rounds; i++) {
        atomic_store(&nt.round, i);
        /* Forever, unless the notify wakes us. */
        ck_assert_int_eq(cio_driver_poll(nt.drv, -1, &e, 1), 0);
    }
    pthread_join(th, NULL);
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    ck_assert_uint_eq(cio_driver_inflight(nt.drv), 1);
    ck_assert_int_eq(write(sv[1], "ok", 2), 2);
    cio_test_reap(nt.drv, &e, 1, 10000);
    ck_assert_ptr_eq(e.op, &rd);
    ck_assert_int_eq(e.result, 2);
    cio_driver_close(nt.drv);
    close(sv[0]);
    close(sv[1]);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* A notify from the pool's threads: BLOCKING ops complete promptly. */
static int64_t
ret_arg(void *arg)
{
    return (int64_t)(intptr_t)arg;
}

START_TEST(t_pool_wakes_ring)
{
    cio_driver *drv;
    cio_op ops[64];
    cio_entry e[64];
    uint64_t t0;
    drv = must_open(&drv, open_uring(&drv, NULL));
    t0 = cio_test_now_ms();
    for (int i = 0; i < 64; i++) {
        cio_op_blocking(&ops[i], ret_arg, (void *)(intptr_t)i);
        cio_test_push(drv, &ops[i], (uint64_t)i);
    }
    cio_test_reap(drv, e, 64, 60000);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(e[i].result, (int32_t)e[i].user_data);
    /* Without the pool's wake the reap's poll would sleep it all. */
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    cio_driver_close(drv);
}
END_TEST

/* ---- teardown with thousands of ops in flight ---- */

START_TEST(t_teardown_thousands)
{
    enum { NRECV = 2000, NTIMER = 1000, NPOLL = 1000, NNOP = 500 };
    enum { TOTAL = NRECV + NTIMER + NPOLL + NNOP };
    int npairs = NRECV / 2, fds0;
    int(*pairs)[2];
    cio_driver *drv;
    cio_op *ops;
    char *bufs;
    int p[2], k = 0;
    uint64_t t0;

    if (want_fds(2 * (rlim_t)npairs + 64) < 2 * (rlim_t)npairs + 64)
        npairs = 200; /* Few descriptors: two recvs per pair, fewer pairs. */
    fds0 = cio_test_count_fds();
    drv = must_open(&drv, open_uring(&drv, "entries", "64", CANCEL_KNOB(_i),
                                    NULL));
    ops = calloc(TOTAL, sizeof(*ops));
    bufs = calloc(TOTAL, 1);
    pairs = calloc((size_t)npairs, sizeof(*pairs));
    ck_assert(ops && bufs && pairs);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    for (int i = 0; i < npairs; i++) {
        ck_assert_int_eq(
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pairs[i]), 0);
        for (int j = 0; j < NRECV / npairs; j++, k++) {
            cio_op_recv(&ops[k], pairs[i][0], &bufs[k], 1, 0);
            cio_test_push(drv, &ops[k], (uint64_t)k);
        }
    }
    for (int i = 0; i < NTIMER; i++, k++) {
        cio_op_timeout(&ops[k], 3600ull * 1000000000u);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    for (int i = 0; i < NPOLL; i++, k++) {
        cio_op_poll_add(&ops[k], p[0], CIO_POLL_IN);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    /* Let the kernel take them all, then queue more it has not seen. */
    ck_assert_int_eq(cio_driver_poll(drv, 10, (cio_entry[1]){{0}}, 1), 0);
    for (int i = 0; i < NNOP; i++, k++) {
        cio_op_nop(&ops[k]);
        cio_test_push(drv, &ops[k], (uint64_t)k);
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), (unsigned)k);
    t0 = cio_test_now_ms();
    cio_driver_close(drv);
    /* Not the timers' hour: far above any delay of a slow run. */
    ck_assert_uint_lt(cio_test_now_ms() - t0, 60000);
    /* No op touched a buffer: nothing was ever sent. */
    for (int i = 0; i < k; i++)
        ck_assert_int_eq(bufs[i], 0);
    for (int i = 0; i < npairs; i++) {
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
    close(p[0]);
    close(p[1]);
    free(ops);
    free(bufs);
    free(pairs);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- cancel paths specific to a completion backend ---- */

START_TEST(t_cancel_unsubmitted_and_running)
{
    cio_driver *drv;
    cio_op rd, nop, tm;
    cio_entry e[3];
    char buf[8];
    int sv[2];
    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    /* Cancelled while its SQE still sits in the SQ: never reaches data. */
    memset(buf, 0xAA, sizeof(buf));
    cio_op_recv(&rd, sv[0], buf, sizeof(buf), 0);
    cio_test_push(drv, &rd, 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &rd), 0);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_ptr_eq(e[0].op, &rd);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    /* A cancel racing a completion: exactly one completion, its own. */
    cio_op_nop(&nop);
    cio_test_push(drv, &nop, 2);
    ck_assert_int_eq(cio_driver_cancel(drv, &nop), 0);
    cio_op_timeout(&tm, 1000000u);
    cio_test_push(drv, &tm, 3);
    cio_test_reap(drv, e, 2, 5000);
    ck_assert_int_eq(nop.result, 0);
    ck_assert_int_eq(tm.result, CIO_ETIME);
    ck_assert_int_eq(cio_driver_poll(drv, 50, e, 3), 0);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

/*
 * POLL_ADD ops carry a marked user_data in the ring (their address |
 * a low bit, so that the reap maps their revents with one test per
 * CQE): in a batch among other ops their completions still name the op
 * and the caller's user_data, and a cancel, which the kernel matches by
 * user_data, still finds them.
 */
START_TEST(t_poll_add_marked)
{
    cio_driver *drv;
    cio_op n1, pa, n2, pi;
    cio_entry e[4];
    int sv[2], i, seen = 0;
    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    /* One batch: NOP, POLL_ADD (writable at once), NOP. */
    cio_op_nop(&n1);
    cio_op_poll_add(&pa, sv[0], CIO_POLL_OUT);
    cio_op_nop(&n2);
    cio_test_push(drv, &n1, 10);
    cio_test_push(drv, &pa, 11);
    cio_test_push(drv, &n2, 12);
    cio_test_reap(drv, e, 3, 5000);
    for (i = 0; i < 3; i++) {
        if (e[i].op == &pa) {
            ck_assert_uint_eq(e[i].user_data, 11);
            ck_assert_int_eq(e[i].result & CIO_POLL_OUT, CIO_POLL_OUT);
            ck_assert_int_eq(pa.result, e[i].result);
            seen |= 2;
        } else if (e[i].op == &n1) {
            ck_assert_uint_eq(e[i].user_data, 10);
            ck_assert_int_eq(e[i].result, 0);
            seen |= 1;
        } else {
            ck_assert_ptr_eq(e[i].op, &n2);
            ck_assert_uint_eq(e[i].user_data, 12);
            seen |= 4;
        }
    }
    ck_assert_int_eq(seen, 7);
    /* Pending in the kernel (nothing to read), then cancelled. */
    cio_op_poll_add(&pi, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pi, 13);
    ck_assert_int_eq(cio_driver_poll(drv, 30, e, 4), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &pi), 0);
    cio_test_reap(drv, e, 1, 5000);
    ck_assert_ptr_eq(e[0].op, &pi);
    ck_assert_uint_eq(e[0].user_data, 13);
    ck_assert_int_eq(e[0].result, CIO_ECANCELED);
    /* Pending again, then ended by the driver's close (no hang). */
    cio_op_poll_add(&pi, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pi, 14);
    ck_assert_int_eq(cio_driver_poll(drv, 30, e, 4), 0);
    cio_driver_close(drv);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/*
 * An op io_uring runs on a kernel worker because it must block (a
 * connect to a unix listener whose backlog is full) and that a cancel
 * interrupts: the kernel completes it with -EINTR. The module reports
 * the cancel as every backend does, CIO_ECANCELED (or the op's own
 * result had it finished first), never CIO_EINTR, which callers take
 * for "retry".
 */
START_TEST(t_cancel_blocking_worker)
{
    struct sockaddr_un sa;
    cio_driver *drv;
    cio_entry e;
    cio_op op;
    int lfd, cfd, fill[64], nfill = 0, fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, CANCEL_KNOB(_i), NULL));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* An abstract name: nothing to clean up on the file system. */
    snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "cio-uring-bl-%ld",
             (long)getpid());
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    /* Fill the backlog: non-blocking connects until one would block. */
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_lt(nfill, 64);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            close(fd);
            break;
        }
        fill[nfill++] = fd;
    }
    /* A blocking socket: its connect waits on a kernel worker. */
    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(cfd, 0);
    cio_op_connect(&op, cfd, (struct sockaddr *)&sa, sizeof(sa));
    cio_test_push(drv, &op, 1);
    /* Let it reach the worker (nothing can complete it meanwhile). */
    ck_assert_int_eq(cio_driver_poll(drv, 100, &e, 1), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &op), 0);
    cio_test_reap(drv, &e, 1, 60000);
    ck_assert_ptr_eq(e.op, &op);
    ck_assert_msg(e.result == CIO_ECANCELED || e.result == 0,
                  "cancelled blocking connect: %s", cio_errname(e.result));
    ck_assert_int_eq(cio_driver_poll(drv, 50, &e, 1), 0);
    close(cfd);
    while (nfill > 0)
        close(fill[--nfill]);
    close(lfd);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* ---- batches (module ABI 1.3) ---- */

/*
 * Entries for fewer completions than the CQ holds: the rest wait in the
 * CQ, none is lost or doubled, and per op the order stands: a multishot
 * ACCEPT's CIO_CF_MORE completions all come before its final one, and
 * the op stays the driver's until then.
 */
START_TEST(t_small_entries)
{
    enum { NNOP = 100, NCONN = 5 };
    cio_driver *drv;
    cio_op nops[NNOP], pa, acc;
    cio_entry e[4];
    struct sockaddr_un sa;
    socklen_t salen;
    int sv[2], lfd, cli[NCONN], got = 0, more = 0, fin = 0, maxn = 1;
    uint64_t expect = 0;

    drv = must_open(&drv, open_uring(&drv, "entries", "128", "cq_entries",
                                    "256", CANCEL_KNOB(_i), NULL));
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    for (int i = 0; i < NNOP; i++) {
        cio_op_nop(&nops[i]);
        cio_test_push(drv, &nops[i], (uint64_t)i);
    }
    /* A POLL_ADD's result is mapped to CIO_POLL_* on the batch path too. */
    cio_op_poll_add(&pa, sv[0], CIO_POLL_IN);
    cio_test_push(drv, &pa, 500);
    ck_assert_int_eq(write(sv[1], "x", 1), 1);
    while (got < NNOP + 1) {
        int n = cio_driver_poll(drv, 10000, e, maxn);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, maxn);
        for (int j = 0; j < n; j++) {
            ck_assert_ptr_null(e[j].op->link.owner);
            if (e[j].user_data == 500) {
                ck_assert_int_eq(e[j].result & CIO_POLL_IN, CIO_POLL_IN);
                continue;
            }
            /* NOPs complete in submission order. */
            ck_assert_uint_eq(e[j].user_data, expect++);
            ck_assert_int_eq(e[j].result, 0);
        }
        got += n;
        maxn = maxn % 4 + 1;
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);

    /* Multishot ACCEPT, one entry per poll. */
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(lfd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* Autobind: an abstract address of the kernel's choosing. */
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa_family_t)),
                     0);
    salen = sizeof(sa);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
    ck_assert_int_eq(listen(lfd, NCONN), 0);
    cio_op_accept_multishot(&acc, lfd, 0);
    cio_test_push(drv, &acc, 7);
    for (int i = 0; i < NCONN; i++) {
        cli[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(cli[i], 0);
        ck_assert_int_eq(connect(cli[i], (struct sockaddr *)&sa, salen), 0);
    }
    while (more < NCONN) {
        int n = cio_driver_poll(drv, 10000, e, 1);
        ck_assert_int_eq(n, 1);
        ck_assert_ptr_eq(e[0].op, &acc);
        ck_assert_uint_eq(e[0].user_data, 7);
        ck_assert_int_ge(e[0].result, 0);
        ck_assert(cio_entry_more(e));
        ck_assert_ptr_nonnull(acc.link.owner);
        close(e[0].result);
        more++;
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 1);
    ck_assert_int_eq(cio_driver_cancel(drv, &acc), 0);
    while (!fin) {
        int n = cio_driver_poll(drv, 10000, e, 1);
        ck_assert_int_eq(n, 1);
        ck_assert_ptr_eq(e[0].op, &acc);
        if (cio_entry_more(e)) {
            close(e[0].result);
            continue;
        }
        ck_assert_int_eq(e[0].result, CIO_ECANCELED);
        ck_assert_int_eq(acc.result, CIO_ECANCELED);
        fin = 1;
    }
    ck_assert_ptr_null(acc.link.owner);
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_int_eq(cio_driver_poll(drv, 20, e, 4), 0);
    for (int i = 0; i < NCONN; i++)
        close(cli[i]);
    close(lfd);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

/* ---- main ---- */

static Suite *
uring_suite(void)
{
    Suite *s = suite_create("uring");
    TCase *tc = tcase_create("uring");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_disable_ops);
    tcase_add_test(tc, t_seccomp_refusal);
    tcase_add_loop_test(tc, t_sq_full_cq_overflow, 0, 2);
    tcase_add_test(tc, t_knob_validation);
    tcase_add_test(tc, t_rejected_flag_dropped);
    tcase_add_loop_test(tc, t_notify_thread, 0, 2);
    tcase_add_test(tc, t_pool_wakes_ring);
    tcase_add_loop_test(tc, t_teardown_thousands, 0, 2);
    tcase_add_loop_test(tc, t_cancel_unsubmitted_and_running, 0, 2);
    tcase_add_loop_test(tc, t_poll_add_marked, 0, 2);
    tcase_add_loop_test(tc, t_cancel_blocking_worker, 0, 2);
    tcase_add_loop_test(tc, t_small_entries, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    int usable;
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", "uring") < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0 ||
        cio_backend_scan(cfg, &list) < 0) {
        fprintf(stderr, "cannot scan for the uring backend\n");
        return EXIT_FAILURE;
    }
    cio_config_free(cfg);
    usable = list->chosen != NULL && strcmp(list->chosen, "uring") == 0;
    if (!usable) {
        char why[512];
        snprintf(why, sizeof(why), "%s",
                 list->chosen_why ? list->chosen_why : "unavailable");
        for (char *c = why; *c; c++)
            if (*c == '\n')
                *c = ' ';
        cio_backend_list_free(list);
        cio_test_skip_all("uring unavailable: %s", why);
    }
    cio_backend_list_free(list);
    return cio_test_run(uring_suite());
}
