/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_pe_win32.c - a look at a module's PE headers before
 * LoadLibrary, so that each common way a file is not a loadable DLL
 * for this program gets a message of its own instead of the system's
 * "%1 is not a valid Win32 application".
 */
#include "config.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cio_dso_win32.h"

/* The machine this library runs as: a module must be built for it. */
#if defined(__x86_64__) || defined(_M_X64)
#define HOST_MACHINE IMAGE_FILE_MACHINE_AMD64
#elif defined(__aarch64__) || defined(_M_ARM64)
#define HOST_MACHINE IMAGE_FILE_MACHINE_ARM64
#elif defined(__i386__) || defined(_M_IX86)
#define HOST_MACHINE IMAGE_FILE_MACHINE_I386
#endif

static const char *
machine_name(unsigned m)
{
    switch (m) {
    case IMAGE_FILE_MACHINE_AMD64:
        return "x86-64";
    case IMAGE_FILE_MACHINE_I386:
        return "32-bit x86";
    case IMAGE_FILE_MACHINE_ARM64:
        return "ARM64";
    case IMAGE_FILE_MACHINE_ARMNT:
        return "32-bit ARM";
    default:
        return "another machine";
    }
}

/* Little-endian fields of the headers, whatever the alignment. */
static unsigned
le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long
le32(const unsigned char *p)
{
    return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

/*
 * A look at the PE headers before LoadLibrary, for the mistakes whose
 * system message says little ("%1 is not a valid Win32 application"),
 * each with its own sentence: not a Windows program at all, a program
 * rather than a DLL, a DLL for another machine, or a file cut short
 * (its sections lie past its end; Windows refuses it, but with a
 * message about the format). 0, or -1 with @err filled; a file that
 * cannot be read is left to LoadLibrary's own message. The headers of
 * any real DLL fit in the first 64 KiB; a section table further on is
 * not checked.
 */
#define PE_READ_MAX 65536u

int
cio__dso_pe_check(const wchar_t *wpath, char *err, size_t errlen)
{
    HANDLE h =
        CreateFileW(wpath, GENERIC_READ,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER size;
    unsigned char *b = NULL;
    DWORD got = 0;
    unsigned long pe, sect, i, nsect, raw, rawlen;
    unsigned machine, chars, optlen;
    int rc = 0;

    if (h == INVALID_HANDLE_VALUE)
        return 0;
    if (!GetFileSizeEx(h, &size) || (b = malloc(PE_READ_MAX)) == NULL ||
        !ReadFile(h, b, PE_READ_MAX, &got, NULL))
        goto out;
    if (got < 64 || b[0] != 'M' || b[1] != 'Z') {
        snprintf(err, errlen,
                 "not a Windows DLL: the file does not start with the "
                 "\"MZ\" of Windows programs");
        rc = -1;
        goto out;
    }
    pe = le32(b + 0x3c);
    if (pe > got - 24 || memcmp(b + pe, "PE\0\0", 4) != 0) {
        if (pe + 24 > (unsigned long long)size.QuadPart)
            goto truncated;
        snprintf(err, errlen,
                 "not a Windows DLL: an \"MZ\" file without a PE header "
                 "(a DOS program?)");
        rc = -1;
        goto out;
    }
    machine = le16(b + pe + 4);
    nsect = le16(b + pe + 6);
    optlen = le16(b + pe + 20);
    chars = le16(b + pe + 22);
#ifdef HOST_MACHINE
    if (machine != HOST_MACHINE) {
        snprintf(err, errlen,
                 "a DLL for %s (PE machine 0x%04x), but this program runs "
                 "as %s; a %s build of the module is needed",
                 machine_name(machine), machine, machine_name(HOST_MACHINE),
                 machine_name(HOST_MACHINE));
        rc = -1;
        goto out;
    }
#endif
    if ((chars & IMAGE_FILE_DLL) == 0) {
        snprintf(err, errlen,
                 "a Windows program (.exe), not a DLL: modules are built "
                 "as DLLs (-shared)");
        rc = -1;
        goto out;
    }
    sect = pe + 24 + optlen;
    for (i = 0; i < nsect; i++, sect += 40) {
        if (sect + 40 > got) {
            if (sect + 40 > (unsigned long long)size.QuadPart)
                goto truncated;
            break; /* a table beyond what was read: not checked */
        }
        rawlen = le32(b + sect + 16);
        raw = le32(b + sect + 20);
        if ((unsigned long long)raw + rawlen >
            (unsigned long long)size.QuadPart)
            goto truncated;
    }
    goto out;

truncated:
    snprintf(err, errlen,
             "file is truncated: its PE headers describe data beyond its "
             "%lld bytes",
             (long long)size.QuadPart);
    rc = -1;
out:
    free(b);
    CloseHandle(h);
    return rc;
}
