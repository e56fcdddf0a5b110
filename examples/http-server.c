/* SPDX-License-Identifier: MIT */
/*
 * http-server [--host ADDR] [--port P] [--threads N] [--pin]
 *             [--backend NAME] [--root DIR] [--idle-timeout S]
 *             [--max-header BYTES] [-v] - a small HTTP/1.1 server:
 * GET /hello answers "Hello, World!", other paths are files under DIR.
 *
 * Each connection is a task running the loop a blocking server would:
 * read a request head through a cio_bufreader, answer, repeat while the
 * connection is kept alive. What makes it safe to face the network:
 *
 * - The head must fit in --max-header bytes (8 KiB; the reader's whole
 *   buffer), else 431. The parser (http_parse.c) is strict: a malformed
 *   request gets 400 and the connection is closed; other connections
 *   never notice.
 * - Every request gets a deadline (cio_deadline_set): its head must be
 *   complete within --idle-timeout seconds (10) of the previous answer,
 *   or the connection is closed (with 408 if part of a request came).
 *   A client that trickles bytes therefore cannot hold a connection
 *   either. Each write of the answer gets the same allowance.
 * - Paths are percent-decoded and normalised before they touch the file
 *   system; a ".." that would leave DIR is refused with 403. Symbolic
 *   links inside DIR are followed, as most servers do by default.
 *
 * GET and HEAD are served, other methods get 405 with "Allow: GET,
 * HEAD". Files carry Content-Length and a Content-Type from their
 * extension; a directory serves its index.html (a directory path
 * without its final '/' is redirected there first). HTTP/1.1
 * connections persist unless the client says "Connection: close";
 * HTTP/1.0 ones only with "Connection: keep-alive". A request body
 * (a 405 for POST, say) is read and dropped when it is at most 1 MiB
 * with a Content-Length, else the connection closes after the answer.
 * Error answers close gently: shut down writing, then drain what the
 * client still sends (for a moment), so it reads the answer rather than
 * a reset.
 *
 * Threads, --port 0, the "listening on" line and the stop on SIGINT or
 * SIGTERM are tcp_server.c's, shared with echo-server.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <compio.h>
#include <compio/fs.h>
#include <compio/net.h>

#include "http_parse.h"
#include "tcp_server.h"

/* File bodies go out in pieces of this size. */
#define FILE_CHUNK (64 * 1024)
/* Largest request body read and dropped to keep a connection. */
#define MAX_DISCARD (1024 * 1024)
/* How long a closing connection drains what the client still sends. */
#define LINGER_NS (2 * CIO_NS_PER_SEC)

typedef struct http_server {
    const char *root; /* NULL: no static files, every path but /hello 404. */
    uint64_t idle_ns; /* Per request head, per write. */
    size_t max_head;  /* Request head limit = the reader's buffer. */
    int verbose;      /* Log each request on stderr. */
} http_server;

/* One connection's state, on its task's stack. */
typedef struct http_conn {
    const http_server *srv;
    cio_tcp_stream *s;
    cio_stream *io;
    cio_bufreader rd;
    char *file_buf; /* FILE_CHUNK bytes, made on first use. */
    int keep;       /* Keep the connection after this answer. */
    int minor;      /* The request's HTTP/1.<minor>. */
} http_conn;

/* ---- answers ---- */

/* The Date header's value, remade at most once a second per thread. */
static const char *
http_date(void)
{
    static _Thread_local char buf[40];
    static _Thread_local time_t last = -1;
    time_t now = time(NULL);
    struct tm tm;

#ifdef _WIN32
    /* The MS C runtime's gmtime_r: the same, arguments swapped. */
    if (now != last && gmtime_s(&tm, &now) == 0) {
#else
    if (now != last && gmtime_r(&now, &tm) != NULL) {
#endif
        strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        last = now;
    }
    return buf;
}

/*
 * Write the status line and headers, then @body (@blen bytes) unless
 * @head_only; Content-Length is @clen (which may exceed @blen: the
 * caller sends the rest). @extra is more header lines, each ending in
 * CRLF. 0 or -errno.
 */
static int
http_send(http_conn *c, int status, const char *ctype, uint64_t clen,
          const char *extra, const void *body, size_t blen, int head_only)
{
    char head[1024];
    cio_iovec iov[2];
    int n;

    n = snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\n"
                 "Server: compio-http-server\r\n"
                 "Date: %s\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %llu\r\n"
                 "%s%s\r\n",
                 status, http_reason(status), http_date(), ctype,
                 (unsigned long long)clen, extra != NULL ? extra : "",
                 !c->keep        ? "Connection: close\r\n"
                 : c->minor == 0 ? "Connection: keep-alive\r\n"
                                 : "");
    if (n < 0 || (size_t)n >= sizeof head)
        return CIO_ENOMEM;
    iov[0].base = head;
    iov[0].len = (size_t)n;
    iov[1].base = (void *)body;
    iov[1].len = head_only ? 0 : blen;
    cio_deadline_set(cio_now() + c->srv->idle_ns);
    return cio_writev_all(c->io, iov, iov[1].len > 0 ? 2 : 1, NULL);
}

/* A short text answer for @status ("404 Not Found\n"): @status, or
   -errno when it could not be sent. */
static int
http_error(http_conn *c, int status, const char *extra, int head_only)
{
    char body[80];
    int n;

    if (status == 400 || status == 408 || status == 431 || status >= 500)
        c->keep = 0;
    n = snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    n = http_send(c, status, "text/plain; charset=utf-8", (uint64_t)n, extra,
                  body, (size_t)n, head_only);
    return n < 0 ? n : status;
}

/* ---- static files ---- */

static const char *
mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"json", "application/json"},
        {"xml", "application/xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"wasm", "application/wasm"},
        {"pdf", "application/pdf"},
    };
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    size_t i;

    if (dot != NULL && (slash == NULL || dot > slash))
        for (i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot + 1, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* The status for a failed stat or open. */
static int
fs_status(int err)
{
    switch (err) {
    case CIO_ENOENT:
    case CIO_ENOTDIR:
    case CIO_ELOOP:
    case CIO_ENAMETOOLONG:
        return 404;
    case CIO_EACCES:
    case CIO_EPERM:
        return 403;
    default:
        return 500;
    }
}

/* A directory asked for without its final '/': send the client there
   (301, or -errno). */
static int
redirect_dir(http_conn *c, const http_request *req, int head_only)
{
    char loc[1024];
    int n;

    if (req->path.len + req->query.len + 32 > sizeof loc)
        return http_error(c, 414, NULL, head_only);
    n = snprintf(loc, sizeof loc, "Location: %.*s/%s%.*s\r\n",
                 (int)req->path.len, req->path.p, req->query.len ? "?" : "",
                 (int)req->query.len, req->query.p);
    if (n < 0)
        return CIO_ENOMEM;
    n = http_send(c, 301, "text/plain; charset=utf-8", 0, loc, NULL, 0,
                  head_only);
    return n < 0 ? n : 301;
}

/*
 * Answer with the file @rel (normalised, relative to the root). Returns
 * the status sent (> 0) or -errno when the connection must close.
 */
static int
serve_file(http_conn *c, const http_request *req, const char *rel, int dir,
           int head_only)
{
    char path[PATH_MAX];
    cio_stat st;
    cio_file *f;
    uint64_t off = 0;
    int64_t n = 0;
    int r;

    r = snprintf(path, sizeof path, "%s/%s", c->srv->root, rel);
    if (r < 0 || (size_t)r >= sizeof path - sizeof "/index.html")
        return http_error(c, 414, NULL, head_only);
    r = cio_fs_stat(path, &st);
    if (r == 0 && st.type == CIO_FT_DIR) {
        if (!dir)
            return redirect_dir(c, req, head_only);
        strcat(path, rel[0] != '\0' ? "/index.html" : "index.html");
        r = cio_fs_stat(path, &st);
    } else if (r == 0 && dir) {
        r = CIO_ENOTDIR; /* "/file.txt/" names no file. */
    }
    if (r == 0 && st.type != CIO_FT_REGULAR)
        r = CIO_ENOENT; /* Devices, FIFOs, sockets: nothing to serve. */
    if (r == 0)
        r = cio_file_open(&f, path, CIO_O_RDONLY, 0);
    if (r < 0)
        return http_error(c, fs_status(r), NULL, head_only);

    /* Content-Length is the size from stat; the headers go with the
       first piece of the file in one write. */
    if (!head_only && st.size > 0) {
        if (c->file_buf == NULL && (c->file_buf = malloc(FILE_CHUNK)) == NULL)
            r = CIO_ENOMEM;
        else
            n = cio_file_read_at(
                f, c->file_buf,
                st.size < FILE_CHUNK ? (size_t)st.size : FILE_CHUNK, 0);
        if (r < 0 || n <= 0) {
            cio_file_close(f);
            return http_error(c, 500, NULL, 0);
        }
    }
    r = http_send(c, 200, mime_type(path), st.size, NULL, c->file_buf,
                  (size_t)n, head_only);
    off = (uint64_t)n;
    while (r == 0 && !head_only && off < st.size) {
        uint64_t left = st.size - off;
        n = cio_file_read_at(
            f, c->file_buf, left < FILE_CHUNK ? (size_t)left : FILE_CHUNK, off);
        if (n <= 0) {
            /* The file shrank: the promised length cannot be kept. */
            r = n < 0 ? (int)n : CIO_ENODATA;
            break;
        }
        cio_deadline_set(cio_now() + c->srv->idle_ns);
        r = cio_write_all(c->io, c->file_buf, (size_t)n, NULL);
        off += (uint64_t)n;
    }
    cio_file_close(f);
    return r < 0 ? r : 200;
}

/* ---- requests ---- */

/*
 * Answer one parsed request. The status sent (> 0), or -errno when the
 * connection must close at once.
 */
static int
handle(http_conn *c, const http_request *req)
{
    static const char hello[] = "Hello, World!";
    int head_only = req->method == HTTP_HEAD, dir, r;
    char rel[PATH_MAX];

    if (req->method != HTTP_GET && req->method != HTTP_HEAD)
        return http_error(c, 405, "Allow: GET, HEAD\r\n", 0);
    if (req->path.len == 0 || req->path.p[0] != '/')
        return http_error(c, 400, NULL, head_only);
    if (req->path.len == 6 && memcmp(req->path.p, "/hello", 6) == 0) {
        r = http_send(c, 200, "text/plain; charset=utf-8", sizeof hello - 1,
                      NULL, hello, sizeof hello - 1, head_only);
        return r < 0 ? r : 200;
    }
    if (c->srv->root == NULL)
        return http_error(c, 404, NULL, head_only);
    r = http_path_normalize(req->path.p, req->path.len, rel, sizeof rel, &dir);
    if (r < 0)
        return http_error(c, -r, NULL, head_only); /* 400, 403, 414. */
    return serve_file(c, req, rel, dir, head_only);
}

/*
 * Read the next request head. Its length (> 0) with *@req filled; 0
 * to close quietly (end of stream, an idle connection's deadline, a
 * cancel, a reset); or a negative HTTP status to answer before closing
 * (400, 408 for a head cut short by the deadline, 431, 505).
 */
static int
read_head(http_conn *c, http_request *req)
{
    const void *data;
    size_t want = 1, have = 0;
    int64_t n;
    int r;

    for (;;) {
        n = cio_bufreader_peek(&c->rd, want, &data);
        if (n < 0)
            return n == CIO_ETIMEDOUT && have > 0 ? -408 : 0;
        /* End of stream, maybe inside a head: nobody to answer. */
        if ((size_t)n < want)
            return 0;
        /* Parse only when a line was completed: linear in the head. */
        if (memchr((const char *)data + have, '\n', (size_t)n - have) != NULL) {
            r = http_parse_request(data, (size_t)n, req);
            if (r != 0)
                return r;
        }
        have = (size_t)n;
        if (have >= c->srv->max_head)
            return -431;
        want = have + 1;
    }
}

/* Drop a request body of @len bytes. 0, or -errno. */
static int
discard(http_conn *c, uint64_t len)
{
    char scratch[4096];
    int64_t n;

    while (len > 0) {
        n = cio_bufreader_read(&c->rd, scratch,
                               len < sizeof scratch ? (size_t)len
                                                    : sizeof scratch);
        if (n <= 0)
            return n < 0 ? (int)n : CIO_ENODATA;
        len -= (uint64_t)n;
    }
    return 0;
}

/*
 * Close gently after an answer: shut our side so the client sees the
 * end, and read what it still sends (a body we refused, pipelined
 * requests) for a moment, so its kernel does not get a reset that
 * would discard our answer unread.
 */
static void
linger(http_conn *c)
{
    char scratch[4096];
    uint64_t dropped = 0;
    int64_t n;

    if (cio_tcp_shutdown(c->s, CIO_SHUT_WR) < 0)
        return;
    cio_deadline_set(cio_now() + LINGER_NS);
    do
        n = cio_bufreader_read(&c->rd, scratch, sizeof scratch);
    while (n > 0 && (dropped += (uint64_t)n) < MAX_DISCARD);
}

static int
http_conn_main(cio_tcp_stream *s, void *arg)
{
    const http_server *srv = arg;
    http_conn c = {0};
    http_request req;
    char *head = malloc(srv->max_head);
    int r, status;

    if (head == NULL)
        return CIO_ENOMEM;
    c.srv = srv;
    c.s = s;
    c.io = cio_tcp_stream_io(s);
    c.minor = 1;
    cio_bufreader_init(&c.rd, c.io, head, srv->max_head);
    cio_tcp_set_nodelay(s, 1);
    for (;;) {
        cio_deadline_set(cio_now() + srv->idle_ns);
        r = read_head(&c, &req);
        if (r == 0)
            break;
        if (r < 0) {
            c.keep = 0;
            if (srv->verbose)
                fprintf(stderr, "http-server: bad request: %d\n", -r);
            if (http_error(&c, -r, NULL, 0) > 0)
                linger(&c);
            break;
        }
        c.keep = req.keep_alive;
        c.minor = req.minor;
        /* A body we will not read in full ends the connection. */
        if (req.chunked || req.content_length > MAX_DISCARD)
            c.keep = 0;
        cio_deadline_set(cio_now() + srv->idle_ns);
        status = handle(&c, &req);
        if (srv->verbose)
            fprintf(stderr, "http-server: %.*s %.*s %d\n",
                    (int)req.method_name.len, req.method_name.p,
                    (int)req.target.len, req.target.p, status);
        /* The head's bytes were only borrowed until now. */
        cio_bufreader_consume(&c.rd, (size_t)r);
        if (status < 0)
            break;
        if (!c.keep) {
            linger(&c);
            break;
        }
        if (req.content_length > 0 &&
            discard(&c, (uint64_t)req.content_length) < 0)
            break;
    }
    cio_deadline_set(0);
    free(c.file_buf);
    free(head);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: http-server " TCP_SERVER_USAGE "\n"
                    "                   [--root DIR] [--idle-timeout S] "
                    "[--max-header BYTES] [-v]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    http_server srv = {0};
    tcp_server_opts o;
    char *end;
    double secs;
    int i, r;

    srv.idle_ns = 10 * CIO_NS_PER_SEC;
    srv.max_head = 8192;
    tcp_server_opts_init(&o, "http-server");
    for (i = 1; i < argc; i++) {
        r = tcp_server_opt(&o, argc, argv, &i);
        if (r > 0)
            continue;
        if (r < 0)
            return usage();
        if (strcmp(argv[i], "-v") == 0) {
            srv.verbose = 1;
        } else if (i + 1 >= argc) {
            return usage();
        } else if (strcmp(argv[i], "--root") == 0) {
            srv.root = argv[++i];
        } else if (strcmp(argv[i], "--idle-timeout") == 0) {
            secs = strtod(argv[++i], &end);
            if (*end != '\0' || !(secs >= 0.001 && secs <= 1e6))
                return usage();
            srv.idle_ns = (uint64_t)(secs * 1e9);
        } else if (strcmp(argv[i], "--max-header") == 0) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || v < 256 || v > (1ul << 20))
                return usage();
            srv.max_head = v;
        } else {
            return usage();
        }
    }
    /* Checked once here, before any worker starts. */
    if (srv.root != NULL && access(srv.root, R_OK | X_OK) != 0) {
        fprintf(stderr, "http-server: --root %s: %s\n", srv.root,
                strerror(errno));
        return 1;
    }
    o.handle = http_conn_main;
    o.ctx = &srv;
    return tcp_server_run(&o);
}
