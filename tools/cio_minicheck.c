/* SPDX-License-Identifier: MIT */
/*
 * cio_minicheck.c - the runner behind cio_minicheck.h (why it exists is
 * explained there). Each test runs in a child process, like Check's
 * default CK_FORK=yes: a crash, a hang or a failed assertion ends that
 * test only, and descriptors or threads it leaves behind cannot disturb
 * the next one. A failed assertion writes its message into a pipe the
 * parent reads; a timeout is SIGALRM in the child.
 */
#define _GNU_SOURCE
#include "cio_minicheck.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CK_MSG_MAX 4096

typedef struct ck_test {
    const TTest *tf;
    int start;
    int end;
    struct ck_test *next;
} ck_test;

struct TCase {
    char *name;
    double timeout;
    SFun setup;
    SFun teardown;
    ck_test *tests;
    ck_test **tail;
    TCase *next;
};

struct Suite {
    char *name;
    TCase *cases;
    TCase **tail;
    Suite *next;
};

struct SRunner {
    Suite *suites;
    Suite **tail;
    int run;
    int failed;
};

static enum cio_ck_output output = CIO_CK_TAP;
static char *selected;  /* ",a,b," or NULL */
static char *unmatched; /* names that matched nothing, or NULL */

/* Where a failure goes: the pipe to the parent, or a longjmp (no fork). */
static int msg_fd = -1;
static int nofork;
static jmp_buf nofork_jmp;
static pthread_t nofork_thread;
static char nofork_msg[CK_MSG_MAX];

static char *
ck_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d == NULL) {
        fputs("minicheck: out of memory\n", stderr);
        exit(EXIT_FAILURE);
    }
    memcpy(d, s, n);
    return d;
}

static void *
ck_calloc(size_t size)
{
    void *p = calloc(1, size);

    if (p == NULL) {
        fputs("minicheck: out of memory\n", stderr);
        exit(EXIT_FAILURE);
    }
    return p;
}

/* ---- building suites ---- */

Suite *
suite_create(const char *name)
{
    Suite *s = ck_calloc(sizeof(*s));

    s->name = ck_strdup(name);
    s->tail = &s->cases;
    return s;
}

void
suite_add_tcase(Suite *s, TCase *tc)
{
    *s->tail = tc;
    s->tail = &tc->next;
}

/* Check's default: CK_DEFAULT_TIMEOUT, else 4 seconds. */
static double
default_timeout(void)
{
    const char *env = getenv("CK_DEFAULT_TIMEOUT");
    char *end;
    double t;

    if (env == NULL || *env == '\0')
        return 4.0;
    t = strtod(env, &end);
    return *end == '\0' && t >= 0 ? t : 4.0;
}

TCase *
tcase_create(const char *name)
{
    TCase *tc = ck_calloc(sizeof(*tc));

    tc->name = ck_strdup(name);
    tc->timeout = default_timeout();
    tc->tail = &tc->tests;
    return tc;
}

void
tcase_set_timeout(TCase *tc, double timeout)
{
    if (timeout >= 0)
        tc->timeout = timeout;
}

void
tcase_add_checked_fixture(TCase *tc, SFun setup, SFun teardown)
{
    tc->setup = setup;
    tc->teardown = teardown;
}

void
cio_ck_add_test(TCase *tc, const TTest *tf, int start, int end)
{
    ck_test *t = ck_calloc(sizeof(*t));

    t->tf = tf;
    t->start = start;
    t->end = end;
    *tc->tail = t;
    tc->tail = &t->next;
}

SRunner *
srunner_create(Suite *s)
{
    SRunner *sr = ck_calloc(sizeof(*sr));

    sr->tail = &sr->suites;
    if (s != NULL)
        srunner_add_suite(sr, s);
    return sr;
}

void
srunner_add_suite(SRunner *sr, Suite *s)
{
    *sr->tail = s;
    sr->tail = &s->next;
}

void
srunner_free(SRunner *sr)
{
    Suite *s, *sn;
    TCase *tc, *tn;
    ck_test *t, *t2;

    if (sr == NULL)
        return;
    for (s = sr->suites; s != NULL; s = sn) {
        sn = s->next;
        for (tc = s->cases; tc != NULL; tc = tn) {
            tn = tc->next;
            for (t = tc->tests; t != NULL; t = t2) {
                t2 = t->next;
                free(t);
            }
            free(tc->name);
            free(tc);
        }
        free(s->name);
        free(s);
    }
    free(sr);
}

int
srunner_ntests_failed(SRunner *sr)
{
    return sr->failed;
}

int
srunner_ntests_run(SRunner *sr)
{
    return sr->run;
}

/* ---- selection and output ---- */

void
cio_ck_set_output(enum cio_ck_output out)
{
    output = out;
}

void
cio_ck_select(const char *names)
{
    size_t n;

    free(selected);
    selected = NULL;
    free(unmatched);
    unmatched = NULL;
    if (names == NULL)
        return;
    n = strlen(names);
    selected = ck_calloc(n + 3);
    selected[0] = ',';
    memcpy(selected + 1, names, n);
    selected[n + 1] = ',';
}

static int
is_selected(const char *name)
{
    char key[256];

    if (selected == NULL)
        return 1;
    snprintf(key, sizeof(key), ",%s,", name);
    return strstr(selected, key) != NULL;
}

const char *
cio_ck_unmatched(SRunner *sr)
{
    char *p, *name, *copy;
    size_t len = 0;

    free(unmatched);
    unmatched = NULL;
    if (selected == NULL)
        return NULL;
    copy = ck_strdup(selected);
    for (name = strtok_r(copy, ",", &p); name != NULL;
         name = strtok_r(NULL, ",", &p)) {
        int found = 0;
        for (Suite *s = sr->suites; s != NULL && !found; s = s->next)
            for (TCase *tc = s->cases; tc != NULL && !found; tc = tc->next)
                for (ck_test *t = tc->tests; t != NULL && !found; t = t->next)
                    found = strcmp(t->tf->name, name) == 0;
        if (found)
            continue;
        unmatched = realloc(unmatched, len + strlen(name) + 2);
        if (unmatched == NULL)
            break;
        if (len > 0)
            unmatched[len++] = ',';
        strcpy(unmatched + len, name);
        len += strlen(name);
    }
    free(copy);
    return unmatched;
}

void
cio_ck_list(SRunner *sr)
{
    for (Suite *s = sr->suites; s != NULL; s = s->next)
        for (TCase *tc = s->cases; tc != NULL; tc = tc->next)
            for (ck_test *t = tc->tests; t != NULL; t = t->next)
                printf("%s:%s:%s\n", s->name, tc->name, t->tf->name);
}

/* ---- assertions ---- */

static void
format_failure(char *buf, size_t len, const char *file, int line,
               const char *expr, const char *fmt, va_list ap)
{
    int n = snprintf(buf, len, "%s:%d: ", file, line);

    if (n < 0 || (size_t)n >= len)
        return;
    if (fmt == NULL)
        snprintf(buf + n, len - (size_t)n, "%s", expr);
    else
        vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

void
cio_ck_failed(const char *file, int line, const char *expr, const char *fmt,
              ...)
{
    char msg[CK_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    format_failure(msg, sizeof(msg), file, line, expr, fmt, ap);
    va_end(ap);
    fflush(stdout);
    if (nofork) {
        snprintf(nofork_msg, sizeof(nofork_msg), "%s", msg);
        if (pthread_equal(pthread_self(), nofork_thread))
            longjmp(nofork_jmp, 1);
        /* Another thread of the test cannot unwind the runner: stop. */
        fprintf(stderr, "%s\n", msg);
        _exit(EXIT_FAILURE);
    }
    if (msg_fd >= 0) {
        size_t off = 0, n = strlen(msg);
        while (off < n) {
            ssize_t w = write(msg_fd, msg + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    } else {
        fprintf(stderr, "%s\n", msg);
    }
    _exit(EXIT_FAILURE);
}

void
cio_ck_mem_eq(const char *file, int line, const char *xs, const char *ys,
              const void *x, const void *y, size_t len)
{
    char hx[129], hy[129];
    const unsigned char *a = x, *b = y;
    size_t i, show = len < 64 ? len : 64;

    if (memcmp(x, y, len) == 0)
        return;
    for (i = 0; i < show; i++) {
        snprintf(hx + 2 * i, 3, "%02x", a[i]);
        snprintf(hy + 2 * i, 3, "%02x", b[i]);
    }
    hx[2 * show] = hy[2 * show] = '\0';
    cio_ck_failed(file, line, NULL,
                  "Assertion '%s == %s' failed: %s == \"%s%s\", %s == "
                  "\"%s%s\"",
                  xs, ys, xs, hx, len > show ? "..." : "", ys, hy,
                  len > show ? "..." : "");
}

/* ---- running ---- */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
timeout_of(const TCase *tc)
{
    const char *env = getenv("CK_TIMEOUT_MULTIPLIER");
    double m = 1.0;

    if (env != NULL && *env != '\0') {
        char *end;
        double v = strtod(env, &end);
        if (*end == '\0' && v > 0)
            m = v;
    }
    return tc->timeout * m;
}

static void
run_body(const TCase *tc, const ck_test *t, int i)
{
    if (tc->setup != NULL)
        tc->setup();
    t->tf->fn(i);
    if (tc->teardown != NULL)
        tc->teardown();
}

/* One test in a child; 0 and an empty @msg when it passed. */
static int
run_forked(const TCase *tc, const ck_test *t, int i, char *msg, size_t len)
{
    double limit = timeout_of(tc);
    size_t got = 0;
    int p[2], status;
    pid_t pid;

    msg[0] = '\0';
    if (pipe(p) < 0) {
        snprintf(msg, len, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        snprintf(msg, len, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        msg_fd = p[1];
        if (limit > 0) {
            struct itimerval it;
            memset(&it, 0, sizeof(it));
            it.it_value.tv_sec = (time_t)limit;
            it.it_value.tv_usec =
                (suseconds_t)((limit - (double)(time_t)limit) * 1e6);
            signal(SIGALRM, SIG_DFL);
            setitimer(ITIMER_REAL, &it, NULL);
        }
        run_body(tc, t, i);
        fflush(stdout);
        _exit(EXIT_SUCCESS);
    }
    close(p[1]);
    for (;;) {
        ssize_t n = read(p[0], msg + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got >= len - 1)
            break;
    }
    msg[got] = '\0';
    close(p[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (msg[0] != '\0')
        return -1;
    if (WIFSIGNALED(status)) {
        if (WTERMSIG(status) == SIGALRM)
            snprintf(msg, len, "%s:%d: test timed out after %g s", t->tf->file,
                     t->tf->line, limit);
        else
            snprintf(msg, len, "%s:%d: received signal %d (%s)", t->tf->file,
                     t->tf->line, WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(msg, len, "%s:%d: test exited with status %d", t->tf->file,
                 t->tf->line, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return -1;
    }
    return 0;
}

/* One test in this process (CK_FORK=no): no timeout, no isolation. */
static int
run_inline(const TCase *tc, const ck_test *t, int i, char *msg, size_t len)
{
    msg[0] = '\0';
    nofork_thread = pthread_self();
    if (setjmp(nofork_jmp) != 0) {
        snprintf(msg, len, "%s", nofork_msg);
        return -1;
    }
    run_body(tc, t, i);
    return 0;
}

static int
count_selected(SRunner *sr)
{
    int n = 0;

    for (Suite *s = sr->suites; s != NULL; s = s->next)
        for (TCase *tc = s->cases; tc != NULL; tc = tc->next)
            for (ck_test *t = tc->tests; t != NULL; t = t->next)
                if (is_selected(t->tf->name))
                    n += t->end - t->start;
    return n;
}

void
srunner_run_all(SRunner *sr, enum print_output mode)
{
    const char *fork_env = getenv("CK_FORK");
    char msg[CK_MSG_MAX];
    int total = count_selected(sr), num = 0;

    (void)mode;
    nofork = fork_env != NULL && strcmp(fork_env, "no") == 0;
    sr->run = sr->failed = 0;
    if (output == CIO_CK_TAP) {
        printf("1..%d\n", total);
        fflush(stdout);
    }
    for (Suite *s = sr->suites; s != NULL; s = s->next) {
        for (TCase *tc = s->cases; tc != NULL; tc = tc->next) {
            for (ck_test *t = tc->tests; t != NULL; t = t->next) {
                if (!is_selected(t->tf->name))
                    continue;
                for (int i = t->start; i < t->end; i++) {
                    double t0 = now_s();
                    int rc = nofork ? run_inline(tc, t, i, msg, sizeof(msg))
                                    : run_forked(tc, t, i, msg, sizeof(msg));
                    double dt = now_s() - t0;
                    char name[512];

                    if (t->end - t->start > 1)
                        snprintf(name, sizeof(name), "%s:%s:%s[%d]", s->name,
                                 tc->name, t->tf->name, i);
                    else
                        snprintf(name, sizeof(name), "%s:%s:%s", s->name,
                                 tc->name, t->tf->name);
                    num++;
                    sr->run++;
                    if (rc != 0)
                        sr->failed++;
                    if (output == CIO_CK_TAP)
                        printf("%s %d - %s%s%s\n", rc == 0 ? "ok" : "not ok",
                               num, name, rc == 0 ? "" : ": ", msg);
                    else
                        printf("%-4s  %-48s %7.2f s%s%s\n",
                               rc == 0 ? "PASS" : "FAIL", name, dt,
                               rc == 0 ? "" : "\n      ", msg);
                    fflush(stdout);
                }
            }
        }
    }
}
