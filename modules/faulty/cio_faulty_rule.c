/* SPDX-License-Identifier: MIT */
/*
 * cio_faulty_rule.c - when a fault fires. Every kind has a rule read
 * from [module.faulty]: "<kind> = 0.05" fires with that probability per
 * eligible op, "<kind> = #7" fires on the 7th eligible op only, "<kind>
 * = %7" on every 7th. The probabilities draw from one seeded PRNG
 * (splitmix64), so a run with the same seed, the same program and the
 * same interleaving of completions injects the same faults; the seed is
 * logged at create and written with the counters, so a failure can be
 * replayed with "seed = N".
 *
 * The counters are the proof that faults happened: a test reads them
 * from the "stats" file (one line per driver, appended at destroy) and
 * fails if a kind it asked for was never injected.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_faulty_int.h"

const char *const faulty_kind_names[FK__COUNT] = {
    "enomem",    "eintr", "eagain", "econnreset",
    "ecanceled", "short", "delay",  "late_notify",
};

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t
faulty_rand(faulty *f)
{
    return splitmix64(&f->rng);
}

/* A uniform double in [0, 1) from 53 random bits. */
static double
rand_unit(uint64_t r)
{
    return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

int
faulty_fire(faulty *f, int kind)
{
    faulty_rule *r = &f->rule[kind];
    int fire = 0;

    if (r->rate <= 0 && r->nth == 0 && r->every == 0)
        return 0;
    r->seen++;
    if (r->nth != 0 && r->seen == r->nth)
        fire = 1;
    if (r->every != 0 && r->seen % r->every == 0)
        fire = 1;
    /* Draw only for a rate, so other kinds' settings do not shift it. */
    if (r->rate > 0 && rand_unit(faulty_rand(f)) < r->rate)
        fire = 1;
    if (fire)
        f->injected[kind]++;
    return fire;
}

/*
 * notify() runs on any thread: its decision comes from a counter the
 * callers share atomically, hashed with the seed, not from the loop's
 * PRNG. The nth/every forms count notifies.
 */
int
faulty_fire_notify(faulty *f)
{
    faulty_rule *r = &f->rule[FK_LATE_NOTIFY];
    uint64_t k, x;
    int fire = 0;

    if (r->rate <= 0 && r->nth == 0 && r->every == 0)
        return 0;
    k = atomic_fetch_add(&f->notify_seq, 1) + 1;
    if (r->nth != 0 && k == r->nth)
        fire = 1;
    if (r->every != 0 && k % r->every == 0)
        fire = 1;
    x = f->seed ^ (k * 0xd1342543de82ef95u);
    if (r->rate > 0 && rand_unit(splitmix64(&x)) < r->rate)
        fire = 1;
    return fire;
}

/* Parse one rule value; 0 or CIO_EINVAL (the caller names the key). */
static int
parse_rule(const char *v, faulty_rule *r)
{
    char *end;

    memset(r, 0, sizeof(*r));
    if (v == NULL)
        return 0;
    errno = 0;
    if (v[0] == '#' || v[0] == '%') {
        unsigned long long n = strtoull(v + 1, &end, 10);
        if (errno != 0 || end == v + 1 || *end != '\0' || n == 0)
            return CIO_EINVAL;
        if (v[0] == '#')
            r->nth = n;
        else
            r->every = n;
        return 0;
    }
    r->rate = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(r->rate >= 0) ||
        r->rate > 1)
        return CIO_EINVAL;
    return 0;
}

int
faulty_config(faulty *f)
{
    const char *v;
    char *end;
    int k, seeded;

    v = f->api->config_get(f->host, "seed");
    seeded = v != NULL;
    if (v != NULL) {
        errno = 0;
        f->seed = strtoull(v, &end, 0);
        if (errno != 0 || end == v || *end != '\0') {
            f->api->set_reason(f->host,
                               "[module.faulty] seed = %s: not a number; "
                               "give an unsigned integer",
                               v);
            return CIO_EINVAL;
        }
    } else {
        f->seed = f->api->now_ns() ^ (faulty_pid() << 32);
    }
    f->rng = f->seed;
    for (k = 0; k < FK__COUNT; k++) {
        v = f->api->config_get(f->host, faulty_kind_names[k]);
        if (parse_rule(v, &f->rule[k]) < 0) {
            f->api->set_reason(f->host,
                               "[module.faulty] %s = %s: expected a rate "
                               "0..1, #N (the Nth op only) or %%N (every "
                               "Nth op)",
                               faulty_kind_names[k], v);
            return CIO_EINVAL;
        }
    }
    f->late_ns = 2000000;
    v = f->api->config_get(f->host, "late_notify_us");
    if (v != NULL) {
        unsigned long long us;
        errno = 0;
        us = strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0' || us == 0 ||
            us > 10000000) {
            f->api->set_reason(f->host,
                               "[module.faulty] late_notify_us = %s: give "
                               "1..10000000 microseconds",
                               v);
            return CIO_EINVAL;
        }
        f->late_ns = (uint64_t)us * 1000u;
    }
    f->stats[0] = '\0';
    v = f->api->config_get(f->host, "stats");
    if (v != NULL) {
        if (!faulty_path_absolute(v) || strlen(v) >= sizeof(f->stats)) {
            f->api->set_reason(f->host,
                               "[module.faulty] stats = %s: give an "
                               "absolute file name",
                               v);
            return CIO_EINVAL;
        }
        strcpy(f->stats, v);
    }
    /* Loud when nobody chose the seed: it is what replays a failure. */
    f->api->log(f->host, seeded ? CIO_LOG_INFO : CIO_LOG_WARN,
                "wrapping %s with seed = %" PRIu64 " (set it in "
                "[module.faulty] to replay this run)",
                f->iname, f->seed);
    return 0;
}

/*
 * One line of counters: logged (info), and appended to the stats file
 * with O_APPEND semantics ("a"), so that the drivers of a multi-threaded
 * program each add their own line.
 */
void
faulty_report(faulty *f)
{
    char line[1024];
    size_t n;
    int k;
    FILE *fp;

    n = (size_t)snprintf(line, sizeof(line),
                         "faulty inner=%s seed=%" PRIu64 " ops=%" PRIu64
                         " finals=%" PRIu64 " mores=%" PRIu64 " pooled=%" PRIu64
                         " violations=%" PRIu64 " held_left=%u",
                         f->iname, f->seed, f->ops, f->finals, f->mores,
                         f->pooled, f->violations, f->nheld);
    for (k = 0; k < FK__COUNT && n < sizeof(line); k++) {
        uint64_t c =
            k == FK_LATE_NOTIFY ? atomic_load(&f->late_count) : f->injected[k];
        n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
                              faulty_kind_names[k], c);
    }
    f->api->log(f->host, f->violations != 0 ? CIO_LOG_ERROR : CIO_LOG_INFO,
                "%s", line);
    if (f->stats[0] == '\0')
        return;
    fp = fopen(f->stats, "a");
    if (fp == NULL) {
        f->api->log(f->host, CIO_LOG_WARN, "stats file %s: %s", f->stats,
                    strerror(errno));
        return;
    }
    fprintf(fp, "%s\n", line);
    fclose(fp);
}
