/* SPDX-License-Identifier: MIT */
/*
 * check_oldabi.c - a module of ABI 1.0 ("oldbe": the nullbe test module
 * built with the 1.0 descriptor and vtable size; natively NOP only,
 * everything else on the core's pool) still loads under the 1.2 core
 * and gets every "beyond compio" feature by emulation: SEND_ZC's two
 * completions, registered files and buffers, pool buffers picked for
 * RECV (single and multishot), multishot ACCEPT, cancel of a multishot
 * op whose shadow is running on the pool. And the CIO_CF_MORE bit that
 * such a module may pass (it meant nothing in 1.0) is ignored.
 *
 * On Windows the sockets are cio_test_win32.h's (a loopback TCP pair
 * for the socketpair), and Check runs every case in one process: each
 * case leaves no pool job behind, so they do not need a fresh pool.
 */
#define _GNU_SOURCE 1
#include "config.h"

#ifdef _WIN32
#include "cio_test_win32.h"
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "compio.h"
#include "compio/module.h"
#include "cio_test.h"
#include "cio_test_driver.h"

static cio_driver *
open_oldbe(void)
{
    cio_config *cfg;
    cio_driver *drv = NULL;
    cio_backend_list *list = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", "oldbe"), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    /* It really is a 1.0 module. */
    ck_assert_int_eq(cio_backend_scan(cfg, &list), 0);
    ck_assert_str_eq(list->chosen, "oldbe");
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, "oldbe") == 0)
            ck_assert_uint_eq(list->items[i].abi_minor, 0);
    cio_backend_list_free(list);
    r = cio_driver_open(&drv, cfg);
    cio_config_free(cfg);
    ck_assert_msg(r == 0, "cio_driver_open: %s (%s)", cio_strerror(r),
                  cio_error_detail());
    return drv;
}

static int fds_before;

START_TEST(features_all_emulated)
{
    cio_driver *drv = open_oldbe();
    for (unsigned f = 0; f < CIO_FEATURE__COUNT; f++)
        ck_assert_int_eq(cio_driver_feature(drv, f), CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_SEND_ZC),
                     CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_READ_FIXED),
                     CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(cio_driver_supports(drv, CIO_OP_RECV), CIO_SUPPORT_POOLED);
    cio_driver_close(drv);
}
END_TEST

START_TEST(more_bit_ignored)
{
    cio_driver *drv = open_oldbe();
    cio_op op;
    cio_entry e;
    /* oldbe completes NOPs with CIO_CF_MORE: it must still be final. */
    for (int i = 0; i < 3; i++) {
        cio_op_nop(&op);
        cio_test_push(drv, &op, 1);
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert_ptr_eq(e.op, &op);
        ck_assert(!cio_entry_more(&e));
        ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    }
    cio_driver_close(drv);
}
END_TEST

START_TEST(send_zc_two_completions)
{
    cio_driver *drv;
    cio_op op;
    cio_entry e[2];
    char buf[16];
    int sv[2];
    fds_before = cio_test_count_fds();
    drv = open_oldbe();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_send_zc(&op, sv[0], "zero-copy", 9, 0);
    cio_test_push(drv, &op, 5);
    cio_test_reap(drv, e, 2, 5000);
    ck_assert_int_eq(e[0].result, 9);
    ck_assert(cio_entry_more(&e[0]));
    ck_assert_int_eq(e[1].result, 0);
    ck_assert(!cio_entry_more(&e[1]));
    ck_assert(e[1].flags & CIO_CF_NOTIF);
    ck_assert_int_eq(recv(sv[1], buf, sizeof(buf), 0), 9);
    ck_assert_mem_eq(buf, "zero-copy", 9);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

START_TEST(fixed_files_and_buffers)
{
    char dir[PATH_MAX], path[PATH_MAX + 8];
    static char a[4096], b[4096];
    cio_driver *drv;
    cio_iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    cio_op op;
    cio_entry e;
    cio_fd fd;
    fds_before = cio_test_count_fds();
    drv = open_oldbe();
    ck_assert_ptr_nonnull(cio_test_mkdtemp(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(cio_driver_register_files(drv, &fd, 1), 0);
    close(fd);
    ck_assert_int_eq(cio_driver_register_buffers(drv, iov, 2), 0);
    memcpy(a, "fixed and registered", 20);
    /* WRITE_FIXED by file index, READ_FIXED back: both emulated. */
    cio_op_write_fixed(&op, 0, a, 20, 0, 0);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 20);
    cio_op_read_fixed(&op, 0, b, 20, 0, 1);
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 2);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 20);
    ck_assert_mem_eq(b, "fixed and registered", 20);
    cio_op_read_fixed(&op, 0, a, 20, 0, 1); /* a is not buffer 1. */
    op.opflags = CIO_OPF_FIXED_FILE;
    cio_test_push(drv, &op, 3);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_EFAULT);
    ck_assert_int_eq(cio_driver_unregister_files(drv), 0);
    unlink(path);
    rmdir(dir);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

START_TEST(pool_recv_multishot)
{
    cio_driver *drv;
    cio_bufpool *pool;
    cio_op op;
    cio_entry e;
    int sv[2], bid;
    fds_before = cio_test_count_fds();
    drv = open_oldbe();
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 2, 16), 0);
    ck_assert_int_eq(cio_bufpool_support(pool), CIO_SUPPORT_EMULATED);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv_multishot(&op, sv[0], pool, 0);
    cio_test_push(drv, &op, 9);
    ck_assert_int_eq(send(sv[1], "first", 5, 0), 5);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 5);
    ck_assert(cio_entry_more(&e));
    bid = cio_entry_bid(&e);
    ck_assert_mem_eq(cio_bufpool_buf(pool, (unsigned)bid), "first", 5);
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)bid), 0);
    ck_assert_int_eq(send(sv[1], "second", 6, 0), 6);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 6);
    ck_assert(cio_entry_more(&e));
    ck_assert_int_eq(cio_bufpool_release(pool, (unsigned)cio_entry_bid(&e)), 0);
    /* The peer goes: end of stream ends the op. */
    ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, 0);
    ck_assert(!cio_entry_more(&e));
    ck_assert_uint_eq(cio_driver_inflight(drv), 0);
    ck_assert_int_eq(cio_bufpool_free(pool), 0);
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

START_TEST(cancel_running_multishot)
{
    cio_driver *drv = open_oldbe();
    cio_bufpool *pool;
    cio_op op;
    cio_entry e;
    int sv[2], r;
    ck_assert_int_eq(cio_bufpool_new(drv, &pool, 2, 16), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    cio_op_recv_multishot(&op, sv[0], pool, 0);
    cio_test_push(drv, &op, 9);
    /*
     * Its shadow (a poll) is soon running on a pool thread, where no
     * cancel reaches; the op is still marked and ends at the next wake.
     */
    usleep(50000);
    r = cio_driver_cancel(drv, &op);
    ck_assert_int_eq(r, 0);
    /* Whatever wakes the poll now, the op ends, cancelled. */
    ck_assert_int_eq(send(sv[1], "x", 1, 0), 1);
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_eq(e.result, CIO_ECANCELED);
    ck_assert(!cio_entry_more(&e));
    close(sv[0]);
    close(sv[1]);
    cio_driver_close(drv);
}
END_TEST

START_TEST(multishot_accept_on_pool)
{
    enum { N = 20 };
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    cio_driver *drv;
    cio_op op;
    cio_entry e;
    int lfd, cli[N], got = 0;
    fds_before = cio_test_count_fds();
    drv = open_oldbe();
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, len), 0);
    ck_assert_int_eq(listen(lfd, N), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    cio_op_accept_multishot(&op, lfd, 0);
    cio_test_push(drv, &op, 4);
    for (int i = 0; i < N; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(cli[i], (struct sockaddr *)&sin, len), 0);
    }
    while (got < N) {
        cio_test_reap(drv, &e, 1, 5000);
        ck_assert_int_ge(e.result, 0);
        ck_assert(cio_entry_more(&e));
        close(e.result);
        got++;
    }
    /*
     * The pool's accept blocks in the kernel, where no cancel reaches:
     * shutting the listener down wakes it, and the error ends the op.
     */
#ifdef _WIN32
    /* Winsock refuses to shut a listener down; closing it wakes the
     * accept instead. */
    ck_assert_int_eq(close(lfd), 0);
    lfd = -1;
#else
    ck_assert_int_eq(shutdown(lfd, SHUT_RDWR), 0);
#endif
    cio_test_reap(drv, &e, 1, 5000);
    ck_assert_int_lt(e.result, 0);
    ck_assert(!cio_entry_more(&e));
    for (int i = 0; i < N; i++)
        close(cli[i]);
    if (lfd >= 0)
        close(lfd);
    cio_driver_close(drv);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

static Suite *
oldabi_suite(void)
{
    Suite *s = suite_create("oldabi");
    TCase *tc = tcase_create("oldbe");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, features_all_emulated);
    tcase_add_test(tc, more_bit_ignored);
    tcase_add_test(tc, send_zc_two_completions);
    tcase_add_test(tc, fixed_files_and_buffers);
    tcase_add_test(tc, pool_recv_multishot);
    tcase_add_test(tc, cancel_running_multishot);
    tcase_add_test(tc, multishot_accept_on_pool);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    char dir[PATH_MAX];
    /* oldbe lives in this directory's .libs, not on the usual path. */
    setenv("COMPIO_MODULE_PATH",
           cio_test_buildpath(dir, sizeof(dir), "unit/.libs"), 1);
#ifndef _WIN32
    if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0)
        cio_test_skip_all("needs Check's fork mode (fresh pool per case)");
#endif
    return cio_test_run(oldabi_suite());
}
