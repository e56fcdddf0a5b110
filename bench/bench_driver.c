/* SPDX-License-Identifier: MIT */
/*
 * bench_driver - driver-level throughput: NOP and 4 KiB page-cache
 * read_at pushed through cio_driver_push/poll, against raw liburing
 * doing the same work, alternating A B A B in one process so both see
 * the same machine state.
 *
 *   bench_driver [--backend NAME] [--rounds R] [--ops N] [--batch LIST]
 *                [--workload nop|read|both] [--reinit]
 *   bench_driver --only compio|raw --workload W --batch B --ops N [--reinit]
 *       (one side, one cell: for callgrind instruction counts)
 *
 * Prints one markdown table row per (workload, batch): medians and
 * min-max in Mops/s, and the median of the per-round ratios.
 *
 * The compio side fills its batch of ops once per run and pushes them
 * again as they come back, changing only what differs (read_at: the
 * offset), as a program that keeps its ops does: an op is the caller's
 * again once its completion is delivered.
 * Raw liburing must fill an SQE per op, so it does. --reinit runs every
 * op through its initialiser (cio_op_nop, cio_op_read_at) before each
 * push instead, for the cost of that pattern.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <compio.h>

#define FILE_SIZE (64u << 20)
#define BLOCK 4096u
#define MAX_BATCH 128

enum workload { W_NOP, W_READ };

struct ctx {
    enum workload w;
    int fd;                        /* The file for W_READ. */
    unsigned batch;
    unsigned long ops;
    char *bufs;                    /* MAX_BATCH blocks. */
    uint64_t rng;
    int reinit;                    /* compio: initialise every op. */
};

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A cheap generator for block offsets; both sides use the same one. */
static uint64_t
next_offset(struct ctx *c)
{
    c->rng = c->rng * 6364136223846793005u + 1442695040888963407u;
    return ((c->rng >> 33) % (FILE_SIZE / BLOCK)) * BLOCK;
}

/* ---- compio side ---- */

static int
run_compio(struct ctx *c, cio_driver *drv, double *mops)
{
    static cio_op ops[MAX_BATCH];
    cio_entry ev[MAX_BATCH];
    unsigned long done = 0;
    uint64_t t0 = now_ns();
    /* In locals: the calls in the loop would make the compiler reload. */
    const unsigned batch = c->batch;
    const enum workload w = c->w;
    const int reinit = c->reinit;
    unsigned i;

    for (i = 0; i < batch; i++) {
        if (w == W_NOP)
            cio_op_nop(&ops[i]);
        else
            cio_op_read_at(&ops[i], c->fd, c->bufs + i * BLOCK, BLOCK, 0);
    }
    while (done < c->ops) {
        unsigned got = 0;
        /*
         * Two loops rather than a test of reinit per op, which raw
         * liburing's loop does not have; each, like raw's, tests the
         * workload per op.
         */
        if (reinit) {
            for (i = 0; i < batch; i++) {
                if (w == W_NOP)
                    cio_op_nop(&ops[i]);
                else
                    cio_op_read_at(&ops[i], c->fd, c->bufs + i * BLOCK, BLOCK,
                                   next_offset(c));
                if (cio_driver_push(drv, &ops[i]) < 0)
                    return -1;
            }
        } else {
            for (i = 0; i < batch; i++) {
                if (w == W_READ)
                    ops[i].a.rw.offset = next_offset(c);
                if (cio_driver_push(drv, &ops[i]) < 0)
                    return -1;
            }
        }
        while (got < batch) {
            int n = cio_driver_poll(drv, -1, ev, MAX_BATCH);
            if (n < 0)
                return -1;
            for (i = 0; i < (unsigned)n; i++)
                if (ev[i].result < 0 ||
                    (w == W_READ && ev[i].result != (int32_t)BLOCK))
                    return -1;
            got += (unsigned)n;
        }
        done += batch;
    }
    *mops = (double)done * 1e3 / (double)(now_ns() - t0);
    return 0;
}

/* ---- raw liburing side ---- */

static int
raw_ring_init(struct io_uring *ring)
{
    struct io_uring_params p;

    /*
     * The best plain setup for one thread that submits and reaps: the
     * same flags a tuned single-threaded program would use. Fall back
     * to defaults on kernels that refuse them.
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

static int
run_raw(struct ctx *c, struct io_uring *ring, double *mops)
{
    unsigned long done = 0;
    uint64_t t0 = now_ns();
    const unsigned batch = c->batch;
    const enum workload w = c->w;
    unsigned i;

    while (done < c->ops) {
        unsigned got = 0;
        for (i = 0; i < batch; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
            if (w == W_NOP)
                io_uring_prep_nop(sqe);
            else
                io_uring_prep_read(sqe, c->fd, c->bufs + i * BLOCK, BLOCK,
                                   next_offset(c));
        }
        if (io_uring_submit_and_wait(ring, batch) < 0)
            return -1;
        while (got < batch) {
            struct io_uring_cqe *cqes[MAX_BATCH];
            unsigned n = io_uring_peek_batch_cqe(ring, cqes, MAX_BATCH);
            if (n == 0) {
                if (io_uring_wait_cqe(ring, &cqes[0]) < 0)
                    return -1;
                continue;
            }
            for (i = 0; i < n; i++)
                if (cqes[i]->res < 0 ||
                    (w == W_READ && cqes[i]->res != (int)BLOCK))
                    return -1;
            io_uring_cq_advance(ring, n);
            got += n;
        }
        done += batch;
    }
    *mops = (double)done * 1e3 / (double)(now_ns() - t0);
    return 0;
}

/* ---- reporting ---- */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
make_file(void)
{
    char path[] = "/tmp/cio-bench-XXXXXX";
    char *block = malloc(1 << 20);
    int fd = mkstemp(path);
    unsigned i;

    if (fd < 0 || block == NULL)
        return -1;
    unlink(path);
    memset(block, 'x', 1 << 20);
    for (i = 0; i < FILE_SIZE >> 20; i++)
        if (write(fd, block, 1 << 20) != 1 << 20)
            return -1;
    free(block);
    /* Read it once so every later read hits the page cache. */
    posix_fadvise(fd, 0, FILE_SIZE, POSIX_FADV_WILLNEED);
    return fd;
}

static int
open_driver(const char *backend, cio_driver **drv)
{
    cio_config *cfg;
    int r = cio_config_new(&cfg);
    /* COMPIO_CONFIG, for module knobs ([module.uring] valgrind = no). */
    if (r == 0)
        r = cio_config_load_default(cfg);
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "backend", backend);
    if (r == 0)
        r = cio_config_set(cfg, "runtime", "fallback", "no");
    if (r == 0)
        r = cio_driver_open(drv, cfg);
    cio_config_free(cfg);
    if (r < 0)
        fprintf(stderr, "bench_driver: backend %s: %s\n%s\n", backend,
                cio_strerror(r), cio_error_detail());
    return r;
}

int
main(int argc, char **argv)
{
    const char *backend = "uring", *only = NULL, *wl = "both";
    unsigned batches[8] = {1, 8, 32, 128};
    int nbatch = 4, rounds = 7, i, b, w, reinit = 0;
    unsigned long ops = 400000;
    struct io_uring ring;
    cio_driver *drv;
    struct ctx c;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc)
            backend = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
            ops = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--workload") && i + 1 < argc)
            wl = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--reinit"))
            reinit = 1;
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
            char *s = argv[++i], *tok;
            nbatch = 0;
            for (tok = strtok(s, ","); tok && nbatch < 8;
                 tok = strtok(NULL, ","))
                batches[nbatch++] = (unsigned)atoi(tok);
        } else {
            fprintf(stderr, "usage: see the comment at the top\n");
            return 2;
        }
    }
    for (b = 0; b < nbatch; b++)
        if (batches[b] < 1 || batches[b] > MAX_BATCH)
            return 2;
    if (rounds < 1 || rounds > 101)
        return 2;

    memset(&c, 0, sizeof c);
    c.reinit = reinit;
    c.bufs = aligned_alloc(4096, MAX_BATCH * BLOCK);
    c.fd = make_file();
    if (c.bufs == NULL || c.fd < 0) {
        perror("bench_driver: set-up");
        return 1;
    }
    if (open_driver(backend, &drv) < 0)
        return 1;
    if (cio_driver_attach(drv, c.fd) < 0 || raw_ring_init(&ring) < 0) {
        fprintf(stderr, "bench_driver: attach or raw ring failed\n");
        return 1;
    }

    if (only != NULL) {
        double m;
        c.w = !strcmp(wl, "read") ? W_READ : W_NOP;
        c.batch = batches[0];
        c.ops = ops;
        c.rng = 1;
        if (!strcmp(only, "compio") ? run_compio(&c, drv, &m)
                                    : run_raw(&c, &ring, &m)) {
            fprintf(stderr, "bench_driver: run failed\n");
            return 1;
        }
        printf("%s %s batch %u: %.3f Mops/s\n", only, wl, c.batch, m);
        goto out;
    }

    printf("| workload | batch | compio/%s Mops/s median (min-max) "
           "| raw liburing Mops/s median (min-max) | ratio (median of rounds) |\n"
           "|---|---|---|---|---|\n",
           backend);
    for (w = W_NOP; w <= W_READ; w++) {
        if ((w == W_NOP && !strcmp(wl, "read")) ||
            (w == W_READ && !strcmp(wl, "nop")))
            continue;
        c.w = (enum workload)w;
        for (b = 0; b < nbatch; b++) {
            double a[101], r[101], q[101], amed, rmed;
            double amin = 1e18, amax = 0, rmin = 1e18, rmax = 0;
            c.batch = batches[b];
            c.ops = w == W_NOP ? ops : ops / 4;
            c.ops -= c.ops % c.batch;
            /* One warm-up round of each, not counted. */
            c.rng = 1;
            if (run_compio(&c, drv, &a[0]) || run_raw(&c, &ring, &r[0]))
                goto fail;
            for (i = 0; i < rounds; i++) {
                c.rng = (uint64_t)i + 1;
                if (run_compio(&c, drv, &a[i]))
                    goto fail;
                c.rng = (uint64_t)i + 1;
                if (run_raw(&c, &ring, &r[i]))
                    goto fail;
                q[i] = a[i] / r[i];
                if (a[i] < amin) amin = a[i];
                if (a[i] > amax) amax = a[i];
                if (r[i] < rmin) rmin = r[i];
                if (r[i] > rmax) rmax = r[i];
            }
            amed = median(a, rounds);
            rmed = median(r, rounds);
            printf("| %s | %u | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %.2f |\n",
                   w == W_NOP ? "nop" : "read_at 4 KiB", c.batch, amed, amin,
                   amax, rmed, rmin, rmax, median(q, rounds));
            fflush(stdout);
        }
    }
out:
    io_uring_queue_exit(&ring);
    cio_driver_close(drv);
    close(c.fd);
    free(c.bufs);
    return 0;
fail:
    fprintf(stderr, "bench_driver: a run failed\n");
    return 1;
}
