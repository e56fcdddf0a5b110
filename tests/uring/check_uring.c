/* SPDX-License-Identifier: MIT */
/*
 * check_uring.c - what only the io_uring backend has to prove about its
 * set-up, beyond the conformance suite: the per-op fallback to the pool
 * (disable_ops), the refusal under a seccomp filter and the fallback of
 * "auto" to epoll, knob validation, and a set-up flag the kernel
 * rejects being dropped. Its ring under load (SQ full, CQ overflow,
 * notify, cancel, teardown, batches) is check_uring_ops.c.
 *
 * Every test goes through the public driver API only. The program SKIPs
 * (exit 77) when io_uring cannot run here.
 */
#define _GNU_SOURCE
#include "cio_test_uring.h"

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

/* ---- main ---- */

static Suite *
uring_suite(void)
{
    Suite *s = suite_create("uring");
    TCase *tc = tcase_create("uring");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, t_disable_ops);
    tcase_add_test(tc, t_seccomp_refusal);
    tcase_add_test(tc, t_knob_validation);
    tcase_add_test(tc, t_rejected_flag_dropped);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return cio_test_uring_main(uring_suite);
}
