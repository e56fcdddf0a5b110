/* SPDX-License-Identifier: MIT */
/*
 * check_net_unix.c - Unix domain sockets on each backend: stream
 * listener and client over a path and over a Linux abstract name (echo,
 * addresses, peer credentials), the stale-path removal of
 * CIO_BIND_UNLINK, connect errors, socketpair streams, cancel of a
 * blocked accept, and datagram sockets (path, abstract, connected,
 * pairs, unbound senders).
 */
#ifdef _WIN32
#include "check_net.h"

/*
 * Windows: AF_UNIX exists since Windows 10 (1803) but not under wine 8,
 * where CI runs; and this suite leans on socketpair, Linux abstract
 * names and peer credentials, which Windows lacks. So it skips there.
 */
int
main(void)
{
    cio_test_skip_all("Unix domain sockets: not under wine 8, and the "
                      "suite needs socketpair and abstract names");
    return CIO_TEST_SKIP;
}
#else
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "check_net.h"

/* Case parameters: a path (in a fresh directory) or an abstract name. */
typedef struct ucase {
    int abstract;
    char dir[256];
    char path[300];
} ucase;

static unsigned name_seq;

/* A fresh address for the case, and its text in u->path. */
static void
make_addr(ucase *u, cio_sockaddr *a, const char *tag)
{
    if (u->abstract)
        snprintf(u->path, sizeof u->path, "@cio-net-test-%ld-%u-%s",
                 (long)getpid(), name_seq++, tag);
    else
        snprintf(u->path, sizeof u->path, "%s/%s.sock", u->dir, tag);
    ck_assert_int_eq(cio_sockaddr_unix(a, u->path), 0);
}

static void
case_setup(ucase *u, int abstract)
{
    memset(u, 0, sizeof *u);
    u->abstract = abstract;
    ck_assert_ptr_nonnull(cio_test_mkdtemp(u->dir, sizeof u->dir));
}

/* Remove the case's directory and whatever socket files are left. */
static void
case_cleanup(ucase *u)
{
    static const char *const tags[] = {"echo", "stale", "d1",  "d2",
                                       "cred", "gone",  "file"};
    char p[300];
    size_t i;

    for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        snprintf(p, sizeof p, "%s/%s.sock", u->dir, tags[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(u->dir), 0);
}

/* ---- stream echo ---- */

typedef struct srv {
    cio_unix_listener *l;
    cio_sockaddr peer;
    cio_unix_cred cred;
} srv;

static int
echo_server(void *arg)
{
    srv *sv = arg;
    cio_unix_stream *s;
    char buf[512];
    int64_t n;

    ck_assert_int_eq(cio_unix_accept(sv->l, &s, &sv->peer), 0);
    ck_assert_int_eq(cio_unix_peer_cred(s, &sv->cred), 0);
    while ((n = cio_unix_read(s, buf, sizeof buf)) > 0)
        ck_assert_int_eq(
            net_write_all(cio_unix_stream_io(s), buf, (size_t)n, NULL), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cio_unix_close(s), 0);
    return 0;
}

static int
stream_main(void *arg)
{
    ucase *u = arg;
    cio_sockaddr a, local, peer;
    cio_unix_stream *c;
    cio_unix_cred cred;
    char buf[64], text[CIO_SOCKADDR_STRLEN];
    cio_iovec iov[2];
    cio_task *t;
    srv sv;

    memset(&sv, 0, sizeof sv);
    make_addr(u, &a, "echo");
    ck_assert_int_eq(cio_unix_listen(&sv.l, &a, NULL), 0);
    ck_assert_int_eq(cio_unix_listener_local_addr(sv.l, &local), 0);
    ck_assert_msg(cio_sockaddr_equal(&local, &a), "bound to %s",
                  net_str(&local));
    ck_assert_int_gt(cio_sockaddr_format(&local, text, sizeof text), 0);
    ck_assert_str_eq(text, u->path);
    ck_assert_int_ge(cio_unix_listener_fd(sv.l), 0);
    ck_assert_int_eq(cio_spawn(&t, echo_server, &sv), 0);

    ck_assert_int_eq(cio_unix_connect(&c, &a), 0);
    ck_assert_int_eq(cio_unix_peer_addr(c, &peer), 0);
    ck_assert(cio_sockaddr_equal(&peer, &a));
    /* The client is unnamed. */
    ck_assert_int_eq(cio_unix_local_addr(c, &local), 0);
    ck_assert_int_eq(cio_sockaddr_format(&local, text, sizeof text), 0);
    ck_assert_str_eq(text, "");

    ck_assert_int_eq(cio_unix_write(c, "abc", 3), 3);
    iov[0].base = "de";
    iov[0].len = 2;
    iov[1].base = "f";
    iov[1].len = 1;
    ck_assert_int_eq(cio_unix_writev(c, iov, 2), 3);
    ck_assert_int_eq(net_read_exact(cio_unix_stream_io(c), buf, 6), 0);
    ck_assert_int_eq(memcmp(buf, "abcdef", 6), 0);
    ck_assert_int_eq(cio_unix_shutdown(c, CIO_SHUT_WR), 0);
    iov[0].base = buf;
    iov[0].len = sizeof buf;
    ck_assert_int_eq(cio_unix_readv(c, iov, 1), 0);
    ck_assert_int_eq(cio_join(t), 0);

    /* The server saw us: our process, our ids. */
    ck_assert_int_eq(sv.cred.pid, getpid());
    ck_assert_uint_eq(sv.cred.uid, getuid());
    ck_assert_uint_eq(sv.cred.gid, getgid());
    ck_assert_int_eq(cio_unix_peer_cred(c, &cred), 0);
    ck_assert_int_eq(cred.pid, getpid());
    ck_assert_int_eq(cio_sockaddr_family(&sv.peer) == AF_UNIX ||
                         cio_sockaddr_family(&sv.peer) == 0,
                     1);

    ck_assert_int_eq(cio_unix_close(c), 0);
    ck_assert_int_eq(cio_unix_listener_close(sv.l), 0);
    if (!u->abstract) {
        struct stat st;
        /* Close leaves the file. */
        ck_assert_int_eq(stat(u->path, &st), 0);
        ck_assert(S_ISSOCK(st.st_mode));
    }
    return 0;
}

START_TEST(test_stream)
{
    ucase u;

    case_setup(&u, _i / CIO_TEST_NBACKENDS);
    cio_test_api_run(net_backend_of(_i), stream_main, &u);
    case_cleanup(&u);
}
END_TEST

/* ---- stale paths, connect errors ---- */

static int
stale_main(void *arg)
{
    ucase *u = arg;
    cio_unix_listener *l, *l2;
    cio_unix_stream *c;
    cio_bind_opts o;
    cio_sockaddr a;
    char path[300];
    FILE *f;

    memset(&o, 0, sizeof o);
    make_addr(u, &a, "stale");
    /* A path with no socket file: ENOENT. */
    ck_assert_int_eq(cio_unix_connect(&c, &a), CIO_ENOENT);
    ck_assert_ptr_null(c);

    ck_assert_int_eq(cio_unix_listen(&l, &a, NULL), 0);
    /* A live listener is left alone, with or without UNLINK. */
    ck_assert_int_eq(cio_unix_listen(&l2, &a, NULL), CIO_EADDRINUSE);
    o.flags = CIO_BIND_UNLINK;
    ck_assert_int_eq(cio_unix_listen(&l2, &a, &o), CIO_EADDRINUSE);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);

    /* Stale: refused, in use without UNLINK, replaced with it. */
    ck_assert_int_eq(cio_unix_connect(&c, &a), CIO_ECONNREFUSED);
    ck_assert_int_eq(cio_unix_listen(&l, &a, NULL), CIO_EADDRINUSE);
    ck_assert_int_eq(cio_unix_listen(&l, &a, &o), 0);
    ck_assert_int_eq(cio_unix_connect(&c, &a), 0);
    ck_assert_int_eq(cio_unix_close(c), 0);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);

    /* Not a socket: never removed. */
    snprintf(path, sizeof path, "%s/file.sock", u->dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(cio_sockaddr_unix(&a, path), 0);
    ck_assert_int_eq(cio_unix_listen(&l, &a, &o), CIO_EADDRINUSE);
    ck_assert_int_eq(access(path, F_OK), 0);

    /* No such directory; bad family. */
    snprintf(path, sizeof path, "%s/no/such/dir.sock", u->dir);
    ck_assert_int_eq(cio_sockaddr_unix(&a, path), 0);
    ck_assert_int_eq(cio_unix_listen(&l, &a, &o), CIO_ENOENT);
    ck_assert_int_eq(cio_sockaddr_loopback(&a, AF_INET, 1), 0);
    ck_assert_int_eq(cio_unix_listen(&l, &a, NULL), CIO_EAFNOSUPPORT);
    ck_assert_int_eq(cio_unix_connect(&c, &a), CIO_EAFNOSUPPORT);
    return 0;
}

START_TEST(test_stale)
{
    ucase u;

    case_setup(&u, 0);
    cio_test_api_run(_i, stale_main, &u);
    case_cleanup(&u);
}
END_TEST

/* An abstract name nobody holds: refused; and it frees with its socket. */
static int
abstract_main(void *arg)
{
    ucase *u = arg;
    cio_unix_listener *l;
    cio_unix_stream *c;
    cio_sockaddr a;

    make_addr(u, &a, "gone");
    ck_assert_int_eq(cio_unix_connect(&c, &a), CIO_ECONNREFUSED);
    ck_assert_int_eq(cio_unix_listen(&l, &a, NULL), 0);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);
    ck_assert_int_eq(cio_unix_listen(&l, &a, NULL), 0);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);
    return 0;
}

START_TEST(test_abstract_release)
{
    ucase u;

    case_setup(&u, 1);
    cio_test_api_run(_i, abstract_main, &u);
    case_cleanup(&u);
}
END_TEST

/* ---- a connect waiting for room in a full backlog ---- */

static cio_sockaddr room_addr;

static int
room_connect(void *arg)
{
    return cio_unix_connect((cio_unix_stream **)arg, &room_addr);
}

/*
 * Nobody accepts, so the backlog fills; then a connect waits (as a
 * blocking connect(2) would: io_uring parks it on a kernel worker, the
 * epoll module retries it on a timer, since the connecting socket
 * polls writable all along). One accept makes room, and the waiting
 * connect must then complete by itself, with no deadline and no retry
 * by the caller.
 */
static int
backlog_room_main(void *arg)
{
    ucase *u = arg;
    cio_unix_listener *l;
    cio_unix_stream *c[16], *s, *late = NULL;
    cio_bind_opts o = {1, 0};
    cio_task *t;
    int i, n = 0, timeouts = 0;

    make_addr(u, &room_addr, "room");
    ck_assert_int_eq(cio_unix_listen(&l, &room_addr, &o), 0);
    /* Full once three in a row miss 100 ms (one may just be slow). */
    while (n < 16 && timeouts < 3) {
        int r;

        cio_deadline_set(cio_now() + 100 * MS);
        r = cio_unix_connect(&c[n], &room_addr);
        cio_deadline_set(0);
        if (r == CIO_ETIMEDOUT) {
            timeouts++;
            continue;
        }
        ck_assert_int_eq(r, 0);
        timeouts = 0;
        n++;
    }
    ck_assert_int_eq(timeouts, 3);
    ck_assert_int_eq(cio_spawn(&t, room_connect, &late), 0);
    /* Let it start and find the backlog full (several timed retries). */
    for (i = 0; i < 5; i++)
        ck_assert_int_eq(cio_sleep(20 * MS), 0);
    ck_assert_ptr_null(late);
    ck_assert_int_eq(cio_unix_accept(l, &s, NULL), 0);
    ck_assert_int_eq(cio_join(t), 0);
    ck_assert_ptr_nonnull(late);
    ck_assert_int_eq(cio_unix_close(late), 0);
    ck_assert_int_eq(cio_unix_close(s), 0);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(cio_unix_close(c[i]), 0);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);
    return 0;
}

START_TEST(test_backlog_room)
{
    ucase u;

    case_setup(&u, 1);
    cio_test_api_run(_i, backlog_room_main, &u);
    case_cleanup(&u);
}
END_TEST

/* ---- pairs, cancel ---- */

static int
blocked_accept(void *arg)
{
    cio_unix_stream *s;
    int r = cio_unix_accept(arg, &s, NULL);

    if (r == 0)
        cio_unix_close(s);
    return r;
}

static int
blocked_read(void *arg)
{
    char buf[8];

    return (int)cio_unix_read(arg, buf, sizeof buf);
}

static int
pair_cancel_main(void *arg)
{
    ucase *u = arg;
    cio_unix_stream *a, *b;
    cio_unix_listener *l;
    cio_sockaddr addr;
    cio_task *t;
    char buf[8];

    ck_assert_int_eq(cio_unix_stream_pair(&a, &b), 0);
    ck_assert_int_eq(cio_unix_write(a, "hi", 2), 2);
    ck_assert_int_eq(net_read_exact(cio_unix_stream_io(b), buf, 2), 0);
    ck_assert_int_eq(memcmp(buf, "hi", 2), 0);

    /* A read blocked on the pair, cancelled. */
    ck_assert_int_eq(cio_spawn(&t, blocked_read, b), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    /* Close one end through the stream view: the other reads the end. */
    ck_assert_int_eq(cio_stream_close(cio_unix_stream_io(a)), 0);
    ck_assert_int_eq(cio_unix_read(b, buf, sizeof buf), 0);
    ck_assert_int_eq(cio_unix_close(b), 0);

    /* An accept blocked, cancelled. */
    make_addr(u, &addr, "echo");
    ck_assert_int_eq(cio_unix_listen(&l, &addr, NULL), 0);
    ck_assert_int_eq(cio_spawn(&t, blocked_accept, l), 0);
    ck_assert_int_eq(cio_sleep(10 * MS), 0);
    ck_assert_int_eq(cio_cancel(t), 0);
    ck_assert_int_eq(cio_join(t), CIO_ECANCELED);
    ck_assert_int_eq(cio_unix_listener_close(l), 0);
    return 0;
}

START_TEST(test_pair_cancel)
{
    ucase u;

    case_setup(&u, _i / CIO_TEST_NBACKENDS);
    cio_test_api_run(net_backend_of(_i), pair_cancel_main, &u);
    case_cleanup(&u);
}
END_TEST

/* ---- writing to a peer that went away: an error, never a signal ---- */

static volatile sig_atomic_t sigpipes;

static void
count_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static int
broken_peer_main(void *arg)
{
    cio_unix_stream *a, *b;
    cio_iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    void (*old)(int);

    (void)arg;
    /* A program that handles SIGPIPE itself must not see one either. */
    old = signal(SIGPIPE, count_sigpipe);
    sigpipes = 0;
    ck_assert_int_eq(cio_unix_stream_pair(&a, &b), 0);
    ck_assert_int_eq(cio_unix_close(b), 0);
    ck_assert_int_eq(cio_unix_write(a, "x", 1), CIO_EPIPE);
    ck_assert_int_eq(cio_stream_writev(cio_unix_stream_io(a), iov, 2),
                     CIO_EPIPE);
    ck_assert_int_eq(sigpipes, 0);
    ck_assert_int_eq(cio_unix_close(a), 0);
    signal(SIGPIPE, old);
    return 0;
}

START_TEST(test_broken_peer)
{
    cio_test_api_run(_i, broken_peer_main, NULL);
}
END_TEST

/* ---- datagrams ---- */

static int
dgram_main(void *arg)
{
    ucase *u = arg;
    cio_unix_datagram *d1, *d2, *anon, *p1, *p2;
    cio_sockaddr a1, a2, from, peer;
    char buf[64], text[CIO_SOCKADDR_STRLEN];
    int64_t n;

    make_addr(u, &a1, "d1");
    make_addr(u, &a2, "d2");
    ck_assert_int_eq(cio_unix_datagram_bind(&d1, &a1, NULL), 0);
    ck_assert_int_eq(cio_unix_datagram_bind(&d2, &a2, NULL), 0);
    ck_assert_int_eq(cio_unix_datagram_local_addr(d1, &from), 0);
    ck_assert(cio_sockaddr_equal(&from, &a1));

    ck_assert_int_eq(cio_unix_datagram_send_to(d1, "ping", 4, &a2), 4);
    n = cio_unix_datagram_recv_from(d2, buf, sizeof buf, &from);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
    ck_assert_msg(cio_sockaddr_equal(&from, &a1), "from %s", net_str(&from));
    ck_assert_int_gt(cio_sockaddr_format(&from, text, sizeof text), 0);
    if (u->abstract) {
        ck_assert_int_eq(text[0], '@');
        ck_assert_ptr_nonnull(strstr(text, "-d1"));
    } else {
        char want[300];
        snprintf(want, sizeof want, "%s/d1.sock", u->dir);
        ck_assert_str_eq(text, want);
    }
    ck_assert_int_eq(cio_unix_datagram_send_to(d2, "pong", 4, &from), 4);
    ck_assert_int_eq(cio_unix_datagram_recv(d1, buf, sizeof buf), 4);
    ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
    /* Boundaries and truncation. */
    ck_assert_int_eq(cio_unix_datagram_send_to(d1, "0123456789", 10, &a2), 10);
    ck_assert_int_eq(cio_unix_datagram_recv(d2, buf, 3), 3);
    ck_assert_int_eq(memcmp(buf, "012", 3), 0);

    /* Connected. */
    ck_assert_int_eq(cio_unix_datagram_connect(d1, &a2), 0);
    ck_assert_int_eq(cio_unix_datagram_peer_addr(d1, &peer), 0);
    ck_assert(cio_sockaddr_equal(&peer, &a2));
    ck_assert_int_eq(cio_unix_datagram_send(d1, "c", 1), 1);
    ck_assert_int_eq(cio_unix_datagram_recv(d2, buf, sizeof buf), 1);
    ck_assert_int_eq(cio_unix_datagram_connect(d1, NULL), 0);
    ck_assert_int_eq(cio_unix_datagram_peer_addr(d1, &peer), CIO_ENOTCONN);

    /* An unbound sender: its datagrams arrive from nobody. */
    ck_assert_int_eq(cio_unix_datagram_open(&anon), 0);
    ck_assert_int_eq(cio_unix_datagram_send_to(anon, "anon", 4, &a2), 4);
    memset(&from, 0x5a, sizeof from);
    ck_assert_int_eq(cio_unix_datagram_recv_from(d2, buf, sizeof buf, &from),
                     4);
    ck_assert_int_eq(cio_sockaddr_format(&from, text, sizeof text) <= 0, 1);
    ck_assert_int_eq(cio_unix_datagram_close(anon), 0);

    /* Nobody at an address. */
    ck_assert_int_eq(cio_unix_datagram_close(d1), 0);
    n = cio_unix_datagram_send_to(d2, "x", 1, &a1);
    ck_assert_msg(n == CIO_ECONNREFUSED || n == CIO_ENOENT, "%lld",
                  (long long)n);

    /* A pair. */
    ck_assert_int_eq(cio_unix_datagram_pair(&p1, &p2), 0);
    ck_assert_int_eq(cio_unix_datagram_send(p1, "pp", 2), 2);
    ck_assert_int_eq(cio_unix_datagram_recv(p2, buf, sizeof buf), 2);
    ck_assert_int_ge(cio_unix_datagram_fd(p1), 0);
    ck_assert_int_eq(cio_unix_datagram_close(p1), 0);
    ck_assert_int_eq(cio_unix_datagram_close(p2), 0);
    ck_assert_int_eq(cio_unix_datagram_close(d2), 0);
    ck_assert_int_eq(cio_unix_datagram_close(NULL), 0);
    return 0;
}

START_TEST(test_dgram)
{
    ucase u;

    case_setup(&u, _i / CIO_TEST_NBACKENDS);
    cio_test_api_run(net_backend_of(_i), dgram_main, &u);
    case_cleanup(&u);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("net_unix");
    TCase *tc = tcase_create("unix");

    net_require_backend();
    /* Loops: the first NB cases use paths, the next NB abstract names. */
    tcase_add_loop_test(tc, test_stream, 0, 2 * CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_stale, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_abstract_release, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_pair_cancel, 0, 2 * CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_dgram, 0, 2 * CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_broken_peer, 0, CIO_TEST_NBACKENDS);
    tcase_add_loop_test(tc, test_backlog_room, 0, CIO_TEST_NBACKENDS);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
#endif /* _WIN32 */
