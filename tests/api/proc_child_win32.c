/* SPDX-License-Identifier: MIT */
/*
 * proc_child_win32.c - the child that check_process_win32 spawns:
 *   args A B ...  print each argument as [A] on a line of its own
 *   exit N        exit with code N
 *   cat           copy stdin to stdout until end of file
 *   env NAME      print NAME's value, or "(unset)"
 *   cwd           print the working directory
 *   sleep         sleep for a minute (to be killed)
 *   nap MS        sleep MS milliseconds, then exit with code 7
 *   stderr TEXT   print TEXT on stderr
 * Plain C runtime, so argv is the C runtime's parse of the command line.
 */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    char buf[4096];
    size_t n;
    int i;

    /* Bytes, not text: no \r added or dropped on the way. */
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    if (argc < 2)
        return 100;
    if (strcmp(argv[1], "args") == 0) {
        for (i = 2; i < argc; i++)
            printf("[%s]\n", argv[i]);
        return 0;
    }
    if (strcmp(argv[1], "exit") == 0 && argc == 3)
        return atoi(argv[2]);
    if (strcmp(argv[1], "cat") == 0) {
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            if (fwrite(buf, 1, n, stdout) != n)
                return 1;
        return 0;
    }
    if (strcmp(argv[1], "env") == 0 && argc == 3) {
        const char *v = getenv(argv[2]);
        printf("%s\n", v != NULL ? v : "(unset)");
        return 0;
    }
    if (strcmp(argv[1], "cwd") == 0) {
        if (GetCurrentDirectoryA(sizeof buf, buf) == 0)
            return 1;
        printf("%s\n", buf);
        return 0;
    }
    if (strcmp(argv[1], "sleep") == 0) {
        Sleep(60000);
        return 0;
    }
    if (strcmp(argv[1], "nap") == 0 && argc == 3) {
        Sleep((DWORD)atoi(argv[2]));
        return 7;
    }
    if (strcmp(argv[1], "stderr") == 0 && argc == 3) {
        fprintf(stderr, "%s\n", argv[2]);
        return 0;
    }
    return 101;
}
