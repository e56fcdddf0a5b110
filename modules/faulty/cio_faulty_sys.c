/* SPDX-License-Identifier: MIT */
/*
 * cio_faulty_sys.c - the little of the fault-injecting module that
 * differs between POSIX and Windows: what kind of object a descriptor
 * is (the short and reset faults are only honest on some kinds, see
 * cio_faulty_io.c), the process id (mixed into a seed nobody chose) and
 * what an absolute file name looks like (the "stats" key).
 *
 * On Windows a cio_fd is a HANDLE or a SOCKET. A socket is recognised
 * by getsockopt(SO_TYPE) first, since GetFileType cannot tell one from
 * a pipe; the process has Winsock up by then (the inner module, iocp,
 * started it at create). A named pipe in message mode keeps message
 * boundaries, so it counts as a datagram socket would: never cut.
 */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>
#else
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "cio_faulty_int.h"

#ifdef _WIN32
int
faulty_fd_kind(cio_fd fd)
{
    HANDLE h = (HANDLE)fd;
    int type = 0, len = sizeof(type);
    DWORD flags = 0;

    if (fd == CIO_INVALID_FD)
        return FD_OTHER;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0)
        return type == SOCK_STREAM ? FD_STREAM : FD_DGRAM;
    switch (GetFileType(h)) {
    case FILE_TYPE_DISK:
        return FD_FILE;
    case FILE_TYPE_PIPE:
        if (GetNamedPipeInfo(h, &flags, NULL, NULL, NULL) &&
            (flags & PIPE_TYPE_MESSAGE))
            return FD_DGRAM;
        return FD_PIPE;
    default:
        return FD_OTHER;
    }
}

uint64_t
faulty_pid(void)
{
    return (uint64_t)GetCurrentProcessId();
}

/* "C:\x", "C:/x" or a UNC name "\\server\share"; "C:x" is relative. */
int
faulty_path_absolute(const char *path)
{
    if (((path[0] >= 'a' && path[0] <= 'z') ||
         (path[0] >= 'A' && path[0] <= 'Z')) &&
        path[1] == ':' && (path[2] == '\\' || path[2] == '/'))
        return 1;
    return (path[0] == '\\' || path[0] == '/') &&
           (path[1] == '\\' || path[1] == '/');
}
#else
int
faulty_fd_kind(cio_fd fd)
{
    struct stat st;
    int type = 0;
    socklen_t len = sizeof(type);

    if (fd < 0 || fstat(fd, &st) < 0)
        return FD_OTHER;
    if (S_ISREG(st.st_mode))
        return FD_FILE;
    if (S_ISFIFO(st.st_mode))
        return FD_PIPE;
    if (!S_ISSOCK(st.st_mode) ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return FD_OTHER;
    return type == SOCK_STREAM ? FD_STREAM : FD_DGRAM;
}

uint64_t
faulty_pid(void)
{
    return (uint64_t)getpid();
}

int
faulty_path_absolute(const char *path)
{
    return path[0] == '/';
}
#endif
