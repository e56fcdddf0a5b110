/* SPDX-License-Identifier: MIT */
/*
 * cio_process_cmd.c - the command builder: program and arguments,
 * environment changes, working directory, stdio, process group; and the
 * environment block a spawn hands to the child.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "cio_process_int.h"

#ifndef _WIN32
extern char **environ;
#endif

/* Remember the first error; return @r. */
static int
fail(cio_command *cmd, int r)
{
    if (cmd->error == 0)
        cmd->error = r;
    return r;
}

static int
push_arg(cio_command *cmd, const char *arg)
{
    char *dup;

    if (cmd->argc + 2 > cmd->argcap) {
        size_t cap = cmd->argcap ? cmd->argcap * 2 : 8;
        char **v = realloc(cmd->argv, cap * sizeof *v);

        if (v == NULL)
            return fail(cmd, CIO_ENOMEM);
        cmd->argv = v;
        cmd->argcap = cap;
    }
    dup = strdup(arg);
    if (dup == NULL)
        return fail(cmd, CIO_ENOMEM);
    cmd->argv[cmd->argc++] = dup;
    cmd->argv[cmd->argc] = NULL;
    return 0;
}

int
cio_command_new(cio_command **out, const char *program)
{
    cio_command *cmd;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (program == NULL || program[0] == '\0')
        return CIO_EINVAL;
    cmd = calloc(1, sizeof *cmd);
    if (cmd == NULL)
        return CIO_ENOMEM;
    cmd->pgid = -1;
    if (push_arg(cmd, program) < 0) {
        cio_command_free(cmd);
        return CIO_ENOMEM;
    }
    *out = cmd;
    return 0;
}

static void
env_reset(cio_command *cmd)
{
    size_t i;

    for (i = 0; i < cmd->nenv; i++)
        free(cmd->env[i].kv);
    cmd->nenv = 0;
}

void
cio_command_free(cio_command *cmd)
{
    size_t i;

    if (cmd == NULL)
        return;
    for (i = 0; i < cmd->argc; i++)
        free(cmd->argv[i]);
    free(cmd->argv);
    env_reset(cmd);
    free(cmd->env);
    free(cmd->cwd);
    free(cmd);
}

int
cio_command_arg(cio_command *cmd, const char *arg)
{
    if (cmd == NULL)
        return CIO_EINVAL;
    if (arg == NULL)
        return fail(cmd, CIO_EINVAL);
    return push_arg(cmd, arg);
}

int
cio_command_args(cio_command *cmd, const char *const *args)
{
    int r;

    if (cmd == NULL)
        return CIO_EINVAL;
    if (args == NULL)
        return fail(cmd, CIO_EINVAL);
    for (; *args != NULL; args++)
        if ((r = push_arg(cmd, *args)) < 0)
            return r;
    return 0;
}

/* Are the names @a and @b of @n bytes the same variable? */
static int
name_eq(const char *a, const char *b, size_t n)
{
#ifdef _WIN32
    size_t i;

    /* Windows compares environment names ignoring (ASCII) case. */
    for (i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x >= 'a' && x <= 'z')
            x -= 32;
        if (y >= 'a' && y <= 'z')
            y -= 32;
        if (x != y)
            return 0;
    }
    return 1;
#else
    return memcmp(a, b, n) == 0;
#endif
}

/* Record a set (@value non-NULL) or a removal of @name. */
static int
env_op(cio_command *cmd, const char *name, const char *value)
{
    size_t nlen, vlen, i;
    cio__envop *e;
    char *kv;

    if (cmd == NULL)
        return CIO_EINVAL;
    if (name == NULL || name[0] == '\0' || strchr(name, '=') != NULL)
        return fail(cmd, CIO_EINVAL);
    nlen = strlen(name);
    vlen = value != NULL ? strlen(value) : 0;
    kv = malloc(nlen + vlen + 2);
    if (kv == NULL)
        return fail(cmd, CIO_ENOMEM);
    memcpy(kv, name, nlen);
    kv[nlen] = '\0';
    if (value != NULL) {
        kv[nlen] = '=';
        memcpy(kv + nlen + 1, value, vlen + 1);
    }
    /* One entry per name: a later change replaces an earlier one. */
    for (i = 0; i < cmd->nenv; i++) {
        e = &cmd->env[i];
        if (e->namelen == nlen && name_eq(e->kv, name, nlen)) {
            free(e->kv);
            memmove(e, e + 1, (cmd->nenv - i - 1) * sizeof *e);
            cmd->nenv--;
            break;
        }
    }
    if (cmd->nenv == cmd->envcap) {
        size_t cap = cmd->envcap ? cmd->envcap * 2 : 8;
        cio__envop *v = realloc(cmd->env, cap * sizeof *v);

        if (v == NULL) {
            free(kv);
            return fail(cmd, CIO_ENOMEM);
        }
        cmd->env = v;
        cmd->envcap = cap;
    }
    e = &cmd->env[cmd->nenv++];
    e->kv = kv;
    e->namelen = nlen;
    e->remove = value == NULL;
    return 0;
}

int
cio_command_env(cio_command *cmd, const char *name, const char *value)
{
    if (cmd != NULL && value == NULL)
        return fail(cmd, CIO_EINVAL);
    return env_op(cmd, name, value);
}

int
cio_command_env_remove(cio_command *cmd, const char *name)
{
    return env_op(cmd, name, NULL);
}

int
cio_command_env_clear(cio_command *cmd)
{
    if (cmd == NULL)
        return CIO_EINVAL;
    env_reset(cmd);
    cmd->env_clear = 1;
    return 0;
}

int
cio_command_cwd(cio_command *cmd, const char *dir)
{
    char *dup = NULL;

    if (cmd == NULL)
        return CIO_EINVAL;
#if !defined(_WIN32) &&                                                        \
    !(defined(__GLIBC__) &&                                                    \
      (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29)))
    if (dir != NULL)
        return fail(cmd, CIO_ENOTSUP);
#endif
    if (dir != NULL && (dup = strdup(dir)) == NULL)
        return fail(cmd, CIO_ENOMEM);
    free(cmd->cwd);
    cmd->cwd = dup;
    return 0;
}

static int
set_stdio(cio_command *cmd, int fd, cio_stdio how)
{
    if (cmd == NULL)
        return CIO_EINVAL;
    if (how != CIO_STDIO_INHERIT && how != CIO_STDIO_NULL &&
        how != CIO_STDIO_PIPED)
        return fail(cmd, CIO_EINVAL);
    cmd->stdio[fd] = (uint8_t)how;
    return 0;
}

int
cio_command_stdin(cio_command *cmd, cio_stdio how)
{
    return set_stdio(cmd, 0, how);
}

int
cio_command_stdout(cio_command *cmd, cio_stdio how)
{
    return set_stdio(cmd, 1, how);
}

int
cio_command_stderr(cio_command *cmd, cio_stdio how)
{
    return set_stdio(cmd, 2, how);
}

int
cio_command_process_group(cio_command *cmd, int pgid)
{
    if (cmd == NULL)
        return CIO_EINVAL;
    if (pgid < -1)
        return fail(cmd, CIO_EINVAL);
    cmd->pgid = pgid;
    return 0;
}

#ifndef _WIN32
/* The Windows environment block is built in cio_process_win32.c. */

/* Does @cmd say anything about the variable "@kv" (NAME=...)? */
static int
overridden(const cio_command *cmd, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t nlen = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
    size_t i;

    for (i = 0; i < cmd->nenv; i++)
        if (cmd->env[i].namelen == nlen &&
            memcmp(cmd->env[i].kv, kv, nlen) == 0)
            return 1;
    return 0;
}

int
cio__proc_envp(const cio_command *cmd, char ***out)
{
    size_t n = 0, k = 0, i;
    char **envp, **e;

    *out = NULL;
    if (!cmd->env_clear && environ != NULL)
        for (e = environ; *e != NULL; e++)
            n++;
    envp = malloc((n + cmd->nenv + 1) * sizeof *envp);
    if (envp == NULL)
        return CIO_ENOMEM;
    if (!cmd->env_clear && environ != NULL)
        for (e = environ; *e != NULL && k < n; e++)
            if (!overridden(cmd, *e))
                envp[k++] = *e;
    for (i = 0; i < cmd->nenv; i++)
        if (!cmd->env[i].remove)
            envp[k++] = cmd->env[i].kv;
    envp[k] = NULL;
    *out = envp;
    return 0;
}
#endif /* !_WIN32 */
