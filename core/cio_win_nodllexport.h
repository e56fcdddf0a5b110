/* SPDX-License-Identifier: MIT */
/*
 * cio_win_nodllexport.h - forced first (-include) into every object of
 * libcompio's Windows build, to link winpthreads statically.
 *
 * libtool compiles the objects of a DLL with -DDLL_EXPORT, and
 * winpthreads' headers read DLL_EXPORT as "import pthread_* from
 * libwinpthread-1.dll". compio's own headers do not use DLL_EXPORT
 * (CIO_BUILDING_LIBRARY says what is exported), so it is dropped here,
 * before any header sees it, and the library links libwinpthread.a:
 * libcompio-0.dll then needs no DLL beyond the system's.
 */
#undef DLL_EXPORT
