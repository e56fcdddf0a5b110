/* SPDX-License-Identifier: MIT */
/*
 * cio_dso_win32.h - what the Windows dynamic-loading files share: the
 * loader itself (cio_dso_win32.c), the PE header check
 * (cio_dso_pe_win32.c) and the owner and ACL check
 * (cio_dso_trust_win32.c). Private to the loader, Windows builds only.
 */
#ifndef CIO_DSO_WIN32_H
#define CIO_DSO_WIN32_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stddef.h>
#include <wchar.h>

/*
 * UTF-8 @s to a malloc'd UTF-16 string, with '/' turned into '\' (the
 * LoadLibraryEx documentation asks for backslashes in paths); NULL when
 * @s is not valid UTF-8 or memory ran out.
 */
wchar_t *cio__dso_to_wide(const char *s);

/* UTF-16 @w to UTF-8 into @buf: 0, or -1 when it does not fit. */
int cio__dso_to_utf8(const wchar_t *w, char *buf, size_t len);

/* The system's text for the Win32 error @code, without the CR LF. */
void cio__dso_format_error(DWORD code, char *err, size_t errlen);

/*
 * The PE headers of the file @wpath judged before LoadLibrary: 0, or -1
 * with @err saying why it is no DLL for this program (no "MZ", no PE
 * header, another machine, an .exe, cut short). A file that cannot be
 * read is 0: LoadLibrary's own message says more.
 */
int cio__dso_pe_check(const wchar_t *wpath, char *err, size_t errlen);

#endif /* CIO_DSO_WIN32_H */
