/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h - what every bench program here shares: a monotonic
 * clock, the statistics of alternating rounds (median, min-max, the
 * median of the per-round ratios) and the two outputs, a markdown row
 * for RESULTS.md and a data line for the plots (bench/run.sh).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_ROUNDS 101

static inline uint64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median, min and max of @n values (the array is left as it was). */
struct bench_stat {
    double med, min, max;
};

static inline struct bench_stat
bench_stat_of(const double *v, int n)
{
    double s[BENCH_MAX_ROUNDS];
    struct bench_stat st;

    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
    st.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    st.min = s[0];
    st.max = s[n - 1];
    return st;
}

/* The median of a[i] / b[i]: pairs from the same round compared. */
static inline double
bench_ratio(const double *a, const double *b, int n)
{
    double q[BENCH_MAX_ROUNDS];
    int i;

    for (i = 0; i < n; i++)
        q[i] = a[i] / b[i];
    return bench_stat_of(q, n).med;
}

/*
 * One line of the plot data: "label" median min max. @dat may be NULL
 * (no --data given).
 */
static inline void
bench_data(FILE *dat, const char *label, const double *v, int n)
{
    struct bench_stat st;

    if (dat == NULL)
        return;
    st = bench_stat_of(v, n);
    fprintf(dat, "\"%s\" %.4f %.4f %.4f\n", label, st.med, st.min, st.max);
    fflush(dat);
}

/* "median (min-max)" with @prec decimals, into @buf. */
static inline const char *
bench_fmt(char *buf, size_t len, const double *v, int n, int prec)
{
    struct bench_stat st = bench_stat_of(v, n);

    snprintf(buf, len, "%.*f (%.*f-%.*f)", prec, st.med, prec, st.min, prec,
             st.max);
    return buf;
}

/*
 * "**PASS**" or "**MISS**" for a ratio against a lower bound, judged on
 * the ratio as printed (two decimals), so that a row never shows 0.90
 * next to a MISS of ">= 0.9".
 */
static inline const char *
bench_verdict(double ratio, double target)
{
    double shown = (double)(long long)(ratio * 100.0 + 0.5) / 100.0;

    return shown >= target - 1e-9 ? "**PASS**" : "**MISS**";
}

#endif
