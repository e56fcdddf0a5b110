/* SPDX-License-Identifier: MIT */
/*
 * replay_main.c - runs a fuzz target's inputs without libFuzzer, so that
 * "make check" replays every seed corpus with the normal compiler (and,
 * in the sanitizer build, under ASan and UBSan).
 *
 *     fuzz_http                  the corpus tests/fuzz/corpus/http/
 *     fuzz_http FILE|DIR...      those files, or every file in those dirs
 *
 * Without arguments the corpus is found through CIO_TEST_SRCDIR (set by
 * the test harness). Speaks TAP, one case per input; an input that
 * breaks an invariant aborts, which the TAP driver reports as an error.
 * Each input is handed over in a buffer of exactly its size, as
 * libFuzzer does, so a read past the end is caught by ASan.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the corpus directory"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

typedef struct list {
    char **v;
    size_t n, cap;
} list;

static void
list_add(list *l, const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *s = malloc(len);

    if (s == NULL || (l->n == l->cap &&
                      (l->v = realloc(l->v, (l->cap = l->cap * 2 + 16) *
                                                sizeof(*l->v))) == NULL)) {
        fprintf(stderr, "replay: out of memory\n");
        exit(99);
    }
    snprintf(s, len, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", name);
    l->v[l->n++] = s;
}

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add @path, or every regular file of the directory @path, sorted. */
static void
collect(list *l, const char *path)
{
    struct stat st;
    struct dirent *e;
    size_t first = l->n;
    DIR *d;

    if (stat(path, &st) < 0) {
        printf("Bail out! %s: %s\n", path, strerror(errno));
        exit(99);
    }
    if (!S_ISDIR(st.st_mode)) {
        list_add(l, "", path);
        return;
    }
    d = opendir(path);
    if (d == NULL) {
        printf("Bail out! %s: %s\n", path, strerror(errno));
        exit(99);
    }
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            list_add(l, path, e->d_name);
    closedir(d);
    qsort(l->v + first, l->n - first, sizeof(*l->v), cmp);
}

static int
run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf;
    long size;

    if (fp == NULL || fseek(fp, 0, SEEK_END) < 0 || (size = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) < 0) {
        if (fp != NULL)
            fclose(fp);
        return -1;
    }
    /* Exactly @size bytes (one for an empty file, never read). */
    buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    free(buf);
    return 0;
}

int
main(int argc, char **argv)
{
    list l = {0};
    size_t i;
    int bad = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (i = 1; i < (size_t)argc; i++)
            collect(&l, argv[i]);
    } else {
        const char *src = getenv("CIO_TEST_SRCDIR");
        char dir[4096];

        if (src == NULL) {
            printf("Bail out! no corpus: give files or directories, or set "
                   "CIO_TEST_SRCDIR\n");
            return 99;
        }
        snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", src, FUZZ_TARGET);
        collect(&l, dir);
    }
    printf("1..%zu\n", l.n);
    for (i = 0; i < l.n; i++) {
        if (run_file(l.v[i]) < 0) {
            printf("not ok %zu - %s: cannot read\n", i + 1, l.v[i]);
            bad = 1;
        } else {
            printf("ok %zu - %s\n", i + 1, l.v[i]);
        }
        free(l.v[i]);
    }
    free(l.v);
    return bad;
}
