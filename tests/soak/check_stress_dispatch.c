/* SPDX-License-Identifier: MIT */
/*
 * check_stress_dispatch.c - the dispatcher under a cross-thread post
 * storm, on every backend that loads. $CIO_SOAK_POSTS posts in all
 * (200,000 by default, 20,000 on Windows; scripts/soak.sh runs
 * millions).
 *
 * Storm: POSTERS plain threads post into the WORKERS runtimes of a
 * dispatcher, seven in eight with cio_runtime_post straight to a
 * worker's runtime, one in eight with cio_dispatch_detached (a task on
 * a worker), every post carrying its own slot. When the posters are done
 * and every accepted post has run, each slot must have run exactly once
 * on the runtime it was posted to (CIO_ENOMEM is retried, nothing else
 * may fail).
 *
 * Shutdown: chains of tasks that each dispatch the next link to another
 * worker (detached, and one link in four waits for a cio_dispatch of its
 * own) keep every worker busy while cio_dispatcher_free runs. Every
 * dispatch that was accepted must run exactly once before free returns;
 * a refused one (CIO_ESHUTDOWN) never runs. Then the process has the fds
 * it had before.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "soak.h"

#define WORKERS 2
#define POSTERS 4
#define CHAINS 16

static cio_dispatcher *disp;
static cio_runtime *rts[WORKERS];
static long per_poster;
static atomic_uchar *runs;
static _Atomic long ran;
static _Atomic long accepted;
static _Atomic long wrong_rt;

/* Phase 2. */
static _Atomic long chain_ids;
static long chain_cap;
static atomic_uchar *chain_runs;
static _Atomic long chain_accepted;
static _Atomic long chain_refused;
static _Atomic long chain_bad;

static uintptr_t
slot_pack(long idx, int worker)
{
    return ((uintptr_t)idx << 2) | (uintptr_t)worker;
}

static void
slot_run(uintptr_t v)
{
    long idx = (long)(v >> 2);
    int worker = (int)(v & 3);

    if (cio_runtime_current() != rts[worker])
        atomic_fetch_add(&wrong_rt, 1);
    atomic_fetch_add(&runs[idx], 1);
    atomic_fetch_add(&ran, 1);
}

static void
on_post(void *arg)
{
    slot_run((uintptr_t)arg);
}

static int
on_task(void *arg)
{
    slot_run((uintptr_t)arg);
    return 0;
}

static int
get_rt(void *arg)
{
    *(cio_runtime **)arg = cio_runtime_current();
    return 0;
}

static void *
poster(void *arg)
{
    long id = (long)(intptr_t)arg, i, idx;
    uint64_t rng = soak_seed() * 31 + (uint64_t)id;
    struct timespec ms = {0, 1000000};
    int r, w;

    for (i = 0; i < per_poster; i++) {
        idx = id * per_poster + i;
        w = (int)soak_below(&rng, WORKERS);
        do {
            if (soak_below(&rng, 8) == 0)
                r = cio_dispatch_detached(disp, w, on_task,
                                          (void *)slot_pack(idx, w));
            else
                r = cio_runtime_post(rts[w], on_post,
                                     (void *)slot_pack(idx, w));
            if (r == CIO_ENOMEM)
                nanosleep(&ms, NULL);
        } while (r == CIO_ENOMEM);
        if (r != 0)
            return (void *)(intptr_t)r;
        atomic_fetch_add(&accepted, 1);
    }
    return NULL;
}

static int chain_link(void *arg);

/* Dispatch the next link of a chain; count what was accepted. */
static void
chain_next(int worker, int wait)
{
    long id = atomic_fetch_add(&chain_ids, 1);
    int r;

    if (id >= chain_cap)
        return;
    /* Counted before the dispatch: the link may run before it returns. */
    atomic_fetch_add(&chain_accepted, 1);
    if (wait)
        r = cio_dispatch(disp, worker, chain_link, (void *)(intptr_t)id);
    else
        r = cio_dispatch_detached(disp, worker, chain_link,
                                  (void *)(intptr_t)id);
    if (r == 0 || (wait && r == 1))
        return;
    atomic_fetch_sub(&chain_accepted, 1);
    if (r == CIO_ESHUTDOWN)
        atomic_fetch_add(&chain_refused, 1);
    else if (!(wait && r == CIO_ECANCELED))
        atomic_fetch_add(&chain_bad, 1);
}

static int
chain_link(void *arg)
{
    long id = (long)(intptr_t)arg;
    int me;

    atomic_fetch_add(&chain_runs[id], 1);
    for (me = 0; me < WORKERS; me++)
        if (cio_runtime_current() == rts[me])
            break;
    chain_next((me + 1) % WORKERS, id % 4 == 0);
    return 1;
}

START_TEST(test_dispatch_storm)
{
    const char *backend = soak_backends[_i];
    int fds_before = cio_test_count_fds();
    cio_dispatcher_opts o;
    cio_config *cfg;
    pthread_t th[POSTERS];
    long total, i, bad = 0, k;
    void *ret;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", backend), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    memset(&o, 0, sizeof o);
    o.threads = WORKERS;
    o.cfg = cfg;
    r = cio_dispatcher_new(&disp, &o);
    if (r < 0) {
        printf("# %s backend not loadable here (%s): skipped\n", backend,
               cio_errname(r));
        cio_config_free(cfg);
        return;
    }
    for (k = 0; k < WORKERS; k++)
        ck_assert_int_eq(cio_dispatch(disp, (int)k, get_rt, &rts[k]), 0);

    /* Storm. */
    total = soak_env_long("CIO_SOAK_POSTS", SOAK_DEFAULT(200000, 20000));
    per_poster = total / POSTERS;
    total = per_poster * POSTERS;
    runs = calloc((size_t)total, 1);
    ck_assert_ptr_nonnull(runs);
    atomic_store(&ran, 0);
    atomic_store(&accepted, 0);
    atomic_store(&wrong_rt, 0);
    for (k = 0; k < POSTERS; k++)
        ck_assert_int_eq(
            pthread_create(&th[k], NULL, poster, (void *)(intptr_t)k), 0);
    for (k = 0; k < POSTERS; k++) {
        ck_assert_int_eq(pthread_join(th[k], &ret), 0);
        ck_assert_ptr_null(ret);
    }
    /* Every accepted post runs; the Check timeout catches a lost one. */
    while (atomic_load(&ran) < atomic_load(&accepted)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    for (i = 0; i < total; i++)
        bad += atomic_load(&runs[i]) != 1;
    ck_assert_int_eq(atomic_load(&accepted), total);
    ck_assert_int_eq(atomic_load(&ran), total);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(atomic_load(&wrong_rt), 0);

    /* Shutdown with chains still dispatching. */
    chain_cap = total;
    chain_runs = calloc((size_t)chain_cap, 1);
    ck_assert_ptr_nonnull(chain_runs);
    for (k = 0; k < CHAINS; k++)
        chain_next((int)(k % WORKERS), 0);
    {
        struct timespec ms = {0, 20 * 1000000};
        nanosleep(&ms, NULL);
    }
    cio_dispatcher_free(disp);
    cio_config_free(cfg);
    for (i = 0, bad = 0; i < chain_cap; i++)
        bad += atomic_load(&chain_runs[i]) > 1;
    {
        long ran_links = 0;
        for (i = 0; i < chain_cap; i++)
            ran_links += atomic_load(&chain_runs[i]);
        printf("# %s: %ld posts (%d threads into %d workers) each ran once;"
               " shutdown: %ld links ran, %ld refused\n",
               backend, total, POSTERS, WORKERS, ran_links,
               atomic_load(&chain_refused));
        ck_assert_int_eq(ran_links, atomic_load(&chain_accepted));
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(atomic_load(&chain_bad), 0);
    free(runs);
    free(chain_runs);
    atomic_store(&chain_ids, 0);
    atomic_store(&chain_accepted, 0);
    atomic_store(&chain_refused, 0);
    ck_assert_int_eq(cio_test_count_fds(), fds_before);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("stress_dispatch");
    TCase *tc = tcase_create("dispatch");

    tcase_add_loop_test(tc, test_dispatch_storm, 0, SOAK_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
