/* SPDX-License-Identifier: MIT */
/*
 * cio_process_spawn_win32.c - cio_command_spawn on Windows: the command
 * line quoted as the Microsoft C runtime parses it, a UTF-16
 * environment block, stdio as inheritable handles for the child (with
 * overlapped named pipes on the parent's side), and CreateProcessW.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_fs_win32.h"
#include "cio_process_int.h"

#define PIPE_BUF_SIZE 65536

/* A growing UTF-16 buffer. */
typedef struct wbuf {
    wchar_t *p;
    size_t len, cap;
    int err;
} wbuf;

static void
wb_putn(wbuf *b, const wchar_t *s, size_t n)
{
    wchar_t *np;
    size_t cap;

    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        np = realloc(b->p, cap * sizeof *np);
        if (np == NULL) {
            b->err = CIO_ENOMEM;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n * sizeof *s);
    b->len += n;
    b->p[b->len] = 0;
}

static void
wb_putc(wbuf *b, wchar_t c, size_t times)
{
    while (times-- > 0)
        wb_putn(b, &c, 1);
}

/*
 * Append @arg so that the C runtime's parser gives it back unchanged:
 * inside quotes, backslashes are literal unless a run of them precedes
 * a quote, where each is doubled and the quote is escaped.
 */
static void
quote_arg(wbuf *b, const wchar_t *arg)
{
    size_t bs;

    if (arg[0] != 0 && wcspbrk(arg, L" \t\n\v\"") == NULL) {
        wb_putn(b, arg, wcslen(arg));
        return;
    }
    wb_putc(b, L'"', 1);
    for (;; arg++) {
        for (bs = 0; *arg == L'\\'; arg++)
            bs++;
        if (*arg == 0) {
            /* The closing quote must not be escaped. */
            wb_putc(b, L'\\', bs * 2);
            break;
        }
        if (*arg == L'"') {
            wb_putc(b, L'\\', bs * 2 + 1);
            wb_putc(b, L'"', 1);
        } else {
            wb_putc(b, L'\\', bs);
            wb_putn(b, arg, 1);
        }
    }
    wb_putc(b, L'"', 1);
}

/* @s (UTF-8) as malloc'd UTF-16. 0, CIO_EINVAL or CIO_ENOMEM. */
static int
widen(const char *s, wchar_t **out)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);

    *out = NULL;
    if (n <= 0)
        return CIO_EINVAL;
    *out = malloc((size_t)n * sizeof **out);
    if (*out == NULL)
        return CIO_ENOMEM;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, *out, n);
    return 0;
}

/* The quoted command line of @cmd in @b. */
static int
command_line(const cio_command *cmd, wbuf *b)
{
    wchar_t *w;
    size_t i;
    int r;

    for (i = 0; i < cmd->argc; i++) {
        if ((r = widen(cmd->argv[i], &w)) < 0)
            return r;
        if (i > 0)
            wb_putc(b, L' ', 1);
        quote_arg(b, w);
        free(w);
    }
    return b->err;
}

/* Does @cmd change the variable named by UTF-16 @kv (NAME=...)? */
static int
overridden(const cio_command *cmd, const wchar_t *kv)
{
    const wchar_t *eq = kv[0] != 0 ? wcschr(kv + 1, L'=') : NULL;
    size_t nlen = eq != NULL ? (size_t)(eq - kv) : wcslen(kv), i, j;

    /* Names are compared ignoring ASCII case, as Windows does. */
    for (i = 0; i < cmd->nenv; i++) {
        const char *n = cmd->env[i].kv;

        if (cmd->env[i].namelen != nlen)
            continue;
        for (j = 0; j < nlen; j++) {
            wchar_t a = kv[j], c = (unsigned char)n[j];

            if (a < 128 && a >= L'a' && a <= L'z')
                a -= 32;
            if (c >= L'a' && c <= L'z')
                c -= 32;
            if (a != c)
                break;
        }
        if (j == nlen)
            return 1;
    }
    return 0;
}

/*
 * The environment block for @cmd in @b, or *@inherit set when the child
 * simply gets the caller's.
 */
static int
env_block(const cio_command *cmd, wbuf *b, int *inherit)
{
    wchar_t *all, *e, *w;
    size_t i;
    int r;

    *inherit = !cmd->env_clear && cmd->nenv == 0;
    if (*inherit)
        return 0;
    if (!cmd->env_clear) {
        all = GetEnvironmentStringsW();
        if (all == NULL)
            return CIO_ENOMEM;
        for (e = all; *e != 0; e += wcslen(e) + 1)
            if (!overridden(cmd, e))
                wb_putn(b, e, wcslen(e) + 1);
        FreeEnvironmentStringsW(all);
    }
    for (i = 0; i < cmd->nenv; i++) {
        if (cmd->env[i].remove)
            continue;
        if ((r = widen(cmd->env[i].kv, &w)) < 0)
            return r;
        wb_putn(b, w, wcslen(w) + 1);
        free(w);
    }
    /* An empty block still needs its two terminating NULs. */
    wb_putc(b, 0, 1);
    if (b->len < 2)
        wb_putc(b, 0, 1);
    return b->err;
}

static int
pipe_shutdown(cio_stream *base)
{
    return cio__fdstream_close_fd(base);
}

static int
pipe_close(cio_stream *base)
{
    int r = cio__fdstream_close_fd(base);

    free(base);
    return r;
}

static const cio_stream_ops child_pipe_ops = {
    .read = cio__fdstream_read,
    .write = cio__fdstream_write,
    .readv = cio__fdstream_readv,
    .writev = cio__fdstream_writev,
    .shutdown = pipe_shutdown,
    .close = pipe_close,
    .fd = cio__fdstream_fd,
};

/*
 * A pipe for the child's stdio @fd: *@mine the overlapped server end,
 * attached and wrapped as a stream, *@theirs the synchronous,
 * inheritable client end. 0 or -errno; nothing is left on failure.
 */
static int
child_pipe(int fd, cio_stream **mine, HANDLE *theirs)
{
    static volatile LONG seq;
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    cio__fdstream *s;
    wchar_t name[96];
    HANDLE srv, cli;
    int r;

    _snwprintf(name, sizeof name / sizeof name[0],
               L"\\\\.\\pipe\\compio-child-%lu-%ld", GetCurrentProcessId(),
               (long)InterlockedIncrement(&seq));
    name[sizeof name / sizeof name[0] - 1] = 0;
    srv = CreateNamedPipeW(
        name,
        (fd == 0 ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) |
            FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
            PIPE_REJECT_REMOTE_CLIENTS,
        1, PIPE_BUF_SIZE, PIPE_BUF_SIZE, 0, NULL);
    if (srv == INVALID_HANDLE_VALUE)
        return cio__fs_lasterr();
    cli = CreateFileW(name,
                      fd == 0 ? GENERIC_READ | FILE_WRITE_ATTRIBUTES
                              : GENERIC_WRITE | FILE_READ_ATTRIBUTES,
                      0, &sa, OPEN_EXISTING, 0, NULL);
    if (cli == INVALID_HANDLE_VALUE) {
        r = cio__fs_lasterr();
        CloseHandle(srv);
        return r;
    }
    r = cio__api_attach((cio_fd)srv);
    s = r < 0 ? NULL : malloc(sizeof *s);
    if (s == NULL) {
        CloseHandle(srv);
        CloseHandle(cli);
        return r < 0 ? r : CIO_ENOMEM;
    }
    cio__fdstream_init(s, (cio_fd)srv, CIO__FD_PIPE, 1);
    s->base.ops = &child_pipe_ops;
    *mine = &s->base;
    *theirs = cli;
    return 0;
}

/* The inheritable handle the child gets as stdio @fd, per @how. */
static int
child_handle(int fd, uint8_t how, cio_stream **mine, HANDLE *theirs)
{
    static const DWORD std[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
                                 STD_ERROR_HANDLE};
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE self = GetCurrentProcess(), h;

    *theirs = NULL;
    if (how == CIO_STDIO_PIPED)
        return child_pipe(fd, mine, theirs);
    if (how == CIO_STDIO_NULL) {
        h = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE,
                        FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING,
                        0, NULL);
        if (h == INVALID_HANDLE_VALUE)
            return cio__fs_lasterr();
        *theirs = h;
        return 0;
    }
    /* Inherit: an inheritable duplicate of ours; none if we have none. */
    h = GetStdHandle(std[fd]);
    if (h == NULL || h == INVALID_HANDLE_VALUE)
        return 0;
    if (!DuplicateHandle(self, h, self, theirs, 0, TRUE, DUPLICATE_SAME_ACCESS))
        *theirs = NULL;
    return 0;
}

/*
 * Held from making the child's inheritable handles until they are
 * closed again, so that a spawn on another thread does not pass them
 * to its own child too (which would keep our pipes from ever reading
 * end of file).
 */
static SRWLOCK inherit_lock = SRWLOCK_INIT;

int
cio__proc_spawn(const cio_command *cmd, const uint8_t stdio[3], cio_child **out)
{
    wbuf line = {0}, env = {0};
    HANDLE theirs[3] = {NULL, NULL, NULL};
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    wchar_t *wcwd = NULL;
    DWORD flags = CREATE_UNICODE_ENVIRONMENT, attr;
    uint64_t deadline;
    cio_child *c;
    int inherit_env, fd, r;
    BOOL ok;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (cmd == NULL)
        return CIO_EINVAL;
    if (cmd->error < 0)
        return cmd->error;
    if (cio_runtime_current() == NULL)
        return CIO_EPERM;
    if (cio_current() != NULL) {
        if (cio_cancelled())
            return CIO_ECANCELED;
        deadline = cio_deadline();
        if (deadline != 0 && cio_now() >= deadline)
            return CIO_ETIMEDOUT;
    }
    /* Windows has process groups, but only new ones. */
    if (cmd->pgid > 0)
        return CIO_ENOTSUP;
    if (cmd->pgid == 0)
        flags |= CREATE_NEW_PROCESS_GROUP;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return CIO_ENOMEM;
    c->pidfd = CIO_INVALID_FD;
    r = command_line(cmd, &line);
    if (r == 0)
        r = env_block(cmd, &env, &inherit_env);
    if (r == 0 && cmd->cwd != NULL) {
        r = cio__fs_wpath(cmd->cwd, &wcwd);
        /* CreateProcess says ERROR_DIRECTORY; POSIX says ENOENT. */
        if (r == 0 &&
            ((attr = GetFileAttributesW(wcwd)) == INVALID_FILE_ATTRIBUTES ||
             !(attr & FILE_ATTRIBUTE_DIRECTORY)))
            r = attr == INVALID_FILE_ATTRIBUTES ? CIO_ENOENT : CIO_ENOTDIR;
    }
    if (r < 0)
        goto out;
    AcquireSRWLockExclusive(&inherit_lock);
    for (fd = 0; fd < 3 && r == 0; fd++)
        r = child_handle(fd, stdio[fd], &c->io[fd], &theirs[fd]);
    if (r == 0) {
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = theirs[0];
        si.hStdOutput = theirs[1];
        si.hStdError = theirs[2];
        ok = CreateProcessW(NULL, line.p, NULL, NULL, TRUE, flags,
                            inherit_env ? NULL : env.p, wcwd, &si, &pi);
        if (!ok)
            r = cio__fs_lasterr();
    }
    for (fd = 0; fd < 3; fd++)
        if (theirs[fd] != NULL)
            CloseHandle(theirs[fd]);
    ReleaseSRWLockExclusive(&inherit_lock);
    if (r == 0) {
        CloseHandle(pi.hThread);
        c->pid = (int)pi.dwProcessId;
        c->pidfd = (cio_fd)pi.hProcess;
    }
out:
    free(line.p);
    free(env.p);
    free(wcwd);
    if (r < 0) {
        for (fd = 0; fd < 3; fd++)
            cio_stream_close(c->io[fd]);
        free(c);
        return r;
    }
    *out = c;
    return 0;
}

int
cio_command_spawn(const cio_command *cmd, cio_child **out)
{
    return cio__proc_spawn(cmd, cmd != NULL ? cmd->stdio : NULL, out);
}
