/* SPDX-License-Identifier: MIT */
/*
 * check_stack.c - task stacks: 100,000 concurrent sleeping tasks fit in
 * a reasonable RSS, the configured stack size is usable to its end, and
 * running off it hits the guard page (SIGSEGV in a child process)
 * instead of corrupting memory.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifndef _WIN32
#include <sys/wait.h>
#endif
#include <unistd.h>

#include "cio_test.h"
#include "compio/runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define MS 1000000ull
/*
 * 100,000 tasks at once; under valgrind 10,000 (the same code paths,
 * in a time a test may take: memcheck runs each switch ~50x slower).
 */
/*
 * Under valgrind, and under wine (whose loader crashed with 40,000
 * fibers alive here, while 10,000 passed), 10,000 tasks.
 */
#define NTASKS                                                                 \
    (cio_test_under_valgrind() || cio_test_under_wine() ? 10000 : 100000)

/* Resident set size of this process in bytes (Linux), or 0. */
static uint64_t
rss_bytes(void)
{
#ifdef _WIN32
    return 0;
#else
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size, res = 0;

    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
        res = 0;
    fclose(f);
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
#endif
}

static long
max_map_count(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long v = -1;

    if (f != NULL) {
        if (fscanf(f, "%ld", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int
idle_task(void *arg)
{
    /* Half sleep, half yield a while: every task is alive at once. */
    if ((intptr_t)arg & 1)
        return cio_sleep(200 * MS);
    cio_yield();
    return cio_sleep(100 * MS);
}

static uint64_t rss_peak_delta;
static int spawned;

static int
many_main(void *arg)
{
    cio_task **t = calloc(NTASKS, sizeof *t);
    uint64_t before = rss_bytes();
    int i, r = 0;

    (void)arg;
    ck_assert_ptr_nonnull(t);
    for (i = 0; i < NTASKS; i++) {
        r = cio_spawn(&t[i], idle_task, (void *)(intptr_t)i);
        if (r < 0)
            break;
    }
    spawned = i;
    /* All start and park. */
    cio_yield();
    cio_yield();
    rss_peak_delta = rss_bytes() - before;
    for (i = 0; i < spawned; i++)
        ck_assert_int_eq(cio_join(t[i]), 0);
    free(t);
    return r;
}

START_TEST(test_100k_tasks)
{
    int r = cio_block_on(NULL, many_main, NULL);
    long maps = max_map_count();

    printf("# %d tasks alive at once, RSS grew by %llu MiB\n", spawned,
           (unsigned long long)(rss_peak_delta >> 20));
    if (r < 0) {
        /*
         * Only a kernel without MADV_GUARD_INSTALL (guards need a VMA of
         * their own) under a small vm.max_map_count may stop short.
         */
        ck_assert_int_eq(r, CIO_ENOMEM);
        ck_assert_int_lt(maps, 2 * NTASKS + 1000);
        ck_assert_int_ge(spawned, maps / 2 - 2000);
        printf("# stopped at %d tasks: vm.max_map_count = %ld\n", spawned,
               maps);
    } else {
        ck_assert_int_eq(spawned, NTASKS);
    }
    /* At most ~10 KiB per idle task (1 GiB for 100,000), generously. */
#ifndef UNDER_ASAN
    /* valgrind's shadow memory dwarfs the stacks: only counted natively. */
    if (!cio_test_under_valgrind())
        ck_assert_uint_lt(rss_peak_delta,
                          (uint64_t)spawned * 10240 + (64u << 20));
#endif
}
END_TEST

/* ---- the configured size is usable, and its end is guarded ---- */

static int __attribute__((noinline)) recurse(int depth, int limit)
{
    volatile char pad[256];

    pad[0] = (char)depth;
    if (limit >= 0 && depth >= limit)
        return pad[0];
    return recurse(depth + 1, limit) + pad[0];
}

static int
deep_task(void *arg)
{
    return recurse(0, (int)(intptr_t)arg) >= 0 ? 0 : 1;
}

static int
deep_main(void *arg)
{
    cio_task *t;

    ck_assert_int_eq(cio_spawn(&t, deep_task, arg), 0);
    return cio_join(t);
}

static cio_runtime *
rt_with_stack(const char *size)
{
    cio_config *cfg;
    cio_runtime *rt;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_load_default(cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "stack_size", size), 0);
    ck_assert_int_eq(cio_runtime_new(&rt, cfg), 0);
    cio_config_free(cfg);
    return rt;
}

/* ---- stack_cache: any limit, 0 included, only changes reuse ---- */

static int
touch_task(void *arg)
{
    volatile char pad[8192];

    pad[0] = (char)(intptr_t)arg;
    pad[sizeof pad - 1] = pad[0];
    return pad[sizeof pad - 1];
}

static int
burst_main(void *arg)
{
    cio_task *t[64];
    int round, i, sum = 0;

    (void)arg;
    for (round = 0; round < 20; round++) {
        for (i = 0; i < 64; i++)
            ck_assert_int_eq(cio_spawn(&t[i], touch_task, (void *)(intptr_t)i),
                             0);
        for (i = 0; i < 64; i++)
            sum += cio_join(t[i]);
    }
    return sum;
}

START_TEST(test_stack_cache_limits)
{
    static const char *const limits[] = {"0", "4", "1048576"};
    cio_config *cfg;
    cio_runtime *rt;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_load_default(cfg), 0);
    ck_assert_int_eq(
        cio_config_set(cfg, "runtime", "stack_cache", limits[_i]), 0);
    ck_assert_int_eq(cio_runtime_new(&rt, cfg), 0);
    cio_config_free(cfg);
    /* 20 rounds of 64 tasks: sum of 0..63 per round. */
    ck_assert_int_eq(cio_block_on(rt, burst_main, NULL), 20 * 2016);
    cio_runtime_free(rt);
}
END_TEST

START_TEST(test_stack_usable)
{
    cio_runtime *rt = rt_with_stack("1m");

    /* About 600 KiB of frames: more than the default, less than 1m. */
    ck_assert_int_eq(cio_block_on(rt, deep_main, (void *)2000), 0);
    cio_runtime_free(rt);
}
END_TEST

#ifndef _WIN32 /* See main. */
START_TEST(test_guard_page)
{
    pid_t pid;
    int status;

    fflush(stdout);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cio_runtime *rt = rt_with_stack("64k");
        /* Unbounded: must die on the guard page. */
        cio_block_on(rt, deep_main, (void *)-1);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
#ifdef UNDER_ASAN
    /* ASan catches the SIGSEGV and reports a stack overflow itself. */
    ck_assert(WIFSIGNALED(status) ||
              (WIFEXITED(status) && WEXITSTATUS(status) != 0));
#else
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGSEGV);
#endif
}
END_TEST
#endif

int
main(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("stack");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_100k_tasks);
    tcase_add_loop_test(tc, test_stack_cache_limits, 0, 3);
    tcase_add_test(tc, test_stack_usable);
#ifndef _WIN32
    /*
     * Needs fork to watch a process die on the guard page. Windows
     * fibers get their guard page from the system (cio_ctx_win32.c).
     */
    tcase_add_test(tc, test_guard_page);
#endif
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
