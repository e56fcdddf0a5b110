/* SPDX-License-Identifier: MIT */
/*
 * compio-info - what compio would do here: the module search path, every
 * module found with its verdict, the backend a driver would get and why,
 * which opcodes that backend performs itself versus on the pool, and for
 * every usable backend which "beyond compio" features (multishot,
 * buffer pools, registered files and buffers, SEND_ZC) it does natively
 * and which the driver emulates.
 *
 *     compio-info [--json] [--config FILE] [--backend NAME]
 *
 * Exit status: 0 when a backend is usable, 1 when none is, 2 for usage
 * errors. Uses only the public API, like any application.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <compio.h>
#include <compio/module.h>

static const struct {
    uint64_t bit;
    const char *name;
} cap_names[] = {
    {CIO_CAP_COMPLETION, "completion"},
    {CIO_CAP_READINESS, "readiness"},
    {CIO_CAP_FILE_ASYNC, "file_async"},
    {CIO_CAP_CANCEL_INFLIGHT, "cancel_inflight"},
    {CIO_CAP_NOTIFY, "notify"},
    {CIO_CAP_MULTISHOT, "multishot"},
    {CIO_CAP_BUFFER_RING, "buffer_ring"},
    {CIO_CAP_FIXED_FILES, "fixed_files"},
    {CIO_CAP_FIXED_BUFFERS, "fixed_buffers"},
    {CIO_CAP_SEND_ZC, "send_zc"},
};

#define NCAPS (sizeof(cap_names) / sizeof(cap_names[0]))

static void
usage(FILE *fp)
{
    fprintf(fp, "usage: compio-info [--json] [--config FILE] [--backend NAME]\n"
                "  --json          print the same facts as JSON\n"
                "  --config FILE   read FILE instead of COMPIO_CONFIG or the "
                "system compio.ini\n"
                "                  (COMPIO_BACKEND is then not applied)\n"
                "  --backend NAME  use this backend setting (auto, a name, a "
                "list or a path)\n");
}

/* A JSON string literal, or null. */
static void
json_str(const char *s)
{
    if (s == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The why text, one JSON string per line. */
static void
json_lines(const char *text)
{
    const char *p = text;
    int first = 1;

    putchar('[');
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char *line = malloc(n + 1);
        if (line == NULL)
            break;
        memcpy(line, p, n);
        line[n] = '\0';
        printf("%s\n      ", first ? "" : ",");
        json_str(line);
        free(line);
        first = 0;
        p = end != NULL ? end + 1 : NULL;
    }
    printf("%s]", first ? "" : "\n    ");
}

/* Native/pooled per opcode for @cfg's backend, or NULL when none opens. */
static int
open_support(const cio_config *cfg, int *support)
{
    cio_driver *drv = NULL;
    unsigned i;
    int rc = cio_driver_open(&drv, cfg);

    if (rc < 0)
        return rc;
    for (i = 0; i < CIO_OP__COUNT; i++)
        support[i] = cio_driver_supports(drv, i);
    cio_driver_close(drv);
    return 0;
}

static const char *
support_name(int s)
{
    return s == CIO_SUPPORT_NATIVE     ? "native"
           : s == CIO_SUPPORT_POOLED   ? "pooled"
           : s == CIO_SUPPORT_EMULATED ? "emulated"
           : s == CIO_SUPPORT_NONE     ? "unsupported"
                                       : "unknown";
}

/* Per module: its features, if a driver of it opened here. */
typedef struct module_features {
    int have;
    int support[CIO_FEATURE__COUNT];
} module_features;

/*
 * Open a driver of the module at @path (fallback off) and ask it about
 * every feature. @cfg's backend settings are changed: call last.
 */
static void
probe_features(cio_config *cfg, const char *path, module_features *mf)
{
    cio_driver *drv = NULL;
    unsigned f;

    mf->have = 0;
    if (cio_config_set(cfg, "runtime", "backend", path) < 0 ||
        cio_config_set(cfg, "runtime", "fallback", "no") < 0 ||
        cio_driver_open(&drv, cfg) < 0)
        return;
    for (f = 0; f < CIO_FEATURE__COUNT; f++)
        mf->support[f] = cio_driver_feature(drv, f);
    mf->have = 1;
    cio_driver_close(drv);
}

static void
print_text(const cio_backend_list *list, const int *support, int have_ops,
           const module_features *mf)
{
    const char *p;
    size_t i, k;

    printf("compio %s, module ABI %d.%d\n", cio_version(), CIO_MODULE_ABI_MAJOR,
           CIO_MODULE_ABI_MINOR);
    printf("\nsearch path (in order):\n");
    for (i = 0; list->search_path[i] != NULL; i++)
        printf("  %zu. %s\n", i + 1, list->search_path[i]);
    printf("\nmodules found:\n");
    if (list->count == 0)
        printf("  (none)\n");
    for (i = 0; i < list->count; i++) {
        const cio_backend_info *it = &list->items[i];
        printf("  %c %-10s %s\n", it->status == 0 ? '+' : '-', it->name,
               it->path);
        if (it->version != NULL)
            printf("      version %s, ABI %u.%u", it->version, it->abi_major,
                   it->abi_minor);
        else if (it->abi_major != 0)
            printf("      ABI %u.%u", it->abi_major, it->abi_minor);
        if (it->version != NULL || it->abi_major != 0) {
            for (k = 0; k < NCAPS; k++)
                if (it->caps & cap_names[k].bit)
                    printf(" %s", cap_names[k].name);
            printf("\n");
        }
        if (it->description != NULL)
            printf("      %s\n", it->description);
        printf("      %s%s%s\n", it->status == 0 ? "" : cio_errname(it->status),
               it->status == 0 ? "" : ": ", it->reason);
        if (mf[i].have) {
            printf("      beyond compio:");
            for (k = 0; k < CIO_FEATURE__COUNT; k++)
                printf("%s%s %s",
                       k == 0  ? " "
                       : k % 3 ? ", "
                               : ",\n        ",
                       cio_feature_name((unsigned)k),
                       support_name(mf[i].support[k]));
            printf("\n");
        }
    }
    printf("\nchosen backend: %s\n",
           list->chosen != NULL ? list->chosen : "(none)");
    if (list->chosen == NULL)
        printf("  error: %s (%s)\n", cio_errname(list->chosen_status),
               cio_strerror(list->chosen_status));
    printf("why:\n");
    for (p = list->chosen_why; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        int n = end != NULL ? (int)(end - p) : (int)strlen(p);
        printf("  %.*s\n", n, p);
        p = end != NULL ? end + 1 : NULL;
    }
    if (!have_ops)
        return;
    printf("\nopcodes on %s:\n", list->chosen);
    for (i = 0; i < CIO_OP__COUNT; i++)
        printf("  %-14s %s\n", cio_opcode_name((unsigned)i),
               support_name(support[i]));
}

static void
print_json(const cio_backend_list *list, const int *support, int have_ops,
           const module_features *mf)
{
    size_t i, k;
    int first;

    printf("{\n  \"version\": ");
    json_str(cio_version());
    printf(",\n  \"module_abi\": \"%d.%d\",\n  \"search_path\": [",
           CIO_MODULE_ABI_MAJOR, CIO_MODULE_ABI_MINOR);
    for (i = 0; list->search_path[i] != NULL; i++) {
        printf("%s", i ? ", " : "");
        json_str(list->search_path[i]);
    }
    printf("],\n  \"modules\": [");
    for (i = 0; i < list->count; i++) {
        const cio_backend_info *it = &list->items[i];
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_str(it->name);
        printf(", \"path\": ");
        json_str(it->path);
        printf(", \"version\": ");
        json_str(it->version);
        printf(", \"description\": ");
        json_str(it->description);
        printf(", \"abi\": \"%u.%u\", \"caps\": [", it->abi_major,
               it->abi_minor);
        for (k = 0, first = 1; k < NCAPS; k++) {
            if (!(it->caps & cap_names[k].bit))
                continue;
            printf("%s\"%s\"", first ? "" : ", ", cap_names[k].name);
            first = 0;
        }
        printf("], \"usable\": %s, \"status\": %d, \"error\": ",
               it->status == 0 ? "true" : "false", it->status);
        json_str(it->status == 0 ? NULL : cio_errname(it->status));
        printf(", \"shadowed\": %s, \"reason\": ",
               it->shadowed ? "true" : "false");
        json_str(it->reason);
        printf(", \"features\": ");
        if (!mf[i].have) {
            printf("null");
        } else {
            printf("{");
            for (k = 0; k < CIO_FEATURE__COUNT; k++)
                printf("%s\"%s\": \"%s\"", k ? ", " : "",
                       cio_feature_name((unsigned)k),
                       support_name(mf[i].support[k]));
            printf("}");
        }
        printf("}");
    }
    printf("%s],\n  \"chosen\": ", list->count ? "\n  " : "");
    json_str(list->chosen);
    printf(",\n  \"chosen_status\": %d,\n  \"chosen_error\": ",
           list->chosen_status);
    json_str(list->chosen_status == 0 ? NULL
                                      : cio_errname(list->chosen_status));
    printf(",\n  \"why\": ");
    json_lines(list->chosen_why);
    printf(",\n  \"opcodes\": ");
    if (!have_ops) {
        printf("null\n}\n");
        return;
    }
    printf("{");
    for (i = 0; i < CIO_OP__COUNT; i++) {
        printf("%s\n    ", i ? "," : "");
        json_str(cio_opcode_name((unsigned)i));
        printf(": \"%s\"", support_name(support[i]));
    }
    printf("\n  }\n}\n");
}

int
main(int argc, char **argv)
{
    const char *config = NULL, *backend = NULL;
    cio_backend_list *list = NULL;
    cio_config *cfg = NULL;
    module_features *mf;
    int support[CIO_OP__COUNT];
    int json = 0, have_ops = 0, rc, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "compio-info: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    rc = cio_config_new(&cfg);
    if (rc == 0)
        rc = config != NULL ? cio_config_load(cfg, config)
                            : cio_config_load_default(cfg);
    if (rc < 0) {
        fprintf(stderr, "compio-info: configuration: %s\n%s\n",
                cio_strerror(rc), cio_error_detail());
        cio_config_free(cfg);
        return 1;
    }
    if (backend != NULL) {
        rc = cio_config_set(cfg, "runtime", "backend", backend);
        if (rc < 0) {
            fprintf(stderr, "compio-info: --backend: %s\n", cio_error_detail());
            cio_config_free(cfg);
            return 2;
        }
    }

    rc = cio_backend_scan(cfg, &list);
    if (rc < 0) {
        fprintf(stderr, "compio-info: scan failed: %s\n%s\n", cio_strerror(rc),
                cio_error_detail());
        cio_config_free(cfg);
        return 1;
    }
    if (list->chosen != NULL)
        have_ops = open_support(cfg, support) == 0;
    mf = calloc(list->count ? list->count : 1, sizeof(*mf));
    if (mf == NULL) {
        fprintf(stderr, "compio-info: out of memory\n");
        cio_backend_list_free(list);
        cio_config_free(cfg);
        return 1;
    }
    /* Last: this changes cfg's backend setting for each module. */
    for (size_t m = 0; m < list->count; m++)
        if (list->items[m].status == 0 && !list->items[m].shadowed)
            probe_features(cfg, list->items[m].path, &mf[m]);

    if (json)
        print_json(list, support, have_ops, mf);
    else
        print_text(list, support, have_ops, mf);

    rc = list->chosen != NULL ? 0 : 1;
    free(mf);
    cio_backend_list_free(list);
    cio_config_free(cfg);
    return rc;
}
