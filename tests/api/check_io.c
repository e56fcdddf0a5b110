/* SPDX-License-Identifier: MIT */
/*
 * check_io.c - the compio/io.h suite: each helper against the scripted
 * in-memory stream (no runtime needed), then over real descriptors on
 * each backend. The in-memory cases mean something on any machine, so
 * the program does not skip as a whole when no backend loads; the
 * descriptor cases report such a backend and pass without running.
 */
#include "check_io.h"

int
main(void)
{
    Suite *s = suite_create("io");

    suite_add_tcase(s, check_io_mem_tcase());
    suite_add_tcase(s, check_io_exact_tcase());
    suite_add_tcase(s, check_io_copy_tcase());
    suite_add_tcase(s, check_io_bufreader_tcase());
    suite_add_tcase(s, check_io_line_tcase());
    suite_add_tcase(s, check_io_bufwriter_tcase());
    suite_add_tcase(s, check_io_frame_tcase());
    suite_add_tcase(s, check_io_fd_tcase());
    return cio_test_run(s);
}
