/* SPDX-License-Identifier: MIT */
/*
 * soak-conn --port P --pid PID [--conns N] [--wave W] [--duration S]
 *           [--warmup S] [--rss-slack KB] [--quiet]
 *
 * Connection churn against an echo server (examples/echo-server) on
 * 127.0.0.1, while watching the server's file descriptors
 * (/proc/PID/fd) and resident memory (/proc/PID/status VmRSS) once a
 * second. Plain POSIX sockets on purpose: the client under load must not
 * share the library under test.
 *
 * One round opens N connections in waves of W (connect, send one byte
 * to each, read each echo back, so the server has accepted and served
 * every one of them), holds all N open, then closes them: three in four
 * with a normal close (the server reads end of stream), one in four with
 * a reset (SO_LINGER 0: the server's read fails). Rounds repeat until S
 * seconds have passed.
 *
 * Verdict (exit 0 pass, 1 fail, 2 usage or setup error):
 *  - no connect, write or echo failed;
 *  - fd: the server's count before the first connection is the
 *    baseline; during the run it never exceeds baseline + N + 16; within
 *    60 s of the last close it is back to the baseline exactly;
 *  - RSS: samples taken before S_warmup seconds are ignored, and so is
 *    everything before the end of the second round (the first rounds
 *    fill the stack pool and the allocator's arenas); of the rest, the
 *    largest sample of the last third may exceed the largest of the
 *    first third by at most max(KB, 10% of it) (KB = 4096 by default);
 *    with fewer than five samples a third, RSS is not judged.
 *    Comparing maxima over whole thirds, not single samples, keeps the
 *    rise and fall inside each round from reading as growth.
 * Every sample is printed ("sample t=... fd=... rss_kb=...") unless
 * --quiet, then one summary line starting "soak-conn:".
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 100000

typedef struct sample {
    double t;
    long fd;
    long rss_kb;
    long round;
} sample;

static sample samples[MAX_SAMPLES];
static int nsamples;
static int server_pid;
static int quiet;
static double t0;
static double next_sample;
static long round_no;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Entries of /proc/PID/fd, or -1. */
static long
count_fds(int pid)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    long n = 0;

    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    d = opendir(path);
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* VmRSS of PID in KiB, or -1. */
static long
rss_kb(int pid)
{
    char path[64], line[256];
    FILE *f;
    long kb = -1;

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Take a sample if a second has passed since the last one. */
static void
maybe_sample(int force)
{
    double t = now();
    sample *s;

    if (!force && t < next_sample)
        return;
    next_sample = t + 1.0;
    if (nsamples == MAX_SAMPLES)
        return;
    s = &samples[nsamples++];
    s->t = t - t0;
    s->fd = count_fds(server_pid);
    s->rss_kb = rss_kb(server_pid);
    s->round = round_no;
    if (!quiet)
        printf("sample t=%.1f round=%ld fd=%ld rss_kb=%ld\n", s->t, s->round,
               s->fd, s->rss_kb);
}

static int
open_one(const struct sockaddr_in *sa)
{
    struct timeval tv = {60, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    /* A stuck server fails the run instead of hanging it (a minute: far
     * above a slow answer under load or a sanitizer). */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int
usage(void)
{
    fprintf(stderr, "usage: soak-conn --port P --pid PID [--conns N] "
                    "[--wave W] [--duration S] [--warmup S] "
                    "[--rss-slack KB] [--quiet]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    long conns = 10000, wave = 256, slack_kb = 4096;
    double duration = 10, warmup = 2, t_warm;
    long baseline, fd_peak = 0, final_fd = -1;
    long errors = 0, opened = 0, resets = 0;
    long first_max = 0, last_max = 0, allowed;
    int port = 0, *fds, i, from, n_after, third;
    struct rlimit rl;

    /* Samples show up as they are taken, also in a file. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--port") == 0)
            port = atoi(v);
        else if (strcmp(a, "--pid") == 0)
            server_pid = atoi(v);
        else if (strcmp(a, "--conns") == 0)
            conns = atol(v);
        else if (strcmp(a, "--wave") == 0)
            wave = atol(v);
        else if (strcmp(a, "--duration") == 0)
            duration = atof(v);
        else if (strcmp(a, "--warmup") == 0)
            warmup = atof(v);
        else if (strcmp(a, "--rss-slack") == 0)
            slack_kb = atol(v);
        else
            return usage();
    }
    if (port <= 0 || port > 65535 || server_pid <= 0 || conns < 1 || wave < 1 ||
        duration <= 0 || warmup < 0)
        return usage();
    /* N sockets plus stdio: raise the soft limit as far as allowed. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        (rlim_t)conns + 16 > rl.rlim_cur) {
        fprintf(stderr,
                "soak-conn: %ld connections need more than the "
                "fd limit %lu\n",
                conns, (unsigned long)rl.rlim_cur);
        return 2;
    }
    fds = calloc((size_t)conns, sizeof *fds);
    if (fds == NULL)
        return 2;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    baseline = count_fds(server_pid);
    if (baseline < 0) {
        fprintf(stderr, "soak-conn: no /proc/%d/fd\n", server_pid);
        return 2;
    }
    t0 = now();
    maybe_sample(1);
    while (now() - t0 < duration && errors == 0) {
        long k, w0;
        for (w0 = 0; w0 < conns && errors == 0; w0 += wave) {
            long w1 = w0 + wave < conns ? w0 + wave : conns;
            char c;
            for (k = w0; k < w1; k++) {
                fds[k] = open_one(&sa);
                if (fds[k] < 0) {
                    fprintf(stderr, "soak-conn: connect: %s\n",
                            strerror(-fds[k]));
                    errors++;
                    w1 = k;
                    break;
                }
                opened++;
            }
            for (k = w0; k < w1; k++) {
                c = (char)k;
                if (write(fds[k], &c, 1) != 1) {
                    fprintf(stderr, "soak-conn: write: %s\n", strerror(errno));
                    errors++;
                }
            }
            for (k = w0; k < w1; k++) {
                char got;
                if (read(fds[k], &got, 1) != 1 || got != (char)k) {
                    fprintf(stderr,
                            "soak-conn: no echo on connection "
                            "%ld\n",
                            k);
                    errors++;
                }
            }
            maybe_sample(0);
            if (errors != 0) {
                conns = w1; /* Close only what was opened. */
                break;
            }
        }
        maybe_sample(0);
        for (k = 0; k < conns; k++) {
            if (k % 4 == 3) {
                struct linger lg = {1, 0};
                setsockopt(fds[k], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                resets++;
            }
            close(fds[k]);
        }
        round_no++;
        maybe_sample(0);
    }
    /* Clients are gone: the server must come back to its baseline (the
     * time only guards a hang, see the header). */
    {
        double until = now() + 60;
        do {
            struct timespec ms = {0, 50 * 1000 * 1000};
            final_fd = count_fds(server_pid);
            if (final_fd == baseline)
                break;
            nanosleep(&ms, NULL);
        } while (now() < until);
    }
    maybe_sample(1);

    for (i = 0; i < nsamples; i++)
        if (samples[i].fd > fd_peak)
            fd_peak = samples[i].fd;
    /* Samples that count for RSS: past the warm-up and round 2. */
    t_warm = warmup;
    for (from = 0; from < nsamples; from++)
        if (samples[from].t >= t_warm && samples[from].round >= 2)
            break;
    n_after = nsamples - from;
    third = n_after / 3;
    /* Fewer than five samples a third is too short a run to judge. */
    if (third < 5)
        third = 0;
    if (third >= 1) {
        for (i = from; i < from + third; i++)
            if (samples[i].rss_kb > first_max)
                first_max = samples[i].rss_kb;
        for (i = nsamples - third; i < nsamples; i++)
            if (samples[i].rss_kb > last_max)
                last_max = samples[i].rss_kb;
    }
    allowed = first_max / 10 > slack_kb ? first_max / 10 : slack_kb;

    printf("soak-conn: %ld rounds of %ld connections (%ld opened, %ld "
           "reset) in %.1f s; fd baseline %ld, peak %ld, after %ld; ",
           round_no, conns, opened, resets, now() - t0, baseline, fd_peak,
           final_fd);
    if (third >= 1)
        printf("rss_kb first-third max %ld, last-third max %ld "
               "(allowed +%ld); ",
               first_max, last_max, allowed);
    else
        printf("rss: too few samples after warm-up to judge; ");
    printf("errors %ld\n", errors);

    free(fds);
    if (errors != 0)
        return 1;
    if (fd_peak > baseline + conns + 16 || final_fd != baseline) {
        printf("soak-conn: FAIL: fd count did not return to baseline\n");
        return 1;
    }
    if (third >= 1 && last_max > first_max + allowed) {
        printf("soak-conn: FAIL: RSS grew\n");
        return 1;
    }
    return 0;
}
