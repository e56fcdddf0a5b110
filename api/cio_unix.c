/* SPDX-License-Identifier: MIT */
/*
 * cio_unix.c - Unix domain stream sockets: listen (paths and Linux
 * abstract names, with the stale-path removal of CIO_BIND_UNLINK),
 * accept, connect, socketpair, the stream calls and peer credentials.
 */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include "cio_net_internal.h"

#define UN_OFF offsetof(struct sockaddr_un, sun_path)

/*
 * Is the path's socket served? A non-blocking connect of @type answers
 * at once for Unix sockets: refused means stale. The probe is a few
 * plain syscalls on the runtime thread (none of them waits); a live
 * listener sees one connection that closes straight away.
 */
#ifdef _WIN32
/*
 * Windows (AF_UNIX since Windows 10 1803): the socket file is removed
 * when a blocking connect to it is refused. There is no socketpair.
 */
int
cio__unix_unlink_stale(const cio_sockaddr *a, int type)
{
    char path[sizeof a->u.un.sun_path + 1];
    size_t n;
    SOCKET fd;
    int r = 0;

    if (a->len <= UN_OFF || a->u.un.sun_path[0] == '\0')
        return 0;
    n = a->len - UN_OFF;
    if (n > sizeof a->u.un.sun_path)
        n = sizeof a->u.un.sun_path;
    memcpy(path, a->u.un.sun_path, n);
    path[n] = '\0';
    if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES)
        return 0;
    if ((r = cio__net_startup()) < 0)
        return r;
    fd = WSASocketW(AF_UNIX, type, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (fd == INVALID_SOCKET)
        return CIO__NET_ERR();
    if (connect(fd, &a->u.sa, (int)a->len) != 0)
        r = WSAGetLastError();
    closesocket(fd);
    if (r == WSAECONNREFUSED && !DeleteFileA(path) &&
        GetLastError() != ERROR_FILE_NOT_FOUND)
        return cio__sys_win32_error(GetLastError());
    return 0;
}

int
cio__unix_pair(int type, cio_fd fds[2])
{
    (void)type;
    fds[0] = fds[1] = CIO_INVALID_FD;
    if (cio_current() == NULL)
        return CIO_EPERM;
    return CIO_ENOTSUP;
}
#else
int
cio__unix_unlink_stale(const cio_sockaddr *a, int type)
{
    char path[sizeof a->u.un.sun_path + 1];
    size_t n;
    struct stat st;
    int fd, r;

    if (a->len <= UN_OFF || a->u.un.sun_path[0] == '\0')
        return 0; /* Abstract names leave no file behind. */
    n = a->len - UN_OFF;
    if (n > sizeof a->u.un.sun_path)
        n = sizeof a->u.un.sun_path;
    memcpy(path, a->u.un.sun_path, n);
    path[n] = '\0';
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return 0; /* Not ours to remove; bind says EADDRINUSE. */
    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    r = connect(fd, &a->u.sa, (socklen_t)a->len);
    r = r < 0 ? errno : 0;
    close(fd);
    if (r == ECONNREFUSED && unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

int
cio__unix_pair(int type, cio_fd fds[2])
{
    int sv[2], r;

    fds[0] = fds[1] = CIO_INVALID_FD;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    if ((r = cio__api_attach(sv[0])) < 0 || (r = cio__api_attach(sv[1])) < 0) {
        close(sv[0]);
        close(sv[1]);
        return r;
    }
    fds[0] = sv[0];
    fds[1] = sv[1];
    return 0;
}

#endif

/* ---- listener ---- */

int
cio_unix_listen(cio_unix_listener **out, const cio_sockaddr *addr,
                const cio_bind_opts *opts)
{
    cio_unix_listener *l;
    cio_fd fd;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    r = cio__net_check_addr(addr, CIO__NET_UNIX);
    if (r < 0)
        return r;
    if (cio_current() == NULL)
        return CIO_EPERM;
    if (opts != NULL && (opts->flags & CIO_BIND_UNLINK) &&
        (r = cio__unix_unlink_stale(addr, SOCK_STREAM)) < 0)
        return r;
    l = malloc(sizeof *l);
    if (l == NULL)
        return CIO_ENOMEM;
    r = cio__net_bind(SOCK_STREAM, addr, opts, 0, 1, &fd);
    if (r < 0) {
        free(l);
        return r;
    }
    l->fd = fd;
    *out = l;
    return 0;
}

int
cio_unix_accept(cio_unix_listener *l, cio_unix_stream **out, cio_sockaddr *peer)
{
    void *s;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    *out = NULL;
    if (l == NULL) {
        if (peer != NULL)
            memset(peer, 0, sizeof *peer);
        return CIO_EINVAL;
    }
    r = cio__net_accept_stream(l->fd, &s, sizeof(cio_unix_stream), peer);
    *out = s;
    return r;
}

int
cio_unix_listener_local_addr(const cio_unix_listener *l, cio_sockaddr *out)
{
    if (l == NULL)
        return CIO_EINVAL;
    return cio__net_name(l->fd, out, 0);
}

cio_fd
cio_unix_listener_fd(const cio_unix_listener *l)
{
    return l != NULL ? l->fd : CIO_INVALID_FD;
}

int
cio_unix_listener_close(cio_unix_listener *l)
{
    return cio__net_listener_close(l, l != NULL ? l->fd : CIO_INVALID_FD);
}

/* ---- streams ---- */

int
cio_unix_connect(cio_unix_stream **out, const cio_sockaddr *addr)
{
    void *s;
    int r;

    if (out == NULL)
        return CIO_EINVAL;
    r = cio__net_connect_stream(CIO__NET_UNIX, addr, &s,
                                sizeof(cio_unix_stream));
    *out = s;
    return r;
}

int
cio_unix_stream_pair(cio_unix_stream **a, cio_unix_stream **b)
{
    cio_fd fds[2];
    void *sa, *sb;
    int r;

    if (a == NULL || b == NULL)
        return CIO_EINVAL;
    *a = *b = NULL;
    r = cio__unix_pair(SOCK_STREAM, fds);
    if (r < 0)
        return r;
    r = cio__net_stream_new(&sa, sizeof(cio_unix_stream), fds[0]);
    if (r < 0) {
        cio__api_close(fds[1]);
        return r;
    }
    r = cio__net_stream_new(&sb, sizeof(cio_unix_stream), fds[1]);
    if (r < 0) {
        cio__net_stream_close(sa);
        return r;
    }
    *a = sa;
    *b = sb;
    return 0;
}

int64_t
cio_unix_read(cio_unix_stream *s, void *buf, size_t len)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_read(&s->fs.base, buf, len);
}

int64_t
cio_unix_write(cio_unix_stream *s, const void *buf, size_t len)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_write(&s->fs.base, buf, len);
}

int64_t
cio_unix_readv(cio_unix_stream *s, const cio_iovec *iov, unsigned n)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_readv(&s->fs.base, iov, n);
}

int64_t
cio_unix_writev(cio_unix_stream *s, const cio_iovec *iov, unsigned n)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio_stream_writev(&s->fs.base, iov, n);
}

int
cio_unix_shutdown(cio_unix_stream *s, int how)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_shutdown(s->fs.fd, how);
}

int
cio_unix_close(cio_unix_stream *s)
{
    return cio__net_stream_close(s != NULL ? &s->fs : NULL);
}

cio_stream *
cio_unix_stream_io(cio_unix_stream *s)
{
    return s != NULL ? &s->fs.base : NULL;
}

cio_fd
cio_unix_stream_fd(const cio_unix_stream *s)
{
    return s != NULL ? s->fs.fd : CIO_INVALID_FD;
}

int
cio_unix_peer_addr(const cio_unix_stream *s, cio_sockaddr *out)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_name(s->fs.fd, out, 1);
}

int
cio_unix_local_addr(const cio_unix_stream *s, cio_sockaddr *out)
{
    if (s == NULL)
        return CIO_EINVAL;
    return cio__net_name(s->fs.fd, out, 0);
}

int
cio_unix_peer_cred(const cio_unix_stream *s, cio_unix_cred *out)
{
    if (s == NULL || out == NULL)
        return CIO_EINVAL;
    memset(out, 0, sizeof *out);
    out->pid = -1;
#if defined(SO_PEERCRED) && defined(__linux__)
    {
        struct ucred uc;
        socklen_t len = sizeof uc;

        if (getsockopt(s->fs.fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
            return -errno;
        out->pid = uc.pid;
        out->uid = uc.uid;
        out->gid = uc.gid;
        return 0;
    }
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) ||     \
    defined(__OpenBSD__) || defined(__DragonFly__)
    {
        uid_t uid;
        gid_t gid;

        if (getpeereid(s->fs.fd, &uid, &gid) < 0)
            return -errno;
        out->uid = uid;
        out->gid = gid;
        return 0;
    }
#else
    return CIO_ENOTSUP;
#endif
}
