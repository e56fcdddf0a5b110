/* SPDX-License-Identifier: MIT */
/*
 * cio_process_output.c - cio_command_output: run a command to its end
 * and collect its stdout.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "cio_process_int.h"

#define CHUNK 65536

/* Read @s to its end into a growing buffer. 0 or -errno. */
static int
read_all(cio_stream *s, char **out, size_t *outlen)
{
    char *buf = NULL, *nb, scratch[1024];
    size_t len = 0, cap = 0;
    int64_t n;

    for (;;) {
        if (out == NULL) {
            n = cio_stream_read(s, scratch, sizeof scratch);
        } else {
            if (cap - len < CHUNK / 2) {
                cap = cap ? cap * 2 : CHUNK;
                nb = realloc(buf, cap + 1);
                if (nb == NULL) {
                    free(buf);
                    return CIO_ENOMEM;
                }
                buf = nb;
            }
            n = cio_stream_read(s, buf + len, cap - len);
        }
        if (n < 0) {
            free(buf);
            return (int)n;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (out != NULL) {
        if (buf == NULL && (buf = malloc(1)) == NULL)
            return CIO_ENOMEM;
        buf[len] = '\0';
        *out = buf;
    }
    if (outlen != NULL)
        *outlen = len;
    return 0;
}

int
cio_command_output(const cio_command *cmd, char **out, size_t *outlen,
                   cio_exit_status *st)
{
    uint8_t stdio[3];
    cio_child *child;
    uint64_t prev;
    int r;

    if (out != NULL)
        *out = NULL;
    if (outlen != NULL)
        *outlen = 0;
    if (cmd == NULL)
        return CIO_EINVAL;
    if (cio_current() == NULL)
        return CIO_EPERM;
    stdio[0] =
        cmd->stdio[0] == CIO_STDIO_PIPED ? CIO_STDIO_NULL : cmd->stdio[0];
    stdio[1] = CIO_STDIO_PIPED;
    stdio[2] =
        cmd->stdio[2] == CIO_STDIO_PIPED ? CIO_STDIO_NULL : cmd->stdio[2];
    r = cio__proc_spawn(cmd, stdio, &child);
    if (r < 0)
        return r;
    r = read_all(child->io[1], out, outlen);
    if (r == 0)
        r = cio_child_wait(child, st);
    if (r < 0) {
        if (out != NULL) {
            free(*out);
            *out = NULL;
        }
        if (outlen != NULL)
            *outlen = 0;
        /*
         * Do not leave it running. After a deadline the wait for a
         * killed child gets a deadline of its own; a cancelled task
         * cannot wait at all, so the orphan list reaps it later.
         */
        cio_child_kill(child, SIGKILL);
        if (!cio_cancelled()) {
            prev = cio_deadline_set(cio_now() + 10 * CIO_NS_PER_SEC);
            cio_child_wait(child, NULL);
            cio_deadline_set(prev);
        }
    }
    cio_child_free(child);
    return r;
}
