/* SPDX-License-Identifier: MIT */
/*
 * bench_post - cross-thread round trips, alternating round by round in
 * one process:
 *
 *   compio   two uring runtimes on two threads: a function posted to
 *            runtime B (cio_runtime_post) posts one back to runtime A,
 *            which posts the next to B, and so on; both runtimes sleep
 *            in their backend's wait between posts and are woken
 *            through its notify
 *   eventfd  two threads, two blocking eventfds: write to the other's,
 *            read one's own
 *
 * A round trip is A -> B -> A. Both sides keep their second thread for
 * the whole program, so thread start-up is not measured. The scheduler
 * places the threads (often both on one core, where a wake-up is a
 * plain switch); with --pin and two CPUs or more, the main threads run
 * on CPU 0 and the second threads on CPU 1, so that every wake-up
 * crosses cores (an inter-processor interrupt: in a VM, far slower).
 *
 *   bench_post [--rounds R] [--n N] [--data D] [--pin]
 *   bench_post --only compio|eventfd --n N   (one run)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <compio.h>

#include "bench_util.h"

enum side { S_COMPIO, S_EVENTFD, S_COUNT };

static const char *const side_name[S_COUNT] = {"compio", "eventfd"};
static const char *const side_label[S_COUNT] = {
    "compio cio_runtime_post (uring)", "raw eventfd ping-pong"};
static const char *const side_label_pinned[S_COUNT] = {
    "compio cio_runtime_post (uring), pinned", "raw eventfd ping-pong, pinned"};

struct ctx {
    unsigned long n;       /* Round trips per run. */
    unsigned long count;   /* Round trips done in this run. */
    cio_runtime *a, *b;    /* A on the main thread, B on its own. */
    cio_event done;        /* On A: the run is over. */
    cio_event quit;        /* On B: the program is over. */
    int err;
    pthread_t bt, et;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int b_ready;
    int efd[2];            /* [0]: to the main thread, [1]: to the other. */
};

static int pin;

/* Run the calling thread on @cpu only, when pinning is on and possible. */
static void
pin_to(int cpu)
{
    cpu_set_t set;

    if (!pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* ---- compio ---- */

static void pong(void *arg);

/* On B. */
static void
ping(void *arg)
{
    struct ctx *c = arg;
    int r = cio_runtime_post(c->a, pong, c);

    if (r < 0)
        c->err = r;
}

/* On A. */
static void
pong(void *arg)
{
    struct ctx *c = arg;
    int r;

    if (++c->count >= c->n) {
        cio_event_set(&c->done);
        return;
    }
    r = cio_runtime_post(c->b, ping, c);
    if (r < 0) {
        c->err = r;
        cio_event_set(&c->done);
    }
}

static int
a_main(void *arg)
{
    struct ctx *c = arg;
    int r;

    cio_event_init(&c->done);
    c->count = 0;
    r = cio_runtime_post(c->b, ping, c);
    if (r < 0)
        return r;
    r = cio_event_wait(&c->done);
    return r < 0 ? r : c->err;
}

static void
b_quit(void *arg)
{
    cio_event_set(&((struct ctx *)arg)->quit);
}

static int
b_main(void *arg)
{
    struct ctx *c = arg;

    return cio_event_wait(&c->quit);
}

static cio_runtime *
uring_runtime(void)
{
    cio_runtime *rt = NULL;
    cio_config *cfg;
    int r = cio_config_new(&cfg);

    /* COMPIO_CONFIG, for module knobs ([module.uring] valgrind = no). */
    if (r == 0)
        r = cio_config_load_default(cfg);
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "backend", "uring");
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "fallback", "no");
    if (r == 0)
        r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    if (r < 0)
        fprintf(stderr, "bench_post: uring runtime: %s\n%s\n",
                cio_strerror(r), cio_error_detail());
    return r < 0 ? NULL : rt;
}

static void *
b_thread(void *arg)
{
    struct ctx *c = arg;
    cio_runtime *rt;

    pin_to(1);
    rt = uring_runtime();

    cio_event_init(&c->quit);
    pthread_mutex_lock(&c->mu);
    c->b = rt;
    c->b_ready = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (rt == NULL)
        return NULL;
    cio_block_on(rt, b_main, c);
    cio_runtime_free(rt);
    return NULL;
}

/* ---- raw eventfd ---- */

static void *
e_thread(void *arg)
{
    struct ctx *c = arg;
    uint64_t v;

    pin_to(1);
    for (;;) {
        if (read(c->efd[1], &v, sizeof v) != sizeof v)
            return NULL;
        /* A count of 2 or more means "stop" (one post per wait here). */
        if (v != 1)
            return NULL;
        v = 1;
        if (write(c->efd[0], &v, sizeof v) != sizeof v)
            return NULL;
    }
}

static int
run_eventfd(struct ctx *c)
{
    unsigned long i;
    uint64_t v = 1;

    for (i = 0; i < c->n; i++) {
        v = 1;
        if (write(c->efd[1], &v, sizeof v) != sizeof v ||
            read(c->efd[0], &v, sizeof v) != sizeof v)
            return -1;
    }
    c->count = c->n;
    return 0;
}

/* ---- one run: k round trips/s ---- */

static int
run_side(struct ctx *c, enum side s, double *k)
{
    uint64_t t0 = bench_now_ns();
    int r;

    c->err = 0;
    c->count = 0;
    if (s == S_COMPIO)
        r = cio_block_on(c->a, a_main, c);
    else
        r = run_eventfd(c);
    *k = (double)c->count * 1e6 / (double)(bench_now_ns() - t0);
    return r < 0 || c->count != c->n ? -1 : 0;
}

int
main(int argc, char **argv)
{
    const char *only = NULL, *data = NULL;
    double v[S_COUNT][BENCH_MAX_ROUNDS];
    int rounds = 5, i, s, rc = 0;
    FILE *dat = NULL;
    uint64_t stop = 2;
    struct ctx c;

    memset(&c, 0, sizeof c);
    c.n = 50000;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            c.n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--pin"))
            pin = 1;
        else {
            fprintf(stderr, "usage: see the comment at the top\n");
            return 2;
        }
    }
    pin_to(0);
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || c.n < 1) {
        fprintf(stderr, "bench_post: bad arguments\n");
        return 2;
    }
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    c.efd[0] = eventfd(0, EFD_CLOEXEC);
    c.efd[1] = eventfd(0, EFD_CLOEXEC);
    c.a = uring_runtime();
    if (c.a == NULL || c.efd[0] < 0 || c.efd[1] < 0 ||
        pthread_create(&c.bt, NULL, b_thread, &c) != 0 ||
        pthread_create(&c.et, NULL, e_thread, &c) != 0) {
        perror("bench_post: set-up");
        return 1;
    }
    pthread_mutex_lock(&c.mu);
    while (!c.b_ready)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    if (c.b == NULL)
        return 1;

    if (only != NULL) {
        double k;
        for (s = 0; s < S_COUNT; s++)
            if (!strcmp(only, side_name[s]))
                break;
        if (s == S_COUNT || run_side(&c, (enum side)s, &k)) {
            fprintf(stderr, "bench_post: run failed\n");
            rc = 1;
        } else {
            printf("%s: %.1f k round trips/s\n", only, k);
        }
        goto out;
    }
    if (data != NULL && (dat = fopen(data, "a")) == NULL) {
        perror(data);
        return 1;
    }
    for (i = -1; i < rounds && rc == 0; i++) {
        /*
         * Round -1 warms both sides up and is not counted. Each round
         * starts one side later: none always runs first.
         */
        int j;
        for (j = 0; j < S_COUNT; j++) {
            double w;
            s = (j + (i < 0 ? 0 : i)) % S_COUNT;
            if (run_side(&c, (enum side)s, i < 0 ? &w : &v[s][i])) {
                fprintf(stderr, "bench_post: %s failed\n", side_name[s]);
                rc = 1;
                break;
            }
        }
    }
    if (rc == 0) {
        double q = bench_ratio(v[S_COMPIO], v[S_EVENTFD], rounds);
        printf("| side | k round trips/s, median (min-max) |\n|---|---|\n");
        for (s = 0; s < S_COUNT; s++) {
            char b[96];
            printf("| %s | %s |\n",
                   pin ? side_label_pinned[s] : side_label[s],
                   bench_fmt(b, sizeof b, v[s], rounds, 1));
            bench_data(dat, pin ? side_label_pinned[s] : side_label[s], v[s],
                       rounds);
        }
        printf("\n| comparison | ratio (median of rounds) | target | |\n"
               "|---|---|---|---|\n"
               "| compio / raw eventfd%s | %.2f | >= 0.8x | %s |\n",
               pin ? ", pinned" : "", q, bench_verdict(q, 0.8));
    }
    if (dat != NULL)
        fclose(dat);
out:
    cio_runtime_post(c.b, b_quit, &c);
    pthread_join(c.bt, NULL);
    if (write(c.efd[1], &stop, sizeof stop) == sizeof stop)
        pthread_join(c.et, NULL);
    cio_runtime_free(c.a);
    close(c.efd[0]);
    close(c.efd[1]);
    return rc;
}
