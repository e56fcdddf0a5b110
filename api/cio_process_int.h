/* SPDX-License-Identifier: MIT */
/*
 * cio_process_int.h - what the process files share: the command and
 * child structures, the spawn entry with stdio overrides, reaping and
 * the orphan list. Not installed.
 */
#ifndef CIO_PROCESS_INT_H
#define CIO_PROCESS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cio_api_internal.h"
#include "compio/process.h"

/* One environment change; value NULL removes the name. */
typedef struct cio__envop {
    char *kv;       /* "NAME=VALUE" (or "NAME" for a removal). */
    size_t namelen; /* Length of NAME. */
    int remove;     /* Non-zero: a removal. */
} cio__envop;

struct cio_command {
    char **argv; /* argv[0] is the program; NULL-terminated. */
    size_t argc, argcap;
    cio__envop *env; /* In order; one entry per name (the last wins). */
    size_t nenv, envcap;
    int env_clear; /* Start from an empty environment. */
    char *cwd;     /* NULL: the caller's. */
    uint8_t stdio[3];
    int pgid;  /* -1: the caller's group. */
    int error; /* The first error a setter reported. */
};

struct cio_child {
    int pid;
    cio_fd pidfd; /* CIO_INVALID_FD: the polling fallback. */
    cio_stream *io[3];
    int reaped;
    cio_exit_status status;
#ifdef _WIN32
    int killsig; /* The signal cio_child_kill ended it with, else 0. */
#endif
};

#ifdef _WIN32
/* Windows has no SIGKILL; cio_child_kill takes POSIX's number. */
#ifndef SIGKILL
#define SIGKILL 9
#endif
#endif

/*
 * The environment for the child: a malloc'd NULL-terminated array of
 * pointers into @cmd's strings and the caller's environ (valid while
 * both are). 0 or CIO_ENOMEM.
 */
int cio__proc_envp(const cio_command *cmd, char ***out);

/* Spawn @cmd with @stdio in place of its own settings. */
int cio__proc_spawn(const cio_command *cmd, const uint8_t stdio[3],
                    cio_child **out);

/* Reap @c if it has ended: 1 (status filled), 0 (running), -errno. */
int cio__proc_reap(cio_child *c);

/* Hand a running, unreaped pid to the orphan list. */
void cio__proc_orphan_add(int pid);

/* Reap the orphans that have ended, without blocking. */
void cio__proc_orphan_sweep(void);

#endif /* CIO_PROCESS_INT_H */
