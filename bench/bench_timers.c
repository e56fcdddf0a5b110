/* SPDX-License-Identifier: MIT */
/*
 * bench_timers - arm and fire N timers (1,000,000 by default) with L of
 * them live at once (1,024), three ways, alternating round by round in
 * one process:
 *
 *   compio   L tasks, each looping on cio_sleep(20 us) on the uring
 *            runtime: a timer in the runtime's heap, the task parked
 *            and woken when it fires. 20 us, not less: cio_sleep does
 *            not arm a timer whose deadline has passed by the time it
 *            looks, and a shorter sleep could pass unarmed when the
 *            thread is preempted. A loop turn over 1,024 tasks takes
 *            longer than that, so the timers are still due at once.
 *   libuv    L uv_timer_t, each re-armed from its callback with a
 *            0 ms timeout (libuv's finest; due at once)
 *   timerfd  L timerfds in one epoll set, each re-armed with a 1 us
 *            one-shot timerfd_settime when epoll reports it (the
 *            re-arm clears the expiry count, so no read is needed).
 *            Every expiry is a kernel hrtimer interrupt, about 16 us
 *            each in this VM, so this side arms N / 10 timers per run
 *            (the rate is per timer either way).
 *
 * Each timer is armed again as soon as it fires until N have been
 * armed, so L stay live until the end; every timer is already due when
 * the loop next looks, so what is measured is the cost of arming and
 * firing, not the waiting.
 *
 *   bench_timers [--rounds R] [--n N] [--live L] [--data D]
 *   bench_timers --only compio|libuv|timerfd [--sleep-ns S] --n N
 *       (one run; under valgrind give compio a sleep that outlasts
 *       valgrind's slower clock reads, e.g. 2000000: the run checks
 *       that every sleep armed a timer and fails otherwise)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include <compio.h>

#include "bench_util.h"

#define MAX_LIVE 65536
#define TIMERFD_NS 1000u

enum side { S_COMPIO, S_LIBUV, S_TIMERFD, S_COUNT };

static const char *const side_name[S_COUNT] = {"compio", "libuv", "timerfd"};
static const char *const side_label[S_COUNT] = {
    "compio cio_sleep in tasks (uring)", "libuv uv_timer",
    "raw timerfd + epoll"};

struct ctx {
    unsigned long n;     /* Timers to arm and fire per run. */
    unsigned live;       /* Live at once. */
    unsigned long armed; /* Armed so far in this run. */
    unsigned long fired; /* Fired so far in this run. */
    uint64_t sleep_ns;   /* compio's sleep. */
    int check;           /* compio: count sleeps that did not arm. */
    unsigned long early; /* Such sleeps. */
    int err;
    cio_runtime *rt;
    uv_loop_t *loop;
    uv_timer_t *uvt;
    int ep;
    int *tfd;
};

/* ---- compio ---- */

static int
sleeper(void *arg)
{
    struct ctx *c = arg;

    while (c->armed < c->n) {
        uint64_t t0 = c->check ? cio_now() : 0;
        int r;
        c->armed++;
        r = cio_sleep(c->sleep_ns);
        if (r < 0)
            return r;
        if (c->check && cio_now() - t0 < c->sleep_ns)
            c->early++;
        c->fired++;
    }
    return 0;
}

static int
compio_main(void *arg)
{
    struct ctx *c = arg;
    static cio_task *t[MAX_LIVE];
    unsigned i, k = 0;
    int r = 0;

    for (i = 0; i < c->live; i++) {
        r = cio_spawn(&t[i], sleeper, c);
        if (r < 0)
            break;
        k++;
    }
    for (i = 0; i < k; i++) {
        int j = cio_join(t[i]);
        if (j < 0 && r == 0)
            r = j;
    }
    return r;
}

static int
run_compio(struct ctx *c)
{
    return cio_block_on(c->rt, compio_main, c);
}

/* ---- libuv ---- */

static void
uv_fire(uv_timer_t *t)
{
    struct ctx *c = t->data;

    c->fired++;
    if (c->armed < c->n) {
        c->armed++;
        uv_timer_start(t, uv_fire, 0, 0);
    }
}

static int
run_libuv(struct ctx *c)
{
    unsigned i;

    for (i = 0; i < c->live && c->armed < c->n; i++) {
        c->uvt[i].data = c;
        c->armed++;
        if (uv_timer_start(&c->uvt[i], uv_fire, 0, 0) < 0)
            return -1;
    }
    return uv_run(c->loop, UV_RUN_DEFAULT) < 0 ? -1 : 0;
}

/* ---- raw timerfd ---- */

static const struct itimerspec tfd_due = {{0, 0}, {0, TIMERFD_NS}};
static const struct itimerspec tfd_off = {{0, 0}, {0, 0}};

static int
run_timerfd(struct ctx *c)
{
    static struct epoll_event ev[MAX_LIVE];
    unsigned i;

    for (i = 0; i < c->live && c->armed < c->n; i++) {
        c->armed++;
        if (timerfd_settime(c->tfd[i], 0, &tfd_due, NULL) < 0)
            return -1;
    }
    while (c->fired < c->n) {
        int k, got = epoll_wait(c->ep, ev, (int)c->live, -1);
        if (got < 0 && errno != EINTR)
            return -1;
        for (k = 0; k < got; k++) {
            int fd = c->tfd[ev[k].data.u32];
            c->fired++;
            if (c->armed < c->n) {
                c->armed++;
                if (timerfd_settime(fd, 0, &tfd_due, NULL) < 0)
                    return -1;
            } else if (timerfd_settime(fd, 0, &tfd_off, NULL) < 0) {
                /* Disarming clears the expiry, so epoll drops it. */
                return -1;
            }
        }
    }
    return 0;
}

static int
timerfd_setup(struct ctx *c)
{
    unsigned i;

    c->ep = epoll_create1(EPOLL_CLOEXEC);
    c->tfd = calloc(c->live, sizeof *c->tfd);
    if (c->ep < 0 || c->tfd == NULL)
        return -1;
    for (i = 0; i < c->live; i++) {
        struct epoll_event e;
        c->tfd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (c->tfd[i] < 0)
            return -1;
        e.events = EPOLLIN;
        e.data.u32 = i;
        if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->tfd[i], &e) < 0)
            return -1;
    }
    return 0;
}

/* ---- one run: M timers/s ---- */

static int
run_side(struct ctx *c, enum side s, double *mps)
{
    uint64_t t0 = bench_now_ns();
    int r;

    c->armed = c->fired = 0;
    c->err = 0;
    if (s == S_TIMERFD) {
        unsigned long n = c->n;
        c->n = n / 10 > c->live ? n / 10 : n;
        r = run_timerfd(c);
        *mps = (double)c->fired * 1e3 / (double)(bench_now_ns() - t0);
        if (r == 0 && c->fired != c->n)
            r = -1;
        c->n = n;
        return r;
    }
    switch (s) {
    case S_COMPIO: r = run_compio(c); break;
    default: r = run_libuv(c); break;
    }
    *mps = (double)c->fired * 1e3 / (double)(bench_now_ns() - t0);
    if (r == 0 && c->fired != c->n)
        r = -1;
    return r;
}

static int
open_compio(struct ctx *c)
{
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
        r = cio_runtime_new(&c->rt, cfg);
    cio_config_free(cfg);
    if (r < 0)
        fprintf(stderr, "bench_timers: uring runtime: %s\n%s\n",
                cio_strerror(r), cio_error_detail());
    return r;
}

int
main(int argc, char **argv)
{
    const char *only = NULL, *data = NULL;
    double v[S_COUNT][BENCH_MAX_ROUNDS];
    int rounds = 5, i, s;
    FILE *dat = NULL;
    struct ctx c;
    unsigned k;

    memset(&c, 0, sizeof c);
    c.n = 1000000;
    c.live = 1024;
    c.sleep_ns = 20000;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            c.n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--live") && i + 1 < argc)
            c.live = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--sleep-ns") && i + 1 < argc)
            c.sleep_ns = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else {
            fprintf(stderr, "usage: see the comment at the top\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS || c.live < 1 ||
        c.live > MAX_LIVE || c.n < c.live) {
        fprintf(stderr, "bench_timers: bad arguments\n");
        return 2;
    }
    c.loop = uv_default_loop();
    c.uvt = calloc(c.live, sizeof *c.uvt);
    if (c.loop == NULL || c.uvt == NULL || open_compio(&c) < 0 ||
        timerfd_setup(&c) < 0) {
        perror("bench_timers: set-up");
        return 1;
    }
    for (k = 0; k < c.live; k++)
        uv_timer_init(c.loop, &c.uvt[k]);

    if (only != NULL) {
        double m;
        for (s = 0; s < S_COUNT; s++)
            if (!strcmp(only, side_name[s]))
                break;
        c.check = 1;
        if (s == S_COUNT || run_side(&c, (enum side)s, &m) ||
            c.early != 0) {
            fprintf(stderr, "bench_timers: run failed (%lu sleeps did not "
                    "arm a timer)\n", c.early);
            return 1;
        }
        printf("%s: %.3f M timers/s\n", only, m);
        return 0;
    }
    if (data != NULL && (dat = fopen(data, "a")) == NULL) {
        perror(data);
        return 1;
    }
    for (i = -1; i < rounds; i++) {
        /*
         * Round -1 warms every side up and is not counted. Each round
         * starts one side later: none always runs first.
         */
        int j;
        for (j = 0; j < S_COUNT; j++) {
            double m;
            s = (j + (i < 0 ? 0 : i)) % S_COUNT;
            if (run_side(&c, (enum side)s, i < 0 ? &m : &v[s][i])) {
                fprintf(stderr, "bench_timers: %s failed\n", side_name[s]);
                return 1;
            }
        }
    }
    printf("| side | M timers/s, median (min-max) |\n|---|---|\n");
    for (s = 0; s < S_COUNT; s++) {
        char b[96];
        printf("| %s | %s |\n", side_label[s],
               bench_fmt(b, sizeof b, v[s], rounds, 2));
        bench_data(dat, side_label[s], v[s], rounds);
    }
    printf("\n| comparison | ratio (median of rounds) | target | |\n"
           "|---|---|---|---|\n");
    {
        double q = bench_ratio(v[S_COMPIO], v[S_LIBUV], rounds);
        printf("| compio / libuv | %.2f | >= 1.0x | %s |\n", q,
               bench_verdict(q, 1.0));
        q = bench_ratio(v[S_COMPIO], v[S_TIMERFD], rounds);
        printf("| compio / raw timerfd | %.2f | (none) | |\n", q);
    }
    if (dat != NULL)
        fclose(dat);
    for (k = 0; k < c.live; k++) {
        uv_close((uv_handle_t *)&c.uvt[k], NULL);
        close(c.tfd[k]);
    }
    uv_run(c.loop, UV_RUN_DEFAULT);
    uv_loop_close(c.loop);
    cio_runtime_free(c.rt);
    close(c.ep);
    free(c.uvt);
    free(c.tfd);
    return 0;
}
