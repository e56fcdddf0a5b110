/* SPDX-License-Identifier: MIT */
/*
 * echo-client [--host H] --port P [--conns C] [--size BYTES]
 *             [--requests N | --duration S] [--threads T] [--pin]
 *             [--backend NAME] [--timeout S] - load an echo server and
 * check every byte it sends back.
 *
 * Each of C connections is a task that sends a request of BYTES bytes,
 * reads the echo and compares it, N times (or for S seconds), one
 * request in flight per connection. The bytes differ per connection and
 * per request (a window into a per-connection random pattern), so a
 * reply that went to the wrong connection, came back out of order or
 * was cut short is caught. After the last request the connection shuts
 * down its write side and expects end of stream: an extra byte is an
 * error too. Requests larger than 16 KiB go out in 16 KiB pieces, each
 * read back before the next, so neither side can fill both socket
 * buffers and stall.
 *
 * --threads T spreads the connections over T runtimes (one thread
 * each, --pin: one per core). --timeout S bounds each request and
 * each connect (10 s; 0: no deadline, one timer less per operation).
 * Output, on stdout:
 *
 *     50 conns x 200 requests of 64 bytes, backend uring, 1 thread
 *     requests 10000 in 0.215 s: 46511 req/s, 2.8 MiB/s each way
 *     latency us: p50 975.1 p99 2113.5 p999 3300.4 max 3412.0
 *     errors 0, mismatches 0
 *
 * Exit status 0 when every request came back intact, 1 on any error or
 * mismatch (each reported on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/net.h>

/* Largest piece written before its echo is read back. */
#define PIECE (16 * 1024)
/* Offsets into the pattern: request k starts at (k * 61) % WINDOWS. */
#define WINDOWS 256

/* ---- latency histogram: log-linear, within 6% ---- */

#define HIST_SUB_BITS 5
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))
#define HIST_SLOTS (64 * HIST_HALF)

typedef struct hist {
    uint64_t count[HIST_SLOTS];
    uint64_t total;
    uint64_t max;
} hist;

static unsigned
hist_slot(uint64_t v)
{
    unsigned msb, shift;

    if (v < (1u << HIST_SUB_BITS))
        return (unsigned)v;
    msb = 63u - (unsigned)__builtin_clzll(v);
    shift = msb - (HIST_SUB_BITS - 1);
    return (shift + 1) * HIST_HALF + (unsigned)((v >> shift) - HIST_HALF);
}

/* The largest value that lands in @slot. */
static uint64_t
hist_value(unsigned slot)
{
    unsigned shift;

    if (slot < (1u << HIST_SUB_BITS))
        return slot;
    shift = slot / HIST_HALF - 1;
    return (((uint64_t)(slot % HIST_HALF + HIST_HALF) + 1) << shift) - 1;
}

static void
hist_add(hist *h, uint64_t v)
{
    h->count[hist_slot(v)]++;
    h->total++;
    if (v > h->max)
        h->max = v;
}

static void
hist_merge(hist *into, const hist *from)
{
    unsigned i;

    for (i = 0; i < HIST_SLOTS; i++)
        into->count[i] += from->count[i];
    into->total += from->total;
    if (from->max > into->max)
        into->max = from->max;
}

/* The value below which a fraction @q of the samples lie. */
static uint64_t
hist_quantile(const hist *h, double q)
{
    uint64_t want = (uint64_t)(q * (double)h->total + 0.999999), seen = 0;
    unsigned i;

    if (want == 0)
        want = 1;
    for (i = 0; i < HIST_SLOTS; i++) {
        seen += h->count[i];
        if (seen >= want)
            return hist_value(i) < h->max ? hist_value(i) : h->max;
    }
    return h->max;
}

/* ---- the run ---- */

typedef struct options {
    const char *host;
    unsigned port;
    unsigned conns;
    size_t size;
    uint64_t requests;    /* Per connection; 0 with a duration. */
    uint64_t duration_ns; /* 0 with a request count. */
    uint64_t timeout_ns;  /* Per request (and per connect). */
    unsigned threads;
    int pin;
    const char *backend;
} options;

/* One thread's share: its connections and what they measured. */
typedef struct worker {
    const options *o;
    unsigned first, count; /* Connection ids [first, first + count). */
    uint64_t stop_at;      /* cio_now() time to stop (duration mode). */
    hist lat;
    uint64_t requests;
    uint64_t t_begin, t_end; /* First request sent, last echo read. */
    unsigned errors, mismatches;
    char backend[32];
} worker;

typedef struct conn_ctx {
    worker *w;
    unsigned id;
} conn_ctx;

/* xorshift64*: the per-connection pattern. */
static uint64_t
next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* The deadline for an operation that starts now: --timeout 0 is none. */
static uint64_t
deadline_from(const options *o, uint64_t now)
{
    return o->timeout_ns != 0 ? now + o->timeout_ns : 0;
}

static void
conn_error(worker *w, unsigned id, const char *what, int err)
{
    w->errors++;
    fprintf(stderr, "echo-client: conn %u: %s: %s\n", id, what,
            err == CIO_ENODATA ? "the server closed the connection"
                               : cio_strerror(err));
}

/*
 * One request: write @len bytes of @out in pieces, reading each echo
 * into @in. 0, or -errno (CIO_ENODATA: the server closed early).
 */
static int
round_trip(cio_stream *io, const unsigned char *out, unsigned char *in,
           size_t len)
{
    size_t off, n;
    int r;

    for (off = 0; off < len; off += n) {
        n = len - off < PIECE ? len - off : PIECE;
        r = cio_write_all(io, out + off, n, NULL);
        if (r == 0)
            r = cio_read_exact(io, in + off, n, NULL);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
conn_task(void *arg)
{
    conn_ctx *cc = arg;
    worker *w = cc->w;
    const options *o = w->o;
    unsigned char *pat, *in;
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15) * (cc->id + 1), k, t0, t1;
    cio_tcp_stream *s = NULL;
    cio_stream *io;
    size_t i;
    char extra;
    int r;

    pat = malloc(o->size + WINDOWS);
    in = malloc(o->size);
    if (pat == NULL || in == NULL) {
        conn_error(w, cc->id, "buffers", CIO_ENOMEM);
        goto out;
    }
    for (i = 0; i < o->size + WINDOWS; i++)
        pat[i] = (unsigned char)(next_rand(&seed) >> 56);

    cio_deadline_set(deadline_from(o, cio_now()));
    r = cio_tcp_connect_host(&s, o->host, (uint16_t)o->port);
    if (r < 0) {
        conn_error(w, cc->id, "connect", r);
        goto out;
    }
    cio_tcp_set_nodelay(s, 1);
    io = cio_tcp_stream_io(s);

    for (k = 0; o->requests ? k < o->requests : cio_now() < w->stop_at; k++) {
        const unsigned char *want = pat + (k * 61) % WINDOWS;

        t0 = cio_now();
        cio_deadline_set(deadline_from(o, t0));
        r = round_trip(io, want, in, o->size);
        t1 = cio_now();
        if (r < 0) {
            conn_error(w, cc->id, "request", r);
            goto out;
        }
        if (memcmp(in, want, o->size) != 0) {
            for (i = 0; in[i] == want[i]; i++)
                ;
            fprintf(stderr,
                    "echo-client: conn %u request %llu: byte %zu is 0x%02x, "
                    "sent 0x%02x\n",
                    cc->id, (unsigned long long)k, i, in[i], want[i]);
            w->mismatches++;
            goto out;
        }
        if (w->t_begin == 0 || t0 < w->t_begin)
            w->t_begin = t0;
        if (t1 > w->t_end)
            w->t_end = t1;
        hist_add(&w->lat, t1 - t0);
        w->requests++;
    }

    /* Done: the server must close after us, with nothing more to say. */
    cio_deadline_set(deadline_from(o, cio_now()));
    r = cio_tcp_shutdown(s, CIO_SHUT_WR);
    if (r == 0) {
        int64_t n = cio_tcp_read(s, &extra, 1);
        if (n > 0) {
            fprintf(stderr, "echo-client: conn %u: bytes after the last echo\n",
                    cc->id);
            w->mismatches++;
        } else if (n < 0) {
            r = (int)n;
        }
    }
    if (r < 0)
        conn_error(w, cc->id, "close", r);
out:
    cio_deadline_set(0);
    cio_tcp_close(s);
    free(pat);
    free(in);
    return 0;
}

/* A worker's share: one task per connection, all joined. */
static int
worker_task(void *arg)
{
    worker *w = arg;
    conn_ctx *cc = calloc(w->count, sizeof *cc);
    cio_task **t = calloc(w->count, sizeof *t);
    const char *be;
    unsigned i, n = 0;
    int r;

    be = cio_driver_backend(cio_runtime_driver(cio_runtime_current()));
    snprintf(w->backend, sizeof w->backend, "%s", be != NULL ? be : "?");
    if (cc == NULL || t == NULL) {
        w->errors++;
        goto out;
    }
    for (i = 0; i < w->count; i++) {
        cc[i].w = w;
        cc[i].id = w->first + i;
        r = cio_spawn(&t[n], conn_task, &cc[i]);
        if (r < 0) {
            conn_error(w, cc[i].id, "spawn", r);
            continue;
        }
        n++;
    }
    for (i = 0; i < n; i++)
        cio_join(t[i]);
out:
    free(cc);
    free(t);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: echo-client [--host H] --port P [--conns C] "
                    "[--size BYTES]\n"
                    "                   [--requests N | --duration S] "
                    "[--threads T] [--pin]\n"
                    "                   [--backend NAME] [--timeout S]\n");
    return 2;
}

/* A decimal (or, with @frac, a decimal fraction) in [lo, hi]. */
static int
parse_num(const char *s, double lo, double hi, int frac, double *v)
{
    char *end;

    errno = 0;
    *v = frac ? strtod(s, &end) : (double)strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && s[0] != '-' && *v >= lo &&
                   *v <= hi
               ? 0
               : -1;
}

int
main(int argc, char **argv)
{
    options o = {0};
    cio_dispatcher_opts dopts = {0};
    cio_dispatcher *d = NULL;
    cio_config *cfg = NULL;
    cio_runtime *probe;
    worker *w;
    hist *all;
    uint64_t total = 0, begin = 0, end = 0, stop_at;
    unsigned errors = 0, mismatches = 0, i;
    double v, secs;
    int r;

    o.host = "127.0.0.1";
    o.conns = 1;
    o.size = 64;
    o.requests = 1000;
    o.timeout_ns = 10 * CIO_NS_PER_SEC;
    o.threads = 1;
    for (i = 1; i < (unsigned)argc; i++) {
        const char *a = argv[i],
                   *val = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--pin") == 0) {
            o.pin = 1;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        if (strcmp(a, "--host") == 0)
            o.host = val;
        else if (strcmp(a, "--backend") == 0)
            o.backend = val;
        else if (strcmp(a, "--port") == 0 &&
                 parse_num(val, 1, 65535, 0, &v) == 0)
            o.port = (unsigned)v;
        else if (strcmp(a, "--conns") == 0 &&
                 parse_num(val, 1, 1e6, 0, &v) == 0)
            o.conns = (unsigned)v;
        else if (strcmp(a, "--size") == 0 &&
                 parse_num(val, 1, 1 << 30, 0, &v) == 0)
            o.size = (size_t)v;
        else if (strcmp(a, "--requests") == 0 &&
                 parse_num(val, 1, 1e15, 0, &v) == 0) {
            o.requests = (uint64_t)v;
            o.duration_ns = 0;
        } else if (strcmp(a, "--duration") == 0 &&
                   parse_num(val, 0.001, 1e6, 1, &v) == 0) {
            o.duration_ns = (uint64_t)(v * 1e9);
            o.requests = 0;
        } else if (strcmp(a, "--timeout") == 0 &&
                   parse_num(val, 0, 1e6, 1, &v) == 0)
            o.timeout_ns = (uint64_t)(v * 1e9);
        else if (strcmp(a, "--threads") == 0 &&
                 parse_num(val, 1, 1024, 0, &v) == 0)
            o.threads = (unsigned)v;
        else
            return usage();
    }
    if (o.port == 0)
        return usage();
    if (o.threads > o.conns)
        o.threads = o.conns;

    if (o.backend != NULL &&
        (cio_config_new(&cfg) < 0 ||
         cio_config_set(cfg, "runtime", "backend", o.backend) < 0 ||
         cio_config_set(cfg, "runtime", "fallback", "no") < 0)) {
        fprintf(stderr, "echo-client: bad backend '%s'\n", o.backend);
        cio_config_free(cfg);
        return 2;
    }
    /* Fail here, where cio_error_detail() can say why. */
    r = cio_runtime_new(&probe, cfg);
    if (r < 0) {
        fprintf(stderr, "echo-client: no runtime: %s\n%s\n", cio_strerror(r),
                cio_error_detail());
        cio_config_free(cfg);
        return 1;
    }
    cio_runtime_free(probe);

#ifdef SIGPIPE
    /* A server that goes away is an error to report, not a SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
#endif
    w = calloc(o.threads, sizeof *w);
    all = calloc(1, sizeof *all);
    if (w == NULL || all == NULL) {
        fprintf(stderr, "echo-client: out of memory\n");
        cio_config_free(cfg);
        return 1;
    }
    dopts.threads = o.threads;
    dopts.pin = o.pin;
    dopts.cfg = cfg;
    r = cio_dispatcher_new(&d, &dopts);
    cio_config_free(cfg);
    if (r < 0) {
        fprintf(stderr, "echo-client: cannot start %u threads: %s\n", o.threads,
                cio_strerror(r));
        free(w);
        free(all);
        return 1;
    }
    stop_at = cio_now() + o.duration_ns;
    for (i = 0; i < o.threads; i++) {
        w[i].o = &o;
        w[i].first = (unsigned)((uint64_t)o.conns * i / o.threads);
        w[i].count =
            (unsigned)((uint64_t)o.conns * (i + 1) / o.threads) - w[i].first;
        w[i].stop_at = stop_at;
        r = cio_dispatch_detached(d, (int)i, worker_task, &w[i]);
        if (r < 0) {
            fprintf(stderr, "echo-client: dispatch: %s\n", cio_strerror(r));
            w[i].errors++;
        }
    }
    /* Returns once every worker task has returned. */
    cio_dispatcher_free(d);

    for (i = 0; i < o.threads; i++) {
        hist_merge(all, &w[i].lat);
        total += w[i].requests;
        errors += w[i].errors;
        mismatches += w[i].mismatches;
        if (w[i].t_begin != 0 && (begin == 0 || w[i].t_begin < begin))
            begin = w[i].t_begin;
        if (w[i].t_end > end)
            end = w[i].t_end;
    }
    secs = end > begin ? (double)(end - begin) / 1e9 : 0.0;
    if (o.requests)
        printf("%u conns x %llu requests of %zu bytes", o.conns,
               (unsigned long long)o.requests, o.size);
    else
        printf("%u conns for %.3g s, requests of %zu bytes", o.conns,
               (double)o.duration_ns / 1e9, o.size);
    printf(", backend %s, %u thread%s\n", w[0].backend, o.threads,
           o.threads == 1 ? "" : "s");
    printf("requests %llu in %.3f s: %.0f req/s, %.1f MiB/s each way\n",
           (unsigned long long)total, secs,
           secs > 0 ? (double)total / secs : 0.0,
           secs > 0 ? (double)total * (double)o.size / secs / 1048576.0 : 0.0);
    if (all->total > 0)
        printf("latency us: p50 %.1f p99 %.1f p999 %.1f max %.1f\n",
               (double)hist_quantile(all, 0.50) / 1e3,
               (double)hist_quantile(all, 0.99) / 1e3,
               (double)hist_quantile(all, 0.999) / 1e3, (double)all->max / 1e3);
    printf("errors %u, mismatches %u\n", errors, mismatches);
    if (o.requests && total != (uint64_t)o.conns * o.requests &&
        errors + mismatches == 0)
        errors++; /* Cannot happen; never report a short run as a pass. */
    free(w);
    free(all);
    return errors + mismatches == 0 ? 0 : 1;
}
