/* SPDX-License-Identifier: MIT */
/*
 * check_uring_beyond.c - io_uring paths of the "beyond compio" features
 * that the backend-neutral suite (tests/conformance/check_beyond.c)
 * cannot reach: the disable_opflags knob, a multishot RECV emulated by
 * the driver on top of a kernel buffer ring (half native, half not),
 * several rings at once, SEND_ZC on a socket without zero-copy support
 * (the kernel refuses, the driver sends plainly), and registered buffers
 * falling back to the emulation when the kernel refuses to pin them
 * (RLIMIT_MEMLOCK without CAP_IPC_LOCK).
 *
 * SKIPs (exit 77) when io_uring cannot run here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <compio.h>

#include "cio_test.h"
#include "cio_test_driver.h"
#include "cio_test_uring.h"

START_TEST(t_disable_opflags_knob)
{
    cio_driver *drv;
    int r = open_uring(&drv, "disable_opflags", "multishot, bogus", NULL);
    ck_assert_int_eq(r, CIO_EINVAL);
    ck_assert_ptr_nonnull(strstr(cio_error_detail(), "bogus"));
    r = open_uring(&drv, "disable_opflags", "multishot", NULL);
    must_open(&drv, r);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_MULTISHOT_ACCEPT),
                     CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_MULTISHOT_RECV),
                     CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_BUFFER_POOL),
                     CIO_SUPPORT_NATIVE);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_FILES),
                     CIO_SUPPORT_NATIVE);
    cio_driver_close(drv);
}
END_TEST

/*
 * Multishot emulated by the driver (re-armed single shots), the buffer
 * picked by the kernel from its ring: data, ENOBUFS, recovery.
 */
START_TEST(t_emulated_multishot_on_kernel_ring)
{
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op op;
    cio_entry e;
    int sv[2], held[4], nheld = 0;
    char want[8];
    int fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, "disable_opflags", "multishot", NULL));
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 4, 8), 0);
    ck_assert_int_eq(cio_bufpool_support(pool), CIO_SUPPORT_NATIVE);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv_multishot(&op, sv[0], pool, 0);
    cio_test_push(drv, &op, 3);
    /* Four messages fill the four buffers, which we keep. */
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof(want), "msg%d", i);
        ck_assert_int_eq(send(sv[1], want, 4, 0), 4);
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert_int_eq(e.result, 4);
        ck_assert(cio_entry_more(&e));
        ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)cio_entry_bid(&e)),
                         want, 4);
        held[nheld++] = cio_entry_bid(&e);
    }
    /* The kernel's ring is empty: the next data ends it with ENOBUFS. */
    ck_assert_int_eq(send(sv[1], "rest", 4, 0), 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_ENOBUFS);
    ck_assert(!cio_entry_more(&e));
    for (int i = 0; i < nheld; i++)
        ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)held[i]), 0);
    cio_test_push(drv, &op, 4);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 4);
    ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)cio_entry_bid(&e)), "rest",
                     4);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)cio_entry_bid(&e)), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &op), 0);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_ECANCELED);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/*
 * Registered files emulated (disable_opflags = fixed_file) while the
 * kernel does multishot and buffer rings: the driver resolves the index
 * and re-arms single shots, since a shadow op is never multishot.
 */
START_TEST(t_multishot_on_emulated_fixed_file)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op acc, rcv;
    cio_entry e;
    cio_fd table[2];
    int lfd, sv[2], cli[5], n = 0;
    int fds0 = cio_test_count_fds();

    drv = must_open(&drv, open_uring(&drv, "disable_opflags", "fixed_file", NULL));
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_MULTISHOT_ACCEPT),
                     CIO_SUPPORT_NATIVE);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, len), 0);
    ck_assert_int_eq(listen(lfd, 16), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    table[0] = lfd;
    table[1] = sv[0];
    ck_assert_int_eq(cio_driver_register_files(drv, table, 2), 0);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_FILES),
                     CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 4, 64), 0);

    cio_op_accept_multishot(&acc, 0, 0);
    acc.opflags |= CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &acc, 1);
    cio_op_recv_multishot(&rcv, 1, pool, 0);
    rcv.opflags |= CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &rcv, 2);
    for (int i = 0; i < 5; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(cli[i], (struct sockaddr *)&sin, len), 0);
    }
    ck_assert_int_eq(send(sv[1], "one", 3, 0), 3);
    while (n < 6) {
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert_msg(cio_entry_more(&e), "ended: %s", cio_errname(e.result));
        if (e.op == &acc) {
            ck_assert_int_ge(e.result, 0);
            close(e.result);
        } else {
            ck_assert_int_eq(e.result, 3);
            ck_assert_int_eq(
                cio_bufpool_release(pool, (unsigned)cio_entry_bid(&e)), 0);
        }
        n++;
    }
    ck_assert_uint_eq(cio_driver_inflight(drv), 2);
    ck_assert_int_eq(cio_driver_cancel(drv, &acc), 0);
    ck_assert_int_eq(cio_driver_cancel(drv, &rcv), 0);
    for (int done = 0; done < 2;) {
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert(!cio_entry_more(&e));
        ck_assert_int_eq(e.result, CIO_ECANCELED);
        done++;
    }
    for (int i = 0; i < 5; i++)
        close(cli[i]);
    close(lfd);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds0);
}
END_TEST

/* Several kernel rings at once: each RECV picks from its own pool. */
START_TEST(t_several_rings)
{
    cio_driver *drv;
    cio_bufpool *pool[3];
    cio_op op;
    cio_entry e;
    int sv[2], bid;

    drv = must_open(&drv, open_uring(&drv, NULL));
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(cio_bufpool_new(drv, &pool[i], 2 + (uint32_t)i, 32),
                         0);
        ck_assert_int_eq(cio_bufpool_support(pool[i]), CIO_SUPPORT_NATIVE);
    }
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    for (int i = 2; i >= 0; i--) {
        ck_assert_int_eq(send(sv[1], "ring", 4, 0), 4);
        cio_op_recv_pool(&op, sv[0], pool[i], 0);
        cio_test_push(drv, &op, 1);
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert_int_eq(e.result, 4);
        bid = cio_entry_bid(&e);
        ck_assert_int_lt(bid, 2 + i);
        ck_assert_mem_eq(cio_bufpool_buf(pool[i], (unsigned)bid), "ring", 4);
        ck_assert_uint_eq(cio_bufpool_available(pool[i]),
                          cio_bufpool_count(pool[i]) - 1);
        ck_assert_int_eq(cio_bufpool_release(pool[i], (unsigned)bid), 0);
    }
    /* Freeing the middle one and making another reuses its group. */
    ck_assert_int_eq(cio_bufpool_free(pool[1]), 0);
    ck_assert_int_eq(cio_bufpool_new(drv, &pool[1], 2, 32), 0);
    ck_assert_int_eq(send(sv[1], "anew", 4, 0), 4);
    cio_op_recv_pool(&op, sv[0], pool[1], 0);
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 4);
    ck_assert_mem_eq(cio_bufpool_buf(pool[1], (unsigned)cio_entry_bid(&e)),
                     "anew", 4);
    close(sv[0]);
    close(sv[1]);
    /* Pools still alive go with the driver. */
    cio_driver_close(drv);
}
END_TEST

/* The kernel refuses zero-copy on AF_UNIX; the caller never sees it. */
START_TEST(t_send_zc_without_zerocopy_socket)
{
    cio_driver *drv;
    cio_op op;
    cio_entry e[2];
    char buf[16];
    int sv[2];

    drv = must_open(&drv, open_uring(&drv, NULL));
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_SEND_ZC),
                     CIO_SUPPORT_NATIVE);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    for (int round = 0; round < 3; round++) {
        cio_op_send_zc(&op, sv[0], "unix zc", 7, 0);
        cio_test_push(drv, &op, 8);
        cio_test_reap(drv, e, 2, 5000);
        ck_assert_int_eq(e[0].result, 7);
        ck_assert(cio_entry_more(&e[0]));
        ck_assert_int_eq(e[1].result, 0);
        ck_assert(e[1].flags & CIO_CF_NOTIF);
        ck_assert(!cio_entry_more(&e[1]));
        ck_assert_uint_eq(cio_driver_inflight(drv), 0);
        ck_assert_int_eq(recv(sv[1], buf, sizeof(buf), 0), 7);
        ck_assert_mem_eq(buf, "unix zc", 7);
    }
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

/* Drop CAP_IPC_LOCK from this process; 0, or -1 if that failed. */
static int
drop_ipc_lock(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) < 0)
        return -1;
    data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
    data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
    return syscall(SYS_capset, &hdr, data) < 0 ? -1 : 0;
}

/*
 * Pinning 4 MiB under a 256 KiB locked-memory limit fails in the kernel
 * (ENOMEM): the driver emulates the registered buffers instead, and
 * READ_FIXED/WRITE_FIXED still work. Unregistered, the kernel path is
 * back. (The ring itself counts against the limit too: a small one.)
 */
START_TEST(t_fixed_buffers_memlock_fallback)
{
    enum { BIG = 4 << 20 };
    struct rlimit rl = {256 << 10, 256 << 10};
    char path[] = "/tmp/cio-memlock-XXXXXX";
    cio_driver *drv;
    cio_iovec iov;
    cio_op op;
    cio_entry e;
    uint8_t *buf;
    int fd;

    if (drop_ipc_lock() < 0 || setrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
        printf("# cannot drop CAP_IPC_LOCK or lower RLIMIT_MEMLOCK here: "
               "case not run\n");
        return;
    }
    drv = must_open(&drv, open_uring(&drv, "entries", "8", NULL));
    ck_assert_int_eq(posix_memalign((void **)&buf, 4096, BIG), 0);
    memset(buf, 0x5a, BIG);
    iov.base = buf;
    iov.len = BIG;
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_BUFFERS),
                     CIO_SUPPORT_NATIVE);
    ck_assert_int_eq(cio_driver_register_buffers(drv, &iov, 1), 0);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_BUFFERS),
                     CIO_SUPPORT_EMULATED);
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    cio_op_write_fixed(&op, fd, buf, BIG, 0, 0);
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_int_eq(e.result, BIG);
    memset(buf, 0, 4096);
    cio_op_read_fixed(&op, fd, buf, 4096, 8192, 0);
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_int_eq(e.result, 4096);
    ck_assert_uint_eq(buf[0], 0x5a);
    ck_assert_uint_eq(buf[4095], 0x5a);
    cio_op_read_fixed(&op, fd, buf, 16, 0, 1);
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    ck_assert_int_eq(cio_driver_unregister_buffers(drv), 0);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_BUFFERS),
                     CIO_SUPPORT_NATIVE);
    /* A small table fits the limit: native again. */
    iov.len = 4096;
    ck_assert_int_eq(cio_driver_register_buffers(drv, &iov, 1), 0);
    ck_assert_int_eq(cio_driver_feature(drv, CIO_FEATURE_FIXED_BUFFERS),
                     CIO_SUPPORT_NATIVE);
    cio_op_read_fixed(&op, fd, buf, 4096, 0, 0);
    cio_test_push(drv, &op, 4);
    cio_test_reap(drv, &e, 1, 10000);
    ck_assert_int_eq(e.result, 4096);
    close(fd);
    cio_driver_close(drv);
    free(buf);
}
END_TEST

static Suite *
uring_beyond_suite(void)
{
    Suite *s = suite_create("uring-beyond");
    TCase *tc = tcase_create("uring");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_disable_opflags_knob);
    tcase_add_test(tc, t_emulated_multishot_on_kernel_ring);
    tcase_add_test(tc, t_multishot_on_emulated_fixed_file);
    tcase_add_test(tc, t_several_rings);
    tcase_add_test(tc, t_send_zc_without_zerocopy_socket);
    tcase_add_test(tc, t_fixed_buffers_memlock_fallback);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    cio_driver *drv = NULL;
    cio_config *cfg = NULL;
    int r;
    /* No ck_assert out here: Check only allows them inside a test. */
    if (cio_config_new(&cfg) < 0 ||
        cio_config_set(cfg, "runtime", "backend", "uring") < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0)
        return EXIT_FAILURE;
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    if (r < 0)
        cio_test_skip_all("io_uring unavailable: %s", cio_error_detail());
    /* The features this suite leans on must be native on this kernel. */
    if (cio_driver_feature(drv, CIO_FEATURE_MULTISHOT_RECV) !=
        CIO_SUPPORT_NATIVE) {
        cio_driver_close(drv);
        cio_test_skip_all("kernel without multishot recv (Linux < 6.0)");
    }
    cio_driver_close(drv);
    return cio_test_run(uring_beyond_suite());
}
