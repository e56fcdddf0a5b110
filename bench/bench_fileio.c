/* SPDX-License-Identifier: MIT */
/*
 * bench_fileio - 4 KiB random reads from a file in the page cache with a
 * fixed number in flight (QD 32 by default), five ways, alternating
 * round by round in one process (A B C D E A B C D E ...):
 *
 *   driver  compio's driver facade on the uring backend: QD ops pushed,
 *           and each one pushed again (new offset) as it comes back
 *   dfixed  the same with the file registered (CIO_OPF_FIXED_FILE) and
 *           READ_FIXED into a registered buffer, as fio's fixedbufs and
 *           registerfiles do
 *   task    QD compio tasks, each looping on cio_submit_wait(read_at)
 *   raw     raw liburing, the same refill loop with submit_and_wait(1)
 *   rfixed  raw liburing with a registered file and read_fixed
 *   uv      libuv: QD uv_fs_read requests on its thread pool, each
 *           callback issuing the next one
 *   fio     the fio command given with --fio (run with popen; its read
 *           IOPS from the terse output's eighth field)
 *
 * Every side reads 4 KiB at uniformly random block offsets from the same
 * generator and checks that each read returned 4096 bytes.
 *
 *   bench_fileio --file F [--rounds R] [--ops N] [--qd Q]
 *                [--sides driver,dfixed,task,raw,rfixed,uv,fio] [--fio CMD]
 *                [--data D]
 *   bench_fileio --file F --only SIDE --ops N   (one run, for callgrind)
 *
 * Prints markdown tables; --data appends plot lines to D.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <compio.h>

#include "bench_util.h"

#define BLOCK 4096u
#define MAX_QD 256

/* compio's sides first, then the peers (the ratio table relies on it). */
enum side {
    S_DRIVER, S_DFIXED, S_TASK, S_RAW, S_RFIXED, S_UV, S_FIO, S_COUNT
};
#define S_FIRST_PEER S_RAW

static const char *const side_name[S_COUNT] = {
    "driver", "dfixed", "task", "raw", "rfixed", "uv", "fio"};
static const char *const side_label[S_COUNT] = {
    "compio driver (uring)", "compio driver, fixed file+buffers",
    "compio tasks (uring)", "raw liburing",
    "raw liburing, fixed file+buffers", "libuv uv_fs_read",
    "fio io_uring (best job)"};

struct ctx {
    int fd;
    uint64_t nblocks;      /* File size in blocks. */
    unsigned qd;
    unsigned long ops;     /* Reads per run. */
    unsigned long issued;  /* Reads started in this run. */
    unsigned long done;    /* Reads completed in this run. */
    int err;               /* First failure of this run. */
    uint64_t rng;
    char *bufs;            /* MAX_QD blocks. */
    const char *fio;       /* The fio command line. */
    cio_driver *drv;
    cio_driver *fdrv;      /* With the file and buffers registered. */
    cio_runtime *rt;
    struct io_uring ring;
    struct io_uring fring; /* Likewise. */
    uv_loop_t *loop;
    uv_fs_t reqs[MAX_QD];
};

/* A cheap generator for block offsets; every side uses the same one. */
static inline uint64_t
next_offset(struct ctx *c)
{
    c->rng = c->rng * 6364136223846793005u + 1442695040888963407u;
    return ((c->rng >> 33) % c->nblocks) * BLOCK;
}

static void
fail(struct ctx *c, int r)
{
    if (c->err == 0)
        c->err = r < 0 ? r : -EIO;
}

/* ---- compio driver ---- */

static int
run_driver(struct ctx *c)
{
    static cio_op ops[MAX_QD];
    cio_entry ev[MAX_QD];
    const unsigned long total = c->ops;
    unsigned long issued, done = 0;
    unsigned i;

    for (i = 0; i < c->qd; i++) {
        cio_op_read_at(&ops[i], c->fd, c->bufs + i * BLOCK, BLOCK,
                       next_offset(c));
        if (cio_driver_push(c->drv, &ops[i]) < 0)
            return -1;
    }
    issued = c->qd;
    while (done < total) {
        int n = cio_driver_poll(c->drv, -1, ev, MAX_QD);
        if (n < 0)
            return -1;
        for (i = 0; i < (unsigned)n; i++) {
            if (ev[i].result != (int32_t)BLOCK)
                return -1;
            done++;
            if (issued < total) {
                ev[i].op->a.rw.offset = next_offset(c);
                if (cio_driver_push(c->drv, ev[i].op) < 0)
                    return -1;
                issued++;
            }
        }
    }
    return 0;
}

/* The same loop on a driver with the file and the buffers registered. */
static int
run_dfixed(struct ctx *c)
{
    static cio_op ops[MAX_QD];
    cio_entry ev[MAX_QD];
    const unsigned long total = c->ops;
    unsigned long issued, done = 0;
    unsigned i;

    for (i = 0; i < c->qd; i++) {
        cio_op_read_fixed(&ops[i], 0, c->bufs + i * BLOCK, BLOCK,
                          next_offset(c), 0);
        ops[i].opflags |= CIO_OPF_FIXED_FILE;
        if (cio_driver_push(c->fdrv, &ops[i]) < 0)
            return -1;
    }
    issued = c->qd;
    while (done < total) {
        int n = cio_driver_poll(c->fdrv, -1, ev, MAX_QD);
        if (n < 0)
            return -1;
        for (i = 0; i < (unsigned)n; i++) {
            if (ev[i].result != (int32_t)BLOCK)
                return -1;
            done++;
            if (issued < total) {
                ev[i].op->a.fixed.offset = next_offset(c);
                if (cio_driver_push(c->fdrv, ev[i].op) < 0)
                    return -1;
                issued++;
            }
        }
    }
    return 0;
}

/* ---- compio tasks ---- */

static int
task_reader(void *arg)
{
    struct ctx *c = arg;
    /* Each task has its own buffer, on its own stack. */
    char buf[BLOCK] __attribute__((aligned(64)));
    cio_op op;

    while (c->issued < c->ops && c->err == 0) {
        int32_t r;
        c->issued++;
        cio_op_read_at(&op, c->fd, buf, BLOCK, next_offset(c));
        r = cio_submit_wait(&op);
        if (r != (int32_t)BLOCK)
            fail(c, r);
        c->done++;
    }
    return 0;
}

static int
task_main(void *arg)
{
    struct ctx *c = arg;
    cio_task *t[MAX_QD];
    unsigned i, n = 0;
    int r = 0;

    for (i = 0; i < c->qd; i++) {
        r = cio_spawn(&t[i], task_reader, c);
        if (r < 0)
            break;
        n++;
    }
    for (i = 0; i < n; i++)
        cio_join(t[i]);
    return r < 0 ? r : c->err;
}

static int
run_task(struct ctx *c)
{
    c->issued = c->done = 0;
    c->err = 0;
    return cio_block_on(c->rt, task_main, c) < 0 ? -1 : 0;
}

/* ---- raw liburing ---- */

static int
raw_ring_init(struct io_uring *ring)
{
    struct io_uring_params p;

    /* The setup a tuned single-threaded program uses, as bench_driver. */
    memset(&p, 0, sizeof p);
#if defined(IORING_SETUP_SINGLE_ISSUER) && defined(IORING_SETUP_DEFER_TASKRUN)
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(MAX_QD, ring, &p) == 0)
        return 0;
    memset(&p, 0, sizeof p);
#endif
    return io_uring_queue_init_params(MAX_QD, ring, &p);
}

static int
run_raw(struct ctx *c)
{
    struct io_uring *ring = &c->ring;
    const unsigned long total = c->ops;
    unsigned long issued, done = 0;
    unsigned i;

    for (i = 0; i < c->qd; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_read(sqe, c->fd, c->bufs + i * BLOCK, BLOCK,
                           next_offset(c));
        sqe->user_data = i;
    }
    issued = c->qd;
    while (done < total) {
        struct io_uring_cqe *cqes[MAX_QD];
        unsigned n;

        if (io_uring_submit_and_wait(ring, 1) < 0)
            return -1;
        n = io_uring_peek_batch_cqe(ring, cqes, MAX_QD);
        for (i = 0; i < n; i++) {
            if (cqes[i]->res != (int)BLOCK)
                return -1;
            done++;
            if (issued < total) {
                unsigned slot = (unsigned)cqes[i]->user_data;
                struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
                io_uring_prep_read(sqe, c->fd, c->bufs + slot * BLOCK, BLOCK,
                                   next_offset(c));
                sqe->user_data = slot;
                issued++;
            }
        }
        io_uring_cq_advance(ring, n);
    }
    return 0;
}

/* The same loop on a ring with the file and the buffers registered. */
static int
run_rfixed(struct ctx *c)
{
    struct io_uring *ring = &c->fring;
    const unsigned long total = c->ops;
    unsigned long issued, done = 0;
    unsigned i;

    for (i = 0; i < c->qd; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_read_fixed(sqe, 0, c->bufs + i * BLOCK, BLOCK,
                                 next_offset(c), 0);
        sqe->flags |= IOSQE_FIXED_FILE;
        sqe->user_data = i;
    }
    issued = c->qd;
    while (done < total) {
        struct io_uring_cqe *cqes[MAX_QD];
        unsigned n;

        if (io_uring_submit_and_wait(ring, 1) < 0)
            return -1;
        n = io_uring_peek_batch_cqe(ring, cqes, MAX_QD);
        for (i = 0; i < n; i++) {
            if (cqes[i]->res != (int)BLOCK)
                return -1;
            done++;
            if (issued < total) {
                unsigned slot = (unsigned)cqes[i]->user_data;
                struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
                io_uring_prep_read_fixed(sqe, 0, c->bufs + slot * BLOCK,
                                         BLOCK, next_offset(c), 0);
                sqe->flags |= IOSQE_FIXED_FILE;
                sqe->user_data = slot;
                issued++;
            }
        }
        io_uring_cq_advance(ring, n);
    }
    return 0;
}

/* ---- libuv ---- */

static void peer_uv_read_cb(uv_fs_t *req);

static void
peer_uv_issue(struct ctx *c, unsigned slot)
{
    uv_buf_t b = uv_buf_init(c->bufs + slot * BLOCK, BLOCK);
    int r;

    c->issued++;
    r = uv_fs_read(c->loop, &c->reqs[slot], c->fd, &b, 1,
                   (int64_t)next_offset(c), peer_uv_read_cb);
    if (r < 0)
        fail(c, r);
}

static void
peer_uv_read_cb(uv_fs_t *req)
{
    struct ctx *c = req->data;
    unsigned slot = (unsigned)(req - c->reqs);

    if (req->result != (ssize_t)BLOCK)
        fail(c, (int)req->result);
    uv_fs_req_cleanup(req);
    c->done++;
    if (c->issued < c->ops && c->err == 0) {
        c->reqs[slot].data = c;
        peer_uv_issue(c, slot);
    }
}

static int
run_uv(struct ctx *c)
{
    unsigned i;

    c->issued = c->done = 0;
    c->err = 0;
    for (i = 0; i < c->qd; i++) {
        c->reqs[i].data = c;
        peer_uv_issue(c, i);
    }
    if (uv_run(c->loop, UV_RUN_DEFAULT) < 0)
        return -1;
    return c->err == 0 && c->done == c->ops ? 0 : -1;
}

/* ---- fio ---- */

/* Run the fio command once; its read IOPS in *@iops. */
static int
run_fio(struct ctx *c, double *iops)
{
    char line[8192];
    FILE *p = popen(c->fio, "r");
    int found = 0;

    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL) {
        /* Terse v3: version;fio;job;group;error;kb;bw;iops;... */
        char *f = line;
        int k;
        if (strncmp(line, "3;", 2) != 0)
            continue;
        for (k = 0; k < 7 && f != NULL; k++) {
            f = strchr(f, ';');
            if (f != NULL)
                f++;
        }
        if (f != NULL) {
            *iops = strtod(f, NULL);
            found = 1;
        }
    }
    return pclose(p) == 0 && found && *iops > 0 ? 0 : -1;
}

/* ---- one run of one side: k reads/s ---- */

static int
run_side(struct ctx *c, enum side s, double *kops)
{
    uint64_t t0;
    int r;

    if (s == S_FIO) {
        r = run_fio(c, kops);
        *kops /= 1e3;
        return r;
    }
    t0 = bench_now_ns();
    switch (s) {
    case S_DRIVER: r = run_driver(c); break;
    case S_DFIXED: r = run_dfixed(c); break;
    case S_TASK: r = run_task(c); break;
    case S_RAW: r = run_raw(c); break;
    case S_RFIXED: r = run_rfixed(c); break;
    default: r = run_uv(c); break;
    }
    *kops = (double)c->ops * 1e6 / (double)(bench_now_ns() - t0);
    return r;
}

static int
open_compio(struct ctx *c)
{
    cio_iovec iov;
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
        r = cio_driver_open(&c->drv, cfg);
    if (r == 0)
        r = cio_driver_open(&c->fdrv, cfg);
    if (r == 0)
        r = cio_runtime_new(&c->rt, cfg);
    cio_config_free(cfg);
    if (r == 0)
        r = cio_driver_attach(c->drv, c->fd);
    if (r == 0)
        r = cio_driver_attach(cio_runtime_driver(c->rt), c->fd);
    iov.base = c->bufs;
    iov.len = MAX_QD * BLOCK;
    if (r == 0)
        r = cio_driver_register_files(c->fdrv, &c->fd, 1);
    if (r == 0)
        r = cio_driver_register_buffers(c->fdrv, &iov, 1);
    /* Registered natively, not emulated: else this side means nothing. */
    if (r == 0 &&
        (cio_driver_feature(c->fdrv, CIO_FEATURE_FIXED_FILES) !=
             CIO_SUPPORT_NATIVE ||
         cio_driver_feature(c->fdrv, CIO_FEATURE_FIXED_BUFFERS) !=
             CIO_SUPPORT_NATIVE))
        r = CIO_ENOTSUP;
    if (r < 0)
        fprintf(stderr, "bench_fileio: uring: %s\n%s\n", cio_strerror(r),
                cio_error_detail());
    return r;
}

int
main(int argc, char **argv)
{
    const char *file = NULL, *only = NULL, *sides = "driver,task,raw,uv";
    const char *data = NULL;
    double v[S_COUNT][BENCH_MAX_ROUNDS];
    int use[S_COUNT] = {0};
    int rounds = 5, i, s;
    FILE *dat = NULL;
    struct stat st;
    struct ctx c;

    memset(&c, 0, sizeof c);
    c.qd = 32;
    c.ops = 200000;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
            c.ops = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--qd") && i + 1 < argc)
            c.qd = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sides") && i + 1 < argc)
            sides = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--fio") && i + 1 < argc)
            c.fio = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else {
            fprintf(stderr, "usage: see the comment at the top\n");
            return 2;
        }
    }
    if (file == NULL || rounds < 1 || rounds > BENCH_MAX_ROUNDS ||
        c.qd < 1 || c.qd > MAX_QD || c.ops < c.qd) {
        fprintf(stderr, "bench_fileio: bad arguments\n");
        return 2;
    }
    c.fd = open(file, O_RDONLY);
    if (c.fd < 0 || fstat(c.fd, &st) < 0 || st.st_size < (off_t)BLOCK) {
        perror(file);
        return 1;
    }
    c.nblocks = (uint64_t)st.st_size / BLOCK;
    c.bufs = aligned_alloc(4096, MAX_QD * BLOCK);
    c.loop = uv_default_loop();
    if (c.bufs == NULL || c.loop == NULL || raw_ring_init(&c.ring) < 0 ||
        raw_ring_init(&c.fring) < 0 || open_compio(&c) < 0) {
        fprintf(stderr, "bench_fileio: set-up failed\n");
        return 1;
    }
    {
        struct iovec iov = {c.bufs, MAX_QD * BLOCK};
        if (io_uring_register_files(&c.fring, &c.fd, 1) < 0 ||
            io_uring_register_buffers(&c.fring, &iov, 1) < 0) {
            fprintf(stderr, "bench_fileio: raw registration failed\n");
            return 1;
        }
    }

    if (only != NULL) {
        double k;
        for (s = 0; s < S_COUNT; s++)
            if (!strcmp(only, side_name[s]))
                break;
        c.rng = 1;
        if (s == S_COUNT || s == S_FIO || run_side(&c, (enum side)s, &k)) {
            fprintf(stderr, "bench_fileio: run failed\n");
            return 1;
        }
        printf("%s: %.1f k reads/s\n", only, k);
        return 0;
    }

    for (s = 0; s < S_COUNT; s++) {
        /* Whole names in the comma list: "raw" is not "rfixed". */
        const char *p = sides;
        size_t len = strlen(side_name[s]);
        while ((p = strstr(p, side_name[s])) != NULL) {
            if ((p == sides || p[-1] == ',') &&
                (p[len] == ',' || p[len] == '\0'))
                use[s] = 1;
            p += len;
        }
    }
    if (use[S_FIO] && c.fio == NULL)
        use[S_FIO] = 0;
    if (data != NULL && (dat = fopen(data, "a")) == NULL) {
        perror(data);
        return 1;
    }
    /* One warm-up run of each (fio's start-up is its own). */
    for (s = 0; s < S_FIO; s++) {
        double k;
        c.rng = 99;
        if (use[s] && run_side(&c, (enum side)s, &k)) {
            fprintf(stderr, "bench_fileio: warm-up of %s failed\n",
                    side_name[s]);
            return 1;
        }
    }
    for (i = 0; i < rounds; i++) {
        /* Each round starts one side later: no side always runs first. */
        int k;
        for (k = 0; k < S_COUNT; k++) {
            s = (k + i) % S_COUNT;
            c.rng = (uint64_t)i + 1;
            if (use[s] && run_side(&c, (enum side)s, &v[s][i])) {
                fprintf(stderr, "bench_fileio: %s failed in round %d\n",
                        side_name[s], i);
                return 1;
            }
        }
    }

    printf("| side | k reads/s, median (min-max) |\n|---|---|\n");
    for (s = 0; s < S_COUNT; s++) {
        char b[96];
        if (!use[s])
            continue;
        printf("| %s | %s |\n", side_label[s], bench_fmt(b, sizeof b, v[s],
                                                         rounds, 1));
        bench_data(dat, side_label[s], v[s], rounds);
    }
    printf("\n| comparison | ratio (median of rounds) | target | |\n"
           "|---|---|---|---|\n");
    for (s = S_DRIVER; s < S_FIRST_PEER; s++) {
        static const double target[S_COUNT] = {0, 0, 0, 0.9, 0.9, 1.5, 1.0};
        int p;
        if (!use[s])
            continue;
        for (p = S_FIRST_PEER; p < S_COUNT; p++) {
            double q;
            /*
             * Like with like against raw liburing (registered or not);
             * the fixed-file side is for fio's best job, which
             * registers too, and libuv has nothing to register.
             */
            if (!use[p] || (p == S_RAW && s == S_DFIXED) ||
                (p == S_RFIXED && s != S_DFIXED) ||
                (p == S_UV && s == S_DFIXED))
                continue;
            q = bench_ratio(v[s], v[p], rounds);
            printf("| %s / %s | %.2f | >= %.1fx | %s |\n", side_label[s],
                   side_label[p], q, target[p], bench_verdict(q, target[p]));
        }
    }
    /*
     * The same ratio for raw liburing: what the libuv target asks of an
     * io_uring loop on this machine. libuv's four pool threads copy
     * pages on both cores while one ring copies them inline on one, so
     * raw liburing itself can fall short of 1.5x.
     */
    if (use[S_RAW] && use[S_UV])
        printf("| raw liburing / libuv uv_fs_read (reference) | %.2f | "
               "(reported) | - |\n",
               bench_ratio(v[S_RAW], v[S_UV], rounds));
    if (dat != NULL)
        fclose(dat);
    io_uring_queue_exit(&c.ring);
    io_uring_queue_exit(&c.fring);
    cio_driver_close(c.drv);
    cio_driver_close(c.fdrv);
    cio_runtime_free(c.rt);
    uv_loop_close(c.loop);
    close(c.fd);
    free(c.bufs);
    return 0;
}
