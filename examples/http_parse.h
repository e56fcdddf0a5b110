/* SPDX-License-Identifier: MIT */
/*
 * http_parse.h - a strict HTTP/1.x request-head parser and a URL path
 * normaliser for examples/http-server. Both are pure functions over a
 * caller's buffer: no allocation, no IO, no global state, so a fuzzer or
 * a unit test can drive them directly.
 *
 *     http_request req;
 *     int n = http_parse_request(buf, len, &req);
 *     if (n == 0)        read more and call again with the whole head
 *     else if (n < 0)    answer with status -n (400, 431, 501, 505) and close
 *     else               the head is buf[0, n); the body (if any) follows
 */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/** Most header fields one request may carry; more is status 431. */
#define HTTP_MAX_HEADERS 64

/** The methods the parser tells apart; anything else is HTTP_OTHER. */
typedef enum http_method {
    HTTP_OTHER = 0, /**< A valid token we do not name. */
    HTTP_GET,       /**< GET. */
    HTTP_HEAD,      /**< HEAD. */
    HTTP_POST,      /**< POST. */
    HTTP_PUT,       /**< PUT. */
    HTTP_DELETE,    /**< DELETE. */
    HTTP_OPTIONS,   /**< OPTIONS. */
    HTTP_PATCH,     /**< PATCH. */
    HTTP_TRACE,     /**< TRACE. */
    HTTP_CONNECT    /**< CONNECT. */
} http_method;

/** A slice of the caller's buffer (not NUL-terminated). */
typedef struct http_str {
    const char *p; /**< First byte (never NULL once parsed). */
    size_t len;    /**< Bytes. */
} http_str;

/** One header field as received, value trimmed of surrounding blanks. */
typedef struct http_header {
    http_str name;  /**< Field name (a token; compare case-insensitively). */
    http_str value; /**< Field value, maybe empty. */
} http_header;

/** A parsed request head; every slice points into the parsed buffer. */
typedef struct http_request {
    http_method method;     /**< The method, classified. */
    http_str method_name;   /**< The method as sent (case-sensitive). */
    http_str target;        /**< The request-target as sent. */
    http_str path;          /**< Its path, still percent-encoded: "/..."
                                 (origin or absolute form), "*", or empty
                                 (authority form, CONNECT only). */
    http_str query;         /**< After '?', without it; empty if none. */
    int minor;              /**< HTTP/1.<minor>: 0 or 1 (2..9 read as 1). */
    int keep_alive;         /**< Non-zero: the connection may persist
                                 (the version's default and Connection). */
    int64_t content_length; /**< Content-Length, -1 when absent. */
    int chunked;            /**< Transfer-Encoding ends in "chunked". */
    http_str host;          /**< The Host field; empty when absent. */
    unsigned nheaders;      /**< Entries used in headers[]. */
    http_header headers[HTTP_MAX_HEADERS]; /**< Fields in order. */
} http_request;

/**
 * Parse the request head at the start of @buf (@len bytes): optional
 * empty lines, the request line, header fields, an empty line. Lines end
 * in CRLF or a bare LF; a CR anywhere else is an error.
 *
 * Returns the length of the head (> 0; the body starts there), 0 when
 * @buf holds a valid but incomplete head (call again with more bytes),
 * or a negative HTTP status for a request that cannot be served:
 *   -400  malformed (bad token, whitespace before a colon, line folding,
 *         control bytes, a bad or conflicting Content-Length, both
 *         Content-Length and Transfer-Encoding, a Transfer-Encoding not
 *         ending in chunked, a missing or repeated Host in HTTP/1.1, a
 *         request-target that is not origin, absolute, "*" or (CONNECT)
 *         authority form);
 *   -431  more than HTTP_MAX_HEADERS fields;
 *   -505  an HTTP major version other than 1.
 * Errors are reported as soon as the bytes show them, so a garbage
 * first line fails before any empty line arrives. @req is filled only
 * on success (and is scratch otherwise).
 */
int http_parse_request(const char *buf, size_t len, http_request *req);

/**
 * Find header @name (case-insensitive) in @req; its value, or NULL.
 */
const http_str *http_find_header(const http_request *req, const char *name);

/**
 * Turn the percent-encoded @path (@len bytes, starting with '/') into a
 * relative file path in @out (@cap bytes, NUL-terminated): escapes
 * decoded, empty and "." segments dropped, ".." removing the previous
 * segment. "/" gives "" and "/a/./b//c/../d" gives "a/b/d".
 *
 * Returns the length of @out (>= 0), or a negative HTTP status:
 *   -400  not starting with '/', a bad escape, or a NUL byte;
 *   -403  a ".." that would climb above the root ("/../etc/passwd",
 *         also spelt "/%2e%2e/");
 *   -414  the result does not fit in @cap bytes.
 * *@dir (when not NULL) is set to 1 when @path ends in '/' (or is a "."
 * or ".." segment), else 0.
 */
int http_path_normalize(const char *path, size_t len, char *out, size_t cap,
                        int *dir);

/** The reason phrase of @status ("Not Found"), "Unknown" if unlisted. */
const char *http_reason(int status);

#endif /* HTTP_PARSE_H */
