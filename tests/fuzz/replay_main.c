/* main() of a fuzz target in a build without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line or
 * found in a directory named there (the seed corpus and the saved crash
 * inputs), in name order. A crash or a broken invariant aborts, so the
 * unit tests of every build (ASan included) replay them all. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_PATH_MAX 4096 /* bytes of a file's path */

/* Runs the target on one file; returns 0 or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (grown == NULL)
                free(buf);
            buf = grown;
        }
    }
    int rc = ferror(f) || buf == NULL ? -1 : 0;
    fclose(f);
    if (rc == 0) {
        /* An exact-size copy, so ASan sees any read past the input. */
        uint8_t *exact = malloc(len ? len : 1);
        if (exact == NULL) {
            free(buf);
            return -1;
        }
        memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    free(buf);
    if (rc)
        fprintf(stderr, "replay: %s: read error\n", path);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the target on every regular file of dir, in name order. Returns
 * the files run, or -1 on an error. */
static long replay_dir(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, NULL);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = calloc((size_t)n + 1, sizeof *names);
    long done = 0;
    for (int i = 0; i < n; i++) {
        if (names != NULL && list[i]->d_name[0] != '.')
            names[done++] = strdup(list[i]->d_name);
        free(list[i]);
    }
    free(list);
    if (names == NULL)
        return -1;
    qsort(names, (size_t)done, sizeof *names, name_cmp);
    long run = 0;
    for (long i = 0; i < done; i++) {
        char path[REPLAY_PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) != 0)
                run = -1;
            else if (run >= 0)
                run++;
        }
        free(names[i]);
    }
    free(names);
    return run;
}

int main(int argc, char **argv)
{
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue; /* a target without crash inputs has no such dir */
        long n = S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                                     : (replay_file(argv[i]) == 0 ? 1 : -1);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("replayed %ld inputs\n", total);
    return total > 0 ? 0 : 1;
}
