/* SPDX-License-Identifier: MIT */
/*
 * cio_inih_src.c - inih's ini.c, compiled into libcompio where there is
 * no libinih to link (configure --with-inih-src=DIR, used by Windows
 * builds; scripts/mingw-deps.sh fetches the file from Debian's source
 * package). The repository holds none of inih's code: this file only
 * includes it, from the directory configure was given.
 *
 * Its functions stay private: -fvisibility=hidden on ELF, and on Windows
 * only CIO_EXTERN (dllexport) symbols leave the DLL. Warnings of the
 * foreign file are not ours to fix, so they are silenced here.
 */
#include "config.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wshadow"
#endif

#include "ini.c"
