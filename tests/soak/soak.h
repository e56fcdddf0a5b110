/* SPDX-License-Identifier: MIT */
/*
 * soak.h - helpers shared by the stress programs in tests/soak: sizes
 * from the environment (small for make check, large from
 * scripts/soak.sh), a seeded PRNG, and a runtime on a named backend.
 */
#ifndef CIO_SOAK_H
#define CIO_SOAK_H

#ifdef _WIN32
/*
 * Windows (under wine in this tree): the fixture layer of the backend
 * suites. socketpair() is a loopback TCP pair there, and the idle
 * descriptor the stresses poll is one end of such a pair, not a pipe:
 * the IOCP module waits for a socket with a zero-byte receive, which a
 * cancel ends, while a poll on a pipe goes to the core's pool.
 */
#include "cio_test_win32.h"
#define SOCK_NONBLOCK 0
#else
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cio_test.h"
#include "compio/runtime.h"

/*
 * The backends each stress runs on: the two real ones and kqueue
 * (emulated), the kqueue module on tests/kqemu; iocp on Windows. A
 * backend that does not load here is skipped with a note.
 */
#ifdef _WIN32
static const char *const soak_backends[] = {"iocp"};
#define SOAK_NBACKENDS 1
#else
static const char *const soak_backends[] = {"uring", "epoll", "kqueue_emu"};
#define SOAK_NBACKENDS 3
#endif

/*
 * make check's default size: @posix, or @win on Windows, where every
 * port operation goes through wine's wineserver (tens of microseconds
 * each, see README, Windows) and CI wants the three stresses well under
 * a minute together. $CIO_SOAK_* still sets any size.
 */
#ifdef _WIN32
#define SOAK_DEFAULT(posix, win) (win)
#else
#define SOAK_DEFAULT(posix, win) (posix)
#endif

/* @name from the environment as a positive number, else @def. */
static inline long
soak_env_long(const char *name, long def)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return def;
    v = strtol(s, &end, 10);
    return *end == '\0' && v > 0 ? v : def;
}

/* The run's seed: $CIO_SOAK_SEED, else a fixed one (runs repeat). */
static inline uint64_t
soak_seed(void)
{
    return (uint64_t)soak_env_long("CIO_SOAK_SEED", 20261126);
}

/* xorshift64*: small, seeded, good enough to pick ops and victims. */
static inline uint64_t
soak_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

/* Uniform-ish in [0, @n). */
static inline uint64_t
soak_below(uint64_t *s, uint64_t n)
{
    return n != 0 ? soak_rand(s) % n : 0;
}

/* A runtime on @backend with no fallback, or NULL with a note. */
static inline cio_runtime *
soak_runtime(const char *backend)
{
    cio_config *cfg;
    cio_runtime *rt = NULL;
    int r;

    ck_assert_int_eq(cio_config_new(&cfg), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "backend", backend), 0);
    ck_assert_int_eq(cio_config_set(cfg, "runtime", "fallback", "no"), 0);
    r = cio_runtime_new(&rt, cfg);
    cio_config_free(cfg);
    if (r < 0) {
        printf("# %s backend not loadable here (%s): skipped\n", backend,
               cio_errname(r));
        return NULL;
    }
    ck_assert_str_eq(cio_driver_backend(cio_runtime_driver(rt)), backend);
    return rt;
}

/*
 * A descriptor pair nobody writes, @fd[0] to poll (never readable but
 * by a cancel): a pipe on POSIX, a loopback TCP pair on Windows (see
 * above). Both ends non-blocking where that means something.
 */
static inline int
soak_idle_pair(int fd[2])
{
#ifdef _WIN32
    return socketpair(AF_UNIX, SOCK_STREAM, 0, fd);
#else
    if (pipe(fd) != 0)
        return -1;
    return fcntl(fd[0], F_SETFL, O_NONBLOCK);
#endif
}

#endif /* CIO_SOAK_H */
