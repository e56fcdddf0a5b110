/* SPDX-License-Identifier: MIT */
/*
 * check_http_parse.c - the request parser and path normaliser of
 * examples/http-server (examples/http_parse.c): every field of a good
 * head, each prefix of it incomplete (never an error), line endings,
 * pipelining, each rule that makes a head malformed, keep-alive by
 * version and Connection, the request-target forms, the header limit;
 * path normalisation and traversal; and a seeded mutation run over
 * exact-size heap buffers, so that under ASan any read past the end
 * fails the suite. No runtime, no backend: pure functions.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_test.h"
#include "http_parse.h"

/* The copy parse() made last; the request's slices point into it. */
static char *last_copy;

static void
parse_done(void)
{
    free(last_copy);
    last_copy = NULL;
}

/*
 * Parse @s (a C string) from an exact-size heap copy, so ASan sees any
 * read past its end. The copy lives until the next parse().
 */
static int
parse(const char *s, http_request *req)
{
    size_t len = strlen(s);

    parse_done();
    last_copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(last_copy);
    memcpy(last_copy, s, len);
    return http_parse_request(last_copy, len, req);
}

static int
str_is(http_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static const char good[] = "GET /dir/file.txt?a=1&b=2 HTTP/1.1\r\n"
                           "Host: example.com:8080\r\n"
                           "User-Agent: check\r\n"
                           "Accept:  */*  \r\n"
                           "X-Empty:\r\n"
                           "\r\n";

START_TEST(good_request)
{
    http_request req;
    int r = http_parse_request(good, sizeof good - 1, &req);

    ck_assert_int_eq(r, (int)sizeof good - 1);
    ck_assert_int_eq(req.method, HTTP_GET);
    ck_assert(str_is(req.method_name, "GET"));
    ck_assert(str_is(req.target, "/dir/file.txt?a=1&b=2"));
    ck_assert(str_is(req.path, "/dir/file.txt"));
    ck_assert(str_is(req.query, "a=1&b=2"));
    ck_assert_int_eq(req.minor, 1);
    ck_assert_int_eq(req.keep_alive, 1);
    ck_assert_int_eq(req.content_length, -1);
    ck_assert_int_eq(req.chunked, 0);
    ck_assert(str_is(req.host, "example.com:8080"));
    ck_assert_uint_eq(req.nheaders, 4);
    ck_assert(str_is(req.headers[0].name, "Host"));
    ck_assert(str_is(req.headers[2].name, "Accept"));
    ck_assert(str_is(req.headers[2].value, "*/*"));
    ck_assert(str_is(req.headers[3].name, "X-Empty"));
    ck_assert_uint_eq(req.headers[3].value.len, 0);
    ck_assert_ptr_nonnull(http_find_header(&req, "user-agent"));
    ck_assert(str_is(*http_find_header(&req, "USER-AGENT"), "check"));
    ck_assert_ptr_null(http_find_header(&req, "Cookie"));
}
END_TEST

/* Every proper prefix of a good head is "need more", never an error. */
START_TEST(prefixes_incomplete)
{
    static const char *const heads[] = {
        good,
        "\r\n\nHEAD / HTTP/1.0\n\n",
        "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
    };
    http_request req;
    size_t h, n, len;
    char *buf;

    for (h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        len = strlen(heads[h]);
        for (n = 0; n < len; n++) {
            buf = malloc(n ? n : 1);
            memcpy(buf, heads[h], n);
            ck_assert_msg(http_parse_request(buf, n, &req) == 0,
                          "head %zu prefix %zu", h, n);
            free(buf);
        }
        ck_assert_int_eq(parse(heads[h], &req), (int)len);
    }
}
END_TEST

START_TEST(line_endings_and_pipelining)
{
    static const char two[] = "GET /a HTTP/1.1\nHost: h\n\n"
                              "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    http_request req;
    int r;

    r = http_parse_request(two, sizeof two - 1, &req);
    ck_assert_int_eq(r, (int)strlen("GET /a HTTP/1.1\nHost: h\n\n"));
    ck_assert(str_is(req.path, "/a"));
    r = http_parse_request(two + r, sizeof two - 1 - (size_t)r, &req);
    ck_assert_int_eq(r, (int)strlen("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"));
    ck_assert(str_is(req.path, "/b"));
    /* Empty lines before the request line are skipped. */
    ck_assert_int_eq(parse("\r\n\r\nGET / HTTP/1.0\r\n\r\n", &req), 22);
    ck_assert_int_eq(req.minor, 0);
}
END_TEST

START_TEST(methods)
{
    http_request req;

    ck_assert_int_gt(parse("HEAD / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_HEAD);
    ck_assert_int_gt(parse("DELETE / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_DELETE);
    ck_assert_int_gt(parse("BREW / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_OTHER);
    /* Methods are case-sensitive: "get" is some other method. */
    ck_assert_int_gt(parse("get / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_OTHER);
}
END_TEST

/* Each of these is a malformed request: -400, as soon as it shows. */
static const char *const bad400[] = {
    "GARBAGE\r\n",
    "GARBAGE\r\n\r\n",
    "\x01\x02\xff\n",
    " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
    "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET / http/1.1\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
    "GET / HTTP/11\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.1\rHost: h\r\n\r\n",
    "GET /\r\n\r\n",
    "GET\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\n\tfolded\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n",
    "GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
    "Content-Length: 2\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
    "Transfer-Encoding: chunked\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "GET relative HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET http:// HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
};

START_TEST(malformed)
{
    http_request req;
    size_t i;

    for (i = 0; i < sizeof bad400 / sizeof bad400[0]; i++)
        ck_assert_msg(parse(bad400[i], &req) == -400, "case %zu: %d", i,
                      parse(bad400[i], &req));
    /* A bad first line fails before the head is complete. */
    ck_assert_int_eq(parse("GARBAGE", &req), 0);
    ck_assert_int_eq(parse("GARBAGE\n", &req), -400);
    ck_assert_int_eq(parse("\x01", &req), -400);
    ck_assert_int_eq(parse("GET / HTTP/2", &req), 0);
    ck_assert_int_eq(parse("GET / HTTPS", &req), -400);
}
END_TEST

START_TEST(versions)
{
    http_request req;

    ck_assert_int_eq(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &req), -505);
    ck_assert_int_eq(parse("GET / HTTP/0.9\r\n\r\n", &req), -505);
    ck_assert_int_gt(parse("GET / HTTP/1.9\r\nHost: h\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.minor, 1);
    /* HTTP/1.0 needs no Host. */
    ck_assert_int_gt(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.minor, 0);
    ck_assert_uint_eq(req.host.len, 0);
}
END_TEST

START_TEST(keep_alive)
{
    static const struct {
        const char *head;
        int keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive , TE\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alivex\r\n\r\n", 0},
    };
    http_request req;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_gt(parse(cases[i].head, &req), 0);
        ck_assert_msg(req.keep_alive == cases[i].keep, "case %zu", i);
    }
}
END_TEST

START_TEST(bodies)
{
    http_request req;

    ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: h\r\n"
                           "content-length: 42\r\n\r\n",
                           &req),
                     0);
    ck_assert_int_eq(req.content_length, 42);
    ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7"
                           "\r\nContent-Length: 7\r\n\r\n",
                           &req),
                     0);
    ck_assert_int_eq(req.content_length, 7);
    ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0"
                           "\r\n\r\n",
                           &req),
                     0);
    ck_assert_int_eq(req.content_length, 0);
    ck_assert_int_gt(parse("POST / HTTP/1.1\r\nHost: h\r\n"
                           "Transfer-Encoding: gzip, Chunked\r\n\r\n",
                           &req),
                     0);
    ck_assert_int_eq(req.chunked, 1);
    ck_assert_int_eq(req.content_length, -1);
}
END_TEST

START_TEST(targets)
{
    static const char abs[] =
        "GET HTTP://Example.com:80/p/q?x=1 HTTP/1.1\r\nHost: h\r\n\r\n";
    http_request req;
    char *buf = malloc(sizeof abs);

    memcpy(buf, abs, sizeof abs);
    ck_assert_int_gt(http_parse_request(buf, sizeof abs - 1, &req), 0);
    ck_assert(str_is(req.path, "/p/q"));
    ck_assert(str_is(req.query, "x=1"));
    free(buf);
    ck_assert_int_gt(parse("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", &req),
                     0);
    ck_assert(str_is(req.path, "/"));
    ck_assert_int_gt(parse("GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n", &req),
                     0);
    ck_assert(str_is(req.path, "/"));
    ck_assert_int_gt(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
    ck_assert(str_is(req.path, "*"));
    ck_assert_int_gt(parse("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", &req),
                     0);
    ck_assert_uint_eq(req.path.len, 0);
    ck_assert_int_gt(parse("GET /? HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
    ck_assert_uint_eq(req.query.len, 0);
}
END_TEST

START_TEST(header_limit)
{
    char head[8192];
    http_request req;
    size_t n;
    int i, count;

    for (count = HTTP_MAX_HEADERS; count <= HTTP_MAX_HEADERS + 1; count++) {
        n = (size_t)snprintf(head, sizeof head, "GET / HTTP/1.1\r\n");
        for (i = 0; i < count; i++)
            n += (size_t)snprintf(head + n, sizeof head - n,
                                  i == 0 ? "Host: h\r\n" : "X-%d: v\r\n", i);
        n += (size_t)snprintf(head + n, sizeof head - n, "\r\n");
        ck_assert_int_eq(parse(head, &req),
                         count == HTTP_MAX_HEADERS ? (int)n : -431);
    }
    /* Bytes 0x80..0xff (obs-text) are allowed in values. */
    ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n"
                           "\r\n",
                           &req),
                     0);
}
END_TEST

START_TEST(normalize)
{
    static const struct {
        const char *in;
        int ret;
        const char *out;
        int dir;
    } cases[] = {
        {"/", 0, "", 1},
        {"/a", 1, "a", 0},
        {"/a/b", 3, "a/b", 0},
        {"/a/b/", 3, "a/b", 1},
        {"//a///b", 3, "a/b", 0},
        {"/a/./b//c/../d", 5, "a/b/d", 0},
        {"/a/.", 1, "a", 1},
        {"/a/..", 0, "", 1},
        {"/a/b/../../c", 1, "c", 0},
        {"/ab/../cd", 2, "cd", 0},
        {"/%41%62", 2, "Ab", 0},
        {"/a%20b", 3, "a b", 0},
        {"/.hidden", 7, ".hidden", 0},
        {"/...", 3, "...", 0},
        {"/a/%2e%2E/b", 1, "b", 0},
        {"/..", -403, "", 0},
        {"/../etc/passwd", -403, "", 0},
        {"/a/../..", -403, "", 0},
        {"/a/../../b", -403, "", 0},
        {"/%2e%2e/x", -403, "", 0},
        {"/./../x", -403, "", 0},
        {"", -400, "", 0},
        {"a/b", -400, "", 0},
        {"/%", -400, "", 0},
        {"/%4", -400, "", 0},
        {"/%zz", -400, "", 0},
        {"/%00", -400, "", 0},
        {"/a%2fb", -400, "", 0},
        {"/..%2f..%2fetc", -400, "", 0},
    };
    char out[64];
    size_t i;
    int dir, r;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].in);
        char *buf = malloc(len ? len : 1);
        memcpy(buf, cases[i].in, len);
        r = http_path_normalize(buf, len, out, sizeof out, &dir);
        free(buf);
        ck_assert_msg(r == cases[i].ret, "'%s': %d", cases[i].in, r);
        if (r >= 0) {
            ck_assert_str_eq(out, cases[i].out);
            ck_assert_msg(dir == cases[i].dir, "'%s': dir %d", cases[i].in,
                          dir);
        }
    }
    /* The output limit: "a/b" needs 4 bytes. */
    ck_assert_int_eq(http_path_normalize("/a/b", 4, out, 4, NULL), 3);
    ck_assert_int_eq(http_path_normalize("/a/b", 4, out, 3, NULL), -414);
    ck_assert_int_eq(http_path_normalize("/abc", 4, out, 3, NULL), -414);
}
END_TEST

START_TEST(reasons)
{
    ck_assert_str_eq(http_reason(404), "Not Found");
    ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_reason(299), "Unknown");
}
END_TEST

/* xorshift64 for the mutation run: the same cases every time. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * Mutate good heads (flip, insert, delete bytes; cut short) and parse
 * from exact-size buffers: the result is always 0, a head length within
 * the buffer, or one of the documented statuses, and every slice of a
 * success lies inside the buffer. ASan turns any stray read into a
 * failure.
 */
START_TEST(mutations)
{
    static const char *const seeds[] = {
        good,
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
        "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET http://h:1/a?b HTTP/1.0\nConnection: close\n\n",
    };
    static const char alphabet[] = "\r\n :/?%.#\t\x00\x7f\x80"
                                   "aZ09-";
    uint64_t seed = 0x243f6a8885a308d3u;
    char work[512];
    http_request req;
    int iter;

    for (iter = 0; iter < 200000; iter++) {
        const char *s = seeds[rnd(&seed) % 3];
        size_t len = strlen(s), k, edits = 1 + rnd(&seed) % 4, pos;
        char *buf;
        int r;

        memcpy(work, s, len);
        for (k = 0; k < edits; k++) {
            pos = len ? rnd(&seed) % len : 0;
            switch (rnd(&seed) % 4) {
            case 0: /* Replace with a byte the grammar cares about. */
                if (len)
                    work[pos] = alphabet[rnd(&seed) % (sizeof alphabet - 1)];
                break;
            case 1: /* Any byte. */
                if (len)
                    work[pos] = (char)rnd(&seed);
                break;
            case 2: /* Insert. */
                if (len < sizeof work - 1) {
                    memmove(work + pos + 1, work + pos, len - pos);
                    work[pos] = alphabet[rnd(&seed) % (sizeof alphabet - 1)];
                    len++;
                }
                break;
            default: /* Delete. */
                if (len) {
                    memmove(work + pos, work + pos + 1, len - pos - 1);
                    len--;
                }
            }
        }
        if (rnd(&seed) % 4 == 0)
            len = len ? rnd(&seed) % len : 0; /* Cut short. */
        buf = malloc(len ? len : 1);
        memcpy(buf, work, len);
        r = http_parse_request(buf, len, &req);
        ck_assert_msg(r == 0 || r == -400 || r == -431 || r == -505 ||
                          (r > 0 && (size_t)r <= len),
                      "iteration %d: %d", iter, r);
        if (r > 0) {
            const char *end = buf + len;
            unsigned h;
            ck_assert(req.method_name.p >= buf &&
                      req.method_name.p + req.method_name.len <= end);
            ck_assert(req.target.p >= buf &&
                      req.target.p + req.target.len <= end);
            ck_assert(req.query.p + req.query.len <= end || req.query.len == 0);
            for (h = 0; h < req.nheaders; h++)
                ck_assert(req.headers[h].value.p >= buf &&
                          req.headers[h].value.p + req.headers[h].value.len <=
                              end);
            /* The path of a good target normalises without trouble. */
            if (req.path.len > 0 && req.path.p[0] == '/') {
                char out[600];
                int n = http_path_normalize(req.path.p, req.path.len, out,
                                            sizeof out, NULL);
                ck_assert(n >= 0 || n == -400 || n == -403);
            }
        }
        free(buf);
    }
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc = tcase_create("parse");

    tcase_add_checked_fixture(tc, NULL, parse_done);
    tcase_add_test(tc, good_request);
    tcase_add_test(tc, prefixes_incomplete);
    tcase_add_test(tc, line_endings_and_pipelining);
    tcase_add_test(tc, methods);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, keep_alive);
    tcase_add_test(tc, bodies);
    tcase_add_test(tc, targets);
    tcase_add_test(tc, header_limit);
    suite_add_tcase(s, tc);
    tc = tcase_create("path");
    tcase_add_test(tc, normalize);
    tcase_add_test(tc, reasons);
    suite_add_tcase(s, tc);
    tc = tcase_create("mutations");
    tcase_add_test(tc, mutations);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return cio_test_run(s);
}
