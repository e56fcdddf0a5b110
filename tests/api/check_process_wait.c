/* SPDX-License-Identifier: MIT */
/*
 * check_process_wait.c - waiting for children, on each backend and on
 * both wait paths: the pidfd (polled by an op) and the fallback that
 * polls waitid between sleeps (forced with COMPIO_NO_PIDFD=1, the
 * test switch compio/process.h documents). Loop index i: backend i % 2,
 * path i / 2. Covered: a deadline on `sleep 600` (then kill and wait),
 * cancel of a waiting task (the child is not reaped by it), several
 * waiters on one child, a quick child, and children freed before they
 * were reaped (reaped at free, or later through the orphan list).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_process.h"

#define NCASES (2 * CIO_TEST_NBACKENDS)

static int use_fallback;

/* Select the wait path of case @i (each case runs in its own fork). */
static int
path_for(int i)
{
    use_fallback = i / CIO_TEST_NBACKENDS;
    if (use_fallback)
        ck_assert_int_eq(setenv("COMPIO_NO_PIDFD", "1", 1), 0);
    else
        ck_assert_int_eq(unsetenv("COMPIO_NO_PIDFD"), 0);
    return i % CIO_TEST_NBACKENDS;
}

/* Spawn `sleep 600`, and check the path it took: a pidfd costs one
 * descriptor, the fallback none. valgrind 3.19 does not know
 * pidfd_open (ENOSYS), so under it the library takes the fallback
 * either way. Ten minutes: every case kills it, and "still running"
 * holds however slow the run (valgrind, a loaded machine). */
static cio_child *
spawn_sleeper(void)
{
    static const char *const long_sleep[] = {"600", NULL};
    cio_command *cmd = proc_cmd("sleep", long_sleep);
    cio_child *child;
    int fds = cio_test_count_fds();
    int pidfds = use_fallback || cio_test_under_valgrind() ? 0 : 1;

    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    ck_assert_int_eq(cio_test_count_fds() - fds, pidfds);
    return child;
}

/* ---- a deadline, then kill and wait ---- */

static int
deadline_body(void *arg)
{
    cio_child *child = spawn_sleeper();
    cio_exit_status st;
    uint64_t t0, prev;

    (void)arg;
    t0 = cio_now();
    prev = cio_deadline_set(t0 + 60 * MS);
    ck_assert_int_eq(cio_child_wait(child, &st), CIO_ETIMEDOUT);
    cio_deadline_set(prev);
    ck_assert_uint_ge(cio_now() - t0, 60 * MS);
    /* Far from the sleep, far above any delay of a slow run. */
    ck_assert_uint_lt(cio_now() - t0, 60000 * MS);
    /* Not reaped: still running. */
    ck_assert_int_eq(cio_child_try_wait(child, &st), 0);
    ck_assert_int_eq(cio_child_kill(child, 0), 0);
    ck_assert_int_eq(cio_child_kill(child, SIGKILL), 0);
    prev = cio_deadline_set(cio_now() + 60000 * MS);
    t0 = cio_now();
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    /*
     * The fallback reacts within its 50 ms step (plus scheduling); the
     * bound only catches a wait that missed the end altogether.
     */
    ck_assert_uint_lt(cio_now() - t0, 60000 * MS);
    cio_deadline_set(prev);
    ck_assert_int_eq(st.signal, SIGKILL);
    ck_assert_int_eq(st.code, -1);
    cio_child_free(child);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_wait_deadline)
{
    cio_test_api_run(path_for(_i), deadline_body, NULL);
}
END_TEST

/* ---- cancel of a waiting task ---- */

static int
waiter(void *arg)
{
    cio_exit_status st;
    int r = cio_child_wait(arg, &st);

    return r < 0 ? r : st.signal;
}

static int
cancel_body(void *arg)
{
    cio_child *child = spawn_sleeper();
    cio_exit_status st;
    cio_task *t;

    (void)arg;
    ck_assert_int_eq(cio_spawn(&t, waiter, child), 0);
    ck_assert_int_eq(cio_sleep(30 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* The cancelled wait reaped nothing. */
    ck_assert_int_eq(cio_child_try_wait(child, &st), 0);

    /* Several waiters on one child all see its end. */
    {
        cio_task *w[3];
        int k;

        for (k = 0; k < 3; k++)
            ck_assert_int_eq(cio_spawn(&w[k], waiter, child), 0);
        ck_assert_int_eq(cio_sleep(20 * MS), 0);
        ck_assert_int_eq(cio_child_kill(child, SIGTERM), 0);
        cio_deadline_set(cio_now() + 60000 * MS); /* Only a hang. */
        for (k = 0; k < 3; k++)
            ck_assert_int_eq(cio_join(w[k]), SIGTERM);
    }
    ck_assert_int_eq(cio_child_wait(child, &st), 0);
    ck_assert_int_eq(st.signal, SIGTERM);
    cio_child_free(child);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_wait_cancel)
{
    cio_test_api_run(path_for(_i), cancel_body, NULL);
}
END_TEST

/* ---- a quick child, with output ---- */

static int
quick_body(void *arg)
{
    static const char *const args[] = {"-c", "echo $$; exit 5", NULL};
    cio_command *cmd = proc_cmd("/bin/sh", args);
    cio_exit_status st;
    cio_child *child;
    char *out, pid[32];
    int k;

    (void)arg;
    ck_assert_int_eq(cio_command_stdout(cmd, CIO_STDIO_PIPED), 0);
    for (k = 0; k < 5; k++) {
        ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
        out = proc_read_all(cio_child_stdout(child), NULL);
        snprintf(pid, sizeof pid, "%d\n", cio_child_pid(child));
        ck_assert_str_eq(out, pid);
        free(out);
        ck_assert_int_eq(cio_child_wait(child, &st), 0);
        ck_assert_int_eq(st.code, 5);
        cio_child_free(child);
    }
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_wait_quick)
{
    cio_test_api_run(path_for(_i), quick_body, NULL);
}
END_TEST

/* ---- freed before reaped ---- */

static int
orphan_body(void *arg)
{
    static const char *const exit0[] = {"-c", "exit 0", NULL};
    static const char *const short_sleep[] = {"0.2", NULL};
    cio_command *cmd;
    cio_child *child;
    siginfo_t si;
    int k, pid;

    (void)arg;
    /* Ended but not reaped: cio_child_free reaps it. */
    cmd = proc_cmd("/bin/sh", exit0);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    cio_command_free(cmd);
    memset(&si, 0, sizeof si);
    ck_assert_int_eq(
        waitid(P_PID, (id_t)cio_child_pid(child), &si, WEXITED | WNOWAIT), 0);
    cio_child_free(child);
    proc_assert_no_children();

    /* Still running: it goes to the orphan list, and a later spawn or
     * free reaps it once it has ended. */
    cmd = proc_cmd("sleep", short_sleep);
    ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
    pid = cio_child_pid(child);
    cio_child_free(child);
    ck_assert_int_eq(kill(pid, 0), 0); /* Not killed by the free. */
    cio_command_free(cmd);
    memset(&si, 0, sizeof si);
    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    cmd = proc_cmd("/bin/true", NULL);
    for (k = 0; k < 2; k++) {
        ck_assert_int_eq(cio_command_spawn(cmd, &child), 0);
        ck_assert_int_eq(cio_child_wait(child, NULL), 0);
        cio_child_free(child);
    }
    cio_command_free(cmd);
    proc_assert_no_children();
    return 0;
}

START_TEST(t_orphans)
{
    cio_test_api_run(path_for(_i), orphan_body, NULL);
}
END_TEST

void
proc_add_wait_tests(TCase *tc)
{
    tcase_add_loop_test(tc, t_wait_deadline, 0, NCASES);
    tcase_add_loop_test(tc, t_wait_cancel, 0, NCASES);
    tcase_add_loop_test(tc, t_wait_quick, 0, NCASES);
    tcase_add_loop_test(tc, t_orphans, 0, NCASES);
}
