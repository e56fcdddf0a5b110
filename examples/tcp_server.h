/* SPDX-License-Identifier: MIT */
/*
 * tcp_server.h - the part echo-server and http-server share: flags,
 * one runtime per thread through the dispatcher, a listener per worker
 * bound with SO_REUSEPORT, an accept loop task, one task per connection,
 * and a clean stop on SIGINT or SIGTERM.
 *
 *     static int handle(cio_tcp_stream *s, void *ctx) { ...; return 0; }
 *
 *     tcp_server_opts o;
 *     tcp_server_opts_init(&o, "echo-server");
 *     ... tcp_server_opt(&o, argc, argv, &i) for each flag ...
 *     o.handle = handle;
 *     return tcp_server_run(&o);
 *
 * A handler runs as a task on the worker that accepted the connection
 * and may park as it likes; the stream is closed for it when it returns.
 * On a stop, handlers still running are cancelled (their calls return
 * CIO_ECANCELED) and waited for before the program exits.
 */
#ifndef TCP_SERVER_H
#define TCP_SERVER_H

#include <compio/net.h>

/** Handles one connection; runs as a task. */
typedef int (*tcp_server_fn)(cio_tcp_stream *s, void *ctx);

/** What to run; tcp_server_opts_init sets the defaults. */
typedef struct tcp_server_opts {
    const char *prog;     /**< Program name for messages. */
    const char *host;     /**< Address to bind ("127.0.0.1"). */
    unsigned port;        /**< Port; 0 picks a free one (the default). */
    unsigned threads;     /**< Workers, each with a runtime (1). */
    int pin;              /**< Non-zero: pin worker i to CPU i. */
    const char *backend;  /**< [runtime] backend, no fallback; NULL:
                               the default lookup. */
    tcp_server_fn handle; /**< The connection handler. */
    void *ctx;            /**< Its second argument, shared by all. */
} tcp_server_opts;

/** The flags tcp_server_opt takes, for usage lines. */
#define TCP_SERVER_USAGE                                                       \
    "[--host ADDR] [--port P] [--threads N] [--pin] [--backend NAME]"

/** Fill @o with the defaults; @prog names the program in messages. */
void tcp_server_opts_init(tcp_server_opts *o, const char *prog);

/**
 * Take the flag at argv[*i] if it is one of TCP_SERVER_USAGE, moving *i
 * past its value. 1 if taken, 0 if not ours, -1 for a bad value.
 */
int tcp_server_opt(tcp_server_opts *o, int argc, char **argv, int *i);

/**
 * Start the workers and listeners, print "listening on ADDR:PORT" and
 * the backend on stdout, serve until SIGINT or SIGTERM, then stop
 * cleanly. The exit status for main: 0 after a signal, 1 when the
 * server could not start.
 */
int tcp_server_run(const tcp_server_opts *o);

#endif /* TCP_SERVER_H */
