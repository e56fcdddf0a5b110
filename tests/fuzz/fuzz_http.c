/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http.c - the http-server example's request parser and path
 * normaliser on arbitrary bytes. Besides "no crash, no read outside the
 * buffer" it checks what http_parse.h promises:
 *
 *  - http_parse_request returns a head length in (0, len], 0, or one of
 *    -400, -431, -505; on success every slice lies inside the head,
 *    the head parses alone to the same length, and every shorter prefix
 *    of it is "incomplete" (0), never an error;
 *  - http_find_header finds every parsed field by name, first one wins;
 *  - http_path_normalize returns a length < cap with a NUL there, or one
 *    of -400, -403, -414; the result is relative, has no empty, "." or
 *    ".." segment, no NUL, and (without '%') normalises to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_http: invariant failed: %s (line %d)\n",     \
                    #c, __LINE__);                                             \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const char *base, size_t n, http_str s)
{
    return s.p != NULL && s.p >= base && s.len <= n &&
           (size_t)(s.p - base) <= n - s.len;
}

static void
check_normalized(const char *out, int r, size_t cap, int dir)
{
    size_t i, start = 0;

    CHECK(r == -400 || r == -403 || r == -414 || r >= 0);
    CHECK(dir == 0 || dir == 1);
    if (r < 0)
        return;
    CHECK((size_t)r < cap);
    CHECK(out[r] == '\0');
    CHECK(strlen(out) == (size_t)r);
    if (r == 0)
        return;
    CHECK(out[0] != '/' && out[r - 1] != '/');
    for (i = 0; i <= (size_t)r; i++) {
        if (out[i] != '/' && out[i] != '\0')
            continue;
        /* out[start, i) is one segment. */
        CHECK(i > start);
        CHECK(!(i - start == 1 && out[start] == '.'));
        CHECK(!(i - start == 2 && out[start] == '.' && out[start + 1] == '.'));
        start = i + 1;
    }
}

/* Normalise @path into a buffer of exactly @cap bytes (ASan sees overruns). */
static int
normalize(const char *path, size_t len, size_t cap, char **outp, int *dir)
{
    char *out = malloc(cap);
    int r;

    CHECK(out != NULL);
    r = http_path_normalize(path, len, out, cap, dir);
    check_normalized(out, r, cap, *dir);
    *outp = out;
    return r;
}

static void
fuzz_normalize(const char *path, size_t len, size_t cap)
{
    char *out, *again, *slash;
    int r, r2, dir, dir2;

    r = normalize(path, len, cap, &out, &dir);
    if (r >= 0 && memchr(out, '%', (size_t)r) == NULL) {
        /* Idempotent: "/" + the result normalises to the result. */
        slash = malloc((size_t)r + 1);
        CHECK(slash != NULL);
        slash[0] = '/';
        memcpy(slash + 1, out, (size_t)r);
        r2 = normalize(slash, (size_t)r + 1, (size_t)r + 1, &again, &dir2);
        CHECK(r2 == r && memcmp(again, out, (size_t)r) == 0);
        free(again);
        free(slash);
    }
    free(out);
}

static void
check_request(const char *buf, size_t len, int n, const http_request *req)
{
    unsigned i, j;
    const http_str *v;
    http_request again;
    size_t k, n0 = (size_t)n;

    CHECK((size_t)n <= len);
    CHECK(req->method_name.len > 0 && inside(buf, n0, req->method_name));
    CHECK(req->target.len > 0 && inside(buf, n0, req->target));
    CHECK(req->minor == 0 || req->minor == 1);
    CHECK(req->keep_alive == 0 || req->keep_alive == 1);
    CHECK(req->content_length >= -1);
    CHECK(req->chunked == 0 || req->chunked == 1);
    CHECK(!(req->chunked && req->content_length >= 0));
    CHECK(req->nheaders <= HTTP_MAX_HEADERS);
    CHECK(inside(buf, n0, req->host));
    /* path is a slice of the target, except "/" for "http://host". */
    CHECK(inside(buf, n0, req->path) ||
          (req->path.len == 1 && req->path.p[0] == '/'));
    CHECK(inside(buf, n0, req->query));
    for (i = 0; i < req->nheaders; i++) {
        CHECK(req->headers[i].name.len > 0);
        CHECK(inside(buf, n0, req->headers[i].name));
        CHECK(inside(buf, n0, req->headers[i].value));
    }
    CHECK(http_find_header(req, "") == NULL);
    for (i = 0; i < req->nheaders; i++) {
        char name[256];
        const http_str *nm = &req->headers[i].name;
        if (nm->len >= sizeof(name) || memchr(nm->p, '\0', nm->len) != NULL)
            continue;
        memcpy(name, nm->p, nm->len);
        name[nm->len] = '\0';
        v = http_find_header(req, name);
        CHECK(v != NULL);
        /* The first field of that name (case-insensitively) wins. */
        for (j = 0; j < i; j++)
            if (v == &req->headers[j].value)
                break;
        CHECK(j < i || v == &req->headers[i].value);
    }
    /* The head alone parses the same; any shorter prefix is incomplete. */
    CHECK(http_parse_request(buf, n0, &again) == n);
    CHECK(again.nheaders == req->nheaders &&
          again.content_length == req->content_length);
    for (k = 0; k < n0; k += 1 + n0 / 16)
        CHECK(http_parse_request(buf, k, &again) == 0);
    CHECK(http_parse_request(buf, n0 - 1, &again) == 0);
    if (req->path.len > 0 && req->path.p[0] == '/')
        fuzz_normalize(req->path.p, req->path.len, 4096);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    http_request *req = malloc(sizeof(*req));
    int n;

    CHECK(req != NULL);
    n = http_parse_request(buf, size, req);
    CHECK(n == 0 || n == -400 || n == -431 || n == -505 || n > 0);
    CHECK(http_reason(n < 0 ? -n : 200) != NULL);
    if (n > 0)
        check_request(buf, size, n, req);
    /* The normaliser on the raw bytes, with a capacity from the input. */
    if (size > 0)
        fuzz_normalize(buf, size, 1 + (size_t)data[size - 1] % 64);
    free(req);
    return 0;
}
