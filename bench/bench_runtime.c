/* SPDX-License-Identifier: MIT */
/*
 * bench_runtime - what the executor itself costs (issue 4): a context
 * switch between tasks, spawn+join, a NOP round trip through a task
 * against raw liburing in the same process (A B A B rounds), and the
 * memory of 100,000 idle tasks.
 *
 *   bench_runtime [--rounds R]       every workload, markdown tables out
 *   bench_runtime --only W --n N     one run of workload W over N units
 *                                    (for callgrind instruction counts)
 *
 * W is one of yield, event (units: switches), spawn, spawn1000 (tasks),
 * nop, nop32, raw-nop, raw-nop32 (ops). The runtime runs the uring
 * backend with fallback off, so a missing io_uring is an error, never a
 * silent epoll run.
 */
#define _GNU_SOURCE 1
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <compio.h>

#define MAX_ROUNDS 101
#define IDLE_TASKS 100000ul
#define BATCH_SPAWN 1000u
#define BATCH_NOP 32u
#define GIB (1024.0 * 1024.0 * 1024.0)

/* One timed run: its size in, its elapsed time and first error out. */
struct job {
    unsigned long n;  /* Units: switches, tasks or ops. */
    unsigned batch;   /* Tasks spawned at once / NOPs in flight. */
    uint64_t ns;      /* Elapsed, measured inside the runtime. */
    int err;          /* First failure, -errno. */
    cio_event ev[2];  /* The event ping-pong. */
    cio_task **tasks; /* Handles of one batch. */
};

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keep the first error of a run; later ones are usually its echoes. */
static void
job_fail(struct job *j, int r)
{
    if (j->err == 0)
        j->err = r;
}

/* Join @t and record a failure of it or of the join. */
static void
join_check(struct job *j, cio_task *t)
{
    int r = cio_join(t);
    if (r < 0)
        job_fail(j, r);
}

/* ---- context switch ---- */

/*
 * Two of these yield to each other: with only the pair ready, each
 * cio_yield is one switch straight to the other task (the loop itself
 * runs once every 128 switches, and that share is part of the cost).
 */
static int
yield_body(void *arg)
{
    const struct job *j = arg;
    unsigned long i;

    for (i = 0; i < j->n / 2; i++)
        cio_yield();
    return 0;
}

/*
 * The event ping-pong: each side wakes the other and parks on its own
 * event, so every half-iteration is one park and one switch.
 */
static int
event_ping(void *arg)
{
    struct job *j = arg;
    unsigned long i;
    int r;

    for (i = 0; i < j->n / 2; i++) {
        cio_event_set(&j->ev[1]);
        r = cio_event_wait(&j->ev[0]);
        if (r < 0)
            return r;
        cio_event_reset(&j->ev[0]);
    }
    return 0;
}

static int
event_pong(void *arg)
{
    struct job *j = arg;
    unsigned long i;
    int r;

    for (i = 0; i < j->n / 2; i++) {
        r = cio_event_wait(&j->ev[1]);
        if (r < 0)
            return r;
        cio_event_reset(&j->ev[1]);
        cio_event_set(&j->ev[0]);
    }
    return 0;
}

/* Run @a and @b as a pair and time them; the main task only joins. */
static int
pair_main(struct job *j, cio_task_fn a, cio_task_fn b)
{
    cio_task *ta, *tb;
    uint64_t t0 = now_ns();
    int r;

    cio_event_init(&j->ev[0]);
    cio_event_init(&j->ev[1]);
    r = cio_spawn(&ta, a, j);
    if (r < 0)
        return r;
    r = cio_spawn(&tb, b, j);
    if (r < 0) {
        join_check(j, ta);
        return r;
    }
    join_check(j, ta);
    join_check(j, tb);
    j->ns = now_ns() - t0;
    return j->err;
}

static int
yield_main(void *arg)
{
    return pair_main(arg, yield_body, yield_body);
}

static int
event_main(void *arg)
{
    return pair_main(arg, event_ping, event_pong);
}

/* ---- spawn + join ---- */

static int
empty_body(void *arg)
{
    return 0;
}

/* Spawn one, join it, repeat: the stack comes back from the cache. */
static int
spawn_main(void *arg)
{
    struct job *j = arg;
    uint64_t t0 = now_ns();
    unsigned long i;
    cio_task *t;
    int r;

    for (i = 0; i < j->n && j->err == 0; i++) {
        r = cio_spawn(&t, empty_body, NULL);
        if (r < 0)
            return r;
        join_check(j, t);
    }
    j->ns = now_ns() - t0;
    return j->err;
}

/* Spawn a batch, then join the batch: many stacks live at once. */
static int
spawn_batch_main(void *arg)
{
    struct job *j = arg;
    uint64_t t0 = now_ns();
    unsigned long done;
    unsigned i, k;
    int r = 0;

    for (done = 0; done < j->n && j->err == 0; done += j->batch) {
        for (k = 0; k < j->batch; k++) {
            r = cio_spawn(&j->tasks[k], empty_body, NULL);
            if (r < 0)
                break;
        }
        for (i = 0; i < k; i++)
            join_check(j, j->tasks[i]);
        if (r < 0)
            return r;
    }
    j->ns = now_ns() - t0;
    return j->err;
}

/* ---- NOP round trip ---- */

/* @n NOPs, one at a time, each awaited by this task. */
static int
nop_loop(struct job *j, unsigned long n)
{
    cio_op op;
    unsigned long i;
    int32_t r;

    for (i = 0; i < n; i++) {
        cio_op_nop(&op);
        r = cio_submit_wait(&op);
        if (r != 0)
            return r < 0 ? r : CIO_EIO;
    }
    return 0;
}

static int
nop_body(void *arg)
{
    struct job *j = arg;

    return nop_loop(j, j->n / j->batch);
}

/*
 * One task: every NOP costs a park, a loop turn with one submit+wait
 * system call, and a switch back. With batch tasks, the batch's NOPs
 * go out in one system call and come back in one poll.
 */
static int
nop_main(void *arg)
{
    struct job *j = arg;
    uint64_t t0 = now_ns();
    unsigned i, k;
    int r = 0;

    if (j->batch <= 1) {
        r = nop_loop(j, j->n);
    } else {
        for (k = 0; k < j->batch; k++) {
            r = cio_spawn(&j->tasks[k], nop_body, j);
            if (r < 0)
                break;
        }
        for (i = 0; i < k; i++)
            join_check(j, j->tasks[i]);
    }
    j->ns = now_ns() - t0;
    return r < 0 ? r : j->err;
}

static int
raw_ring_init(struct io_uring *ring)
{
    struct io_uring_params p;

    /*
     * The setup a tuned single-threaded program would pick, and the one
     * the uring module uses by default; plain defaults where the kernel
     * refuses it.
     */
    memset(&p, 0, sizeof p);
#if defined(IORING_SETUP_SINGLE_ISSUER) && defined(IORING_SETUP_DEFER_TASKRUN)
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(256, ring, &p) == 0)
        return 0;
    memset(&p, 0, sizeof p);
#endif
    return io_uring_queue_init_params(256, ring, &p);
}

/* The same NOPs with raw liburing: prep, submit and wait, reap. */
static int
raw_nop(struct io_uring *ring, struct job *j)
{
    struct io_uring_cqe *cqes[BATCH_NOP];
    uint64_t t0 = now_ns();
    unsigned long done;
    unsigned i, got, n;
    int r;

    for (done = 0; done < j->n; done += j->batch) {
        for (i = 0; i < j->batch; i++)
            io_uring_prep_nop(io_uring_get_sqe(ring));
        r = io_uring_submit_and_wait(ring, j->batch);
        if (r < 0)
            return r;
        for (got = 0; got < j->batch; got += n) {
            n = io_uring_peek_batch_cqe(ring, cqes, BATCH_NOP);
            if (n == 0) {
                r = io_uring_wait_cqe(ring, &cqes[0]);
                if (r < 0)
                    return r;
                continue;
            }
            for (i = 0; i < n; i++)
                if (cqes[i]->res != 0)
                    return cqes[i]->res < 0 ? cqes[i]->res : CIO_EIO;
            io_uring_cq_advance(ring, n);
        }
    }
    j->ns = now_ns() - t0;
    return 0;
}

/* ---- running and summarising ---- */

struct stat3 {
    double med, min, max;
};

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median, min and max of @v (sorted in place). */
static struct stat3
summarise(double *v, int n)
{
    struct stat3 s;

    qsort(v, (size_t)n, sizeof *v, cmp_double);
    s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.min = v[0];
    s.max = v[n - 1];
    return s;
}

/* One block_on of @fn over @j, with a fresh job state. 0 or -errno. */
static int
run_task(cio_runtime *rt, cio_task_fn fn, struct job *j)
{
    int r;

    j->err = 0;
    j->ns = 0;
    r = cio_block_on(rt, fn, j);
    if (r == 0 && j->ns == 0)
        r = CIO_EIO;
    return r;
}

static int
run_raw(struct io_uring *ring, struct job *j)
{
    j->ns = 0;
    return raw_nop(ring, j);
}

static void
report_error(const char *what, int r)
{
    fprintf(stderr, "bench_runtime: %s: %s (%s)\n", what, cio_strerror(r),
            cio_errname(r));
}

/*
 * Time @fn over @rounds rounds after one uncounted warm-up; @v gets
 * nanoseconds per unit. 0 or -errno.
 */
static int
rounds_task(cio_runtime *rt, cio_task_fn fn, struct job *j, int rounds,
            double *v)
{
    int i, r;

    r = run_task(rt, fn, j);
    for (i = 0; r == 0 && i < rounds; i++) {
        r = run_task(rt, fn, j);
        v[i] = (double)j->ns / (double)j->n;
    }
    return r;
}

static const char *
verdict(int met)
{
    return met ? "**met**" : "**missed**";
}

static int
bench_switch(cio_runtime *rt, int rounds)
{
    static const struct {
        const char *name;
        cio_task_fn fn;
    } w[] = {
        {"cio_yield, two tasks ping-pong", yield_main},
        {"cio_event set + wait, two tasks ping-pong", event_main},
    };
    double v[MAX_ROUNDS];
    struct stat3 s;
    struct job j;
    size_t k;
    int r;

    printf("| mechanism | ns per switch, median (min-max) |\n"
           "|---|---|\n");
    for (k = 0; k < sizeof w / sizeof w[0]; k++) {
        memset(&j, 0, sizeof j);
        j.n = 2000000;
        r = rounds_task(rt, w[k].fn, &j, rounds, v);
        if (r < 0) {
            report_error(w[k].name, r);
            return r;
        }
        s = summarise(v, rounds);
        printf("| %s | %.1f (%.1f-%.1f) |\n", w[k].name, s.med, s.min, s.max);
        fflush(stdout);
    }
    return 0;
}

static int
bench_spawn(cio_runtime *rt, int rounds, double *med_out)
{
    cio_task *tasks[BATCH_SPAWN];
    double v[MAX_ROUNDS];
    struct stat3 s;
    struct job j;
    int b, i, r;

    printf("| pattern | M tasks/s, median (min-max) | target | |\n"
           "|---|---|---|---|\n");
    for (b = 0; b < 2; b++) {
        memset(&j, 0, sizeof j);
        /*
         * Fewer in batches: every task past the 64 stacks the runtime
         * caches maps (and later unmaps) a fresh stack, which is slow.
         */
        j.n = b ? 100000 : 400000;
        j.batch = b ? BATCH_SPAWN : 1;
        j.tasks = tasks;
        r = rounds_task(rt, b ? spawn_batch_main : spawn_main, &j, rounds, v);
        if (r < 0) {
            report_error("spawn+join", r);
            return r;
        }
        /* ns per task -> M tasks/s: the median is taken of the rates. */
        for (i = 0; i < rounds; i++)
            v[i] = 1e3 / v[i];
        s = summarise(v, rounds);
        med_out[b] = s.med;
        printf("| %s | %.2f (%.2f-%.2f) | >= 1 M/s | %s |\n",
               b ? "spawn 1000, then join the 1000"
                 : "spawn one, join it, repeat",
               s.med, s.min, s.max, verdict(s.med >= 1.0));
        fflush(stdout);
    }
    return 0;
}

/*
 * The NOP round trip, compio and raw alternating in every round (one
 * warm-up of each first), so both see the same machine.
 */
static int
bench_nop(cio_runtime *rt, struct io_uring *ring, int rounds, double *ratio)
{
    cio_task *tasks[BATCH_NOP];
    double a[MAX_ROUNDS], w[MAX_ROUNDS], q[MAX_ROUNDS];
    struct stat3 sa, sw, sq;
    struct job j;
    int b, i, r;

    printf("| pattern | compio task Mops/s, median (min-max) "
           "| raw liburing Mops/s, median (min-max) "
           "| ratio (median of rounds) | target | |\n"
           "|---|---|---|---|---|---|\n");
    for (b = 0; b < 2; b++) {
        memset(&j, 0, sizeof j);
        j.batch = b ? BATCH_NOP : 1;
        j.n = b ? 640000 : 200000;
        j.tasks = tasks;
        r = run_task(rt, nop_main, &j);
        if (r == 0)
            r = run_raw(ring, &j);
        for (i = 0; r == 0 && i < rounds; i++) {
            r = run_task(rt, nop_main, &j);
            a[i] = (double)j.n * 1e3 / (double)j.ns;
            if (r == 0)
                r = run_raw(ring, &j);
            w[i] = (double)j.n * 1e3 / (double)j.ns;
            q[i] = a[i] / w[i];
        }
        if (r < 0) {
            report_error("nop", r);
            return r;
        }
        sa = summarise(a, rounds);
        sw = summarise(w, rounds);
        sq = summarise(q, rounds);
        ratio[b] = sq.med;
        printf("| %s | %.3f (%.3f-%.3f) | %.3f (%.3f-%.3f) | %.2f "
               "| >= 0.5x | %s |\n",
               b ? "32 tasks, one NOP each in flight / raw batch of 32"
                 : "1 task, one NOP at a time / raw submit_and_wait(1)",
               sa.med, sa.min, sa.max, sw.med, sw.min, sw.max, sq.med,
               verdict(sq.med >= 0.5));
        fflush(stdout);
    }
    return 0;
}

/* ---- 100,000 idle tasks ---- */

struct idle {
    unsigned long n, spawned;
    cio_task **tasks;
    cio_event ev;
    long rss0, rss1, pte0, pte1, vma0, vma1; /* kB, kB, count */
    uint64_t spawn_ns, join_ns;
    int err;
};

/* A "Key:   123 kB" field of /proc/self/status, or -1. */
static long
status_kb(const char *key)
{
    char line[256];
    size_t len = strlen(key);
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            v = strtol(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Lines of /proc/self/maps: the process's VMAs. */
static long
vma_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;

    if (f == NULL)
        return -1;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
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
idle_body(void *arg)
{
    return cio_event_wait(arg);
}

static int
idle_main(void *arg)
{
    struct idle *d = arg;
    uint64_t t0;
    unsigned long i;
    int r;

    d->rss0 = status_kb("VmRSS");
    d->pte0 = status_kb("VmPTE");
    d->vma0 = vma_count();
    t0 = now_ns();
    for (i = 0; i < d->n; i++) {
        r = cio_spawn(&d->tasks[i], idle_body, &d->ev);
        if (r < 0) {
            d->err = r;
            break;
        }
    }
    d->spawned = i;
    /*
     * This task goes to the tail of the ready queue, so it runs again
     * only after every new task ran up to its park in cio_event_wait.
     */
    cio_yield();
    d->spawn_ns = now_ns() - t0;
    d->rss1 = status_kb("VmRSS");
    d->pte1 = status_kb("VmPTE");
    d->vma1 = vma_count();
    t0 = now_ns();
    cio_event_set(&d->ev);
    for (i = 0; i < d->spawned; i++) {
        r = cio_join(d->tasks[i]);
        if (r < 0 && d->err == 0)
            d->err = r;
    }
    d->join_ns = now_ns() - t0;
    return 0;
}

static int
bench_idle(cio_runtime *rt, const char *stack_size, double *gib_out,
           int *met_out)
{
    struct idle d;
    double per, total;
    int r, met;

    memset(&d, 0, sizeof d);
    d.n = IDLE_TASKS;
    /* Touched now, so the handle array is in the "before" RSS. */
    d.tasks = calloc(d.n, sizeof *d.tasks);
    if (d.tasks == NULL)
        return CIO_ENOMEM;
    memset(d.tasks, 0xff, d.n * sizeof *d.tasks);
    cio_event_init(&d.ev);
    r = cio_block_on(rt, idle_main, &d);
    free(d.tasks);
    if (r < 0) {
        report_error("idle tasks", r);
        return r;
    }
    total = (double)(d.rss1 - d.rss0) * 1024.0;
    per = d.spawned ? total / (double)d.spawned : 0;
    *gib_out = total / GIB;
    met = d.spawned == d.n && d.err == 0 && total <= GIB;
    *met_out = met;
    printf("| quantity | value |\n|---|---|\n");
    printf("| stack size | %s |\n", stack_size);
    printf("| tasks spawned and parked | %lu of %lu%s%s |\n", d.spawned, d.n,
           d.err ? ": " : "", d.err ? cio_errname(d.err) : "");
    printf("| VmRSS before / with the tasks parked | %.1f MiB / %.1f MiB |\n",
           (double)d.rss0 / 1024, (double)d.rss1 / 1024);
    printf("| VmRSS of the tasks (difference) | %.1f MiB = %.3f GiB |\n",
           total / (1024.0 * 1024.0), total / GIB);
    printf("| per task | %.0f bytes (%.2f pages of 4 KiB) |\n", per,
           per / 4096);
    printf("| page tables (VmPTE, not in VmRSS) | +%.1f MiB |\n",
           (double)(d.pte1 - d.pte0) / 1024);
    printf("| VMAs before / with the tasks (vm.max_map_count %ld) "
           "| %ld / %ld |\n",
           max_map_count(), d.vma0, d.vma1);
    printf("| time to spawn and park them all / to wake and join | "
           "%.0f ms / %.0f ms |\n",
           (double)d.spawn_ns / 1e6, (double)d.join_ns / 1e6);
    printf("| target: <= 1 GiB for 100,000 tasks | %s |\n", verdict(met));
    /* A spawn that failed is a result to report, not a reason to stop. */
    return 0;
}

/* ---- main ---- */

static int
open_runtime(cio_runtime **rt, const char **stack_size)
{
    static char desc[64];
    cio_config *cfg;
    const char *v;
    int r = cio_config_new(&cfg);

    /* COMPIO_CONFIG, for module knobs ([module.uring] valgrind = no). */
    if (r == 0)
        r = cio_config_load_default(cfg);
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "backend", "uring");
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "fallback", "no");
    if (r == 0) {
        /* Not set here: whatever the runtime's default is, is measured. */
        v = cio_config_get(cfg, "runtime", "stack_size");
        snprintf(desc, sizeof desc, "%s%s", v ? v : "262144",
                 v ? " (config)" : " bytes (the default)");
        *stack_size = desc;
        r = cio_runtime_new(rt, cfg);
    }
    cio_config_free(cfg);
    if (r < 0)
        fprintf(stderr, "bench_runtime: uring runtime: %s\n%s\n",
                cio_strerror(r), cio_error_detail());
    return r;
}

/* One run of one workload, for callgrind. */
static int
run_only(cio_runtime *rt, struct io_uring *ring, const char *w, unsigned long n)
{
    cio_task *tasks[BATCH_SPAWN];
    struct job j;
    int r;

    memset(&j, 0, sizeof j);
    j.n = n;
    j.batch = 1;
    j.tasks = tasks;
    if (strstr(w, "1000") != NULL)
        j.batch = BATCH_SPAWN;
    else if (strstr(w, "32") != NULL)
        j.batch = BATCH_NOP;
    if (n % j.batch != 0)
        return CIO_EINVAL;
    if (!strcmp(w, "yield"))
        r = run_task(rt, yield_main, &j);
    else if (!strcmp(w, "event"))
        r = run_task(rt, event_main, &j);
    else if (!strcmp(w, "spawn"))
        r = run_task(rt, spawn_main, &j);
    else if (!strcmp(w, "spawn1000"))
        r = run_task(rt, spawn_batch_main, &j);
    else if (!strcmp(w, "nop"))
        r = run_task(rt, nop_main, &j);
    else if (!strcmp(w, "nop32"))
        r = run_task(rt, nop_main, &j);
    else if (!strcmp(w, "raw-nop"))
        r = run_raw(ring, &j);
    else if (!strcmp(w, "raw-nop32"))
        r = run_raw(ring, &j);
    else
        return CIO_EINVAL;
    if (r == 0)
        printf("%s: %lu units, %.1f ns each\n", w, n, (double)j.ns / (double)n);
    return r;
}

int
main(int argc, char **argv)
{
    const char *only = NULL, *stack_size = NULL;
    unsigned long n = 100000;
    int rounds = 7, i, r;
    double spawn[2], nop[2], idle_gib = 0;
    int idle_met = 0;
    struct io_uring ring;
    cio_runtime *rt;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: see the comment at the top\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || n < 2 || n % 2 != 0)
        return 2;
    if (open_runtime(&rt, &stack_size) < 0)
        return 1;
    r = raw_ring_init(&ring);
    if (r < 0) {
        report_error("raw io_uring", r);
        return 1;
    }

    if (only != NULL) {
        r = run_only(rt, &ring, only, n);
        if (r < 0)
            report_error(only, r);
        goto out;
    }

    /* The idle tasks first, while the process is small and fresh. */
    printf("### 100,000 idle tasks (parked in cio_event_wait)\n\n");
    r = bench_idle(rt, stack_size, &idle_gib, &idle_met);
    printf("\n### Context switch\n\n");
    if (r == 0)
        r = bench_switch(rt, rounds);
    printf("\n### Spawn + join\n\n");
    if (r == 0)
        r = bench_spawn(rt, rounds, spawn);
    printf("\n### NOP round trip: cio_submit_wait in a task vs raw liburing"
           "\n\n");
    if (r == 0)
        r = bench_nop(rt, &ring, rounds, nop);
    if (r == 0) {
        /* Last, so run.sh can put its callgrind tables before it. */
        printf("\n### Against the targets (issue 4)\n\n");
        printf("- spawn+join: %.2f M tasks/s one at a time, %.2f M/s in "
               "batches of 1000 (target >= 1 M/s): %s, %s.\n",
               spawn[0], spawn[1], verdict(spawn[0] >= 1.0),
               verdict(spawn[1] >= 1.0));
        printf("- NOP round trip through a task: %.2fx raw liburing one at "
               "a time, %.2fx with 32 in flight (target >= 0.5x): %s, %s.\n",
               nop[0], nop[1], verdict(nop[0] >= 0.5), verdict(nop[1] >= 0.5));
        printf("- 100,000 idle tasks: %.3f GiB of RSS (target <= 1 GiB "
               "with the default stack): %s.\n",
               idle_gib, verdict(idle_met));
        printf("- Context switch: no target; ns and instructions above.\n");
    }
out:
    io_uring_queue_exit(&ring);
    cio_runtime_free(rt);
    return r < 0 ? 1 : 0;
}
