/* Helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c, see
 * docs/security.md, "Fuzzing"): splitting one input into the parts of a
 * message, a scratch directory that goes away at exit, and the check that
 * turns a broken invariant into a crash libFuzzer keeps.
 *
 * Every target is one LLVMFuzzerTestOneInput. Built with -DHAMD_FUZZ=ON
 * (clang) it links libFuzzer's main; otherwise replay_main.c runs it over
 * the seed corpus and the saved crash inputs, so every build replays them.
 */
#ifndef HAMD_FUZZ_H
#define HAMD_FUZZ_H

#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Separates the frames, entries or bodies of one binary input. 0xc1 is
 * never valid msgpack, so a separator cuts no well-formed document short
 * except inside a string payload. */
#define FUZZ_SEP "\xc1\xc1\xc1\xc1"
#define FUZZ_SEP_LEN 4

#define FUZZ_RM_FDS 8 /* directories nftw keeps open while removing */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message when an invariant does not hold: libFuzzer saves
 * the input as a crash, replay_main fails. */
#define FUZZ_CHECK(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                        \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* A cursor over the parts of data[0..size) separated by sep. */
struct fuzz_parts {
    const uint8_t *p;   /* start of the next part */
    const uint8_t *end; /* end of the input */
    const char *sep;    /* separator */
    size_t sep_len;     /* its bytes */
    bool done;          /* the last part was returned */
};

static inline void fuzz_parts_init(struct fuzz_parts *it, const uint8_t *data,
                                   size_t size, const char *sep,
                                   size_t sep_len)
{
    it->p = data;
    it->end = data + size;
    it->sep = sep;
    it->sep_len = sep_len;
    it->done = false;
}

/* Returns the next part (possibly empty); false after the last one. An
 * input without a separator is one part. */
static inline bool fuzz_parts_next(struct fuzz_parts *it,
                                   const uint8_t **part, size_t *len)
{
    if (it->done)
        return false;
    const uint8_t *hit = memmem(it->p, (size_t)(it->end - it->p), it->sep,
                                it->sep_len);
    *part = it->p;
    if (hit == NULL) {
        *len = (size_t)(it->end - it->p);
        it->done = true;
    } else {
        *len = (size_t)(hit - it->p);
        it->p = hit + it->sep_len;
    }
    return true;
}

/* A copy of data[0..size) with a NUL after it (malloc'd; never NULL). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* nftw callback of fuzz_rm_tree. */
static inline int fuzz_rm_entry(const char *path, const struct stat *sb,
                                int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char fuzz_dir[64]; /* the scratch directory, "" until made */

static inline void fuzz_rm_tree(void)
{
    if (fuzz_dir[0] != '\0')
        nftw(fuzz_dir, fuzz_rm_entry, FUZZ_RM_FDS, FTW_DEPTH | FTW_PHYS);
}

/* A directory of this process, removed at exit, under $HAMD_FUZZ_SCRATCH
 * (run.sh sets it and removes it too: a crash skips atexit), else in
 * /dev/shm when there is one, so the LMDB commits and config files of
 * millions of runs never touch a disk. */
static inline const char *fuzz_scratch_dir(void)
{
    if (fuzz_dir[0] != '\0')
        return fuzz_dir;
    struct stat st;
    const char *base = getenv("HAMD_FUZZ_SCRATCH");
    if (base == NULL || base[0] == '\0' || strlen(base) > 40)
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm"
                                                                 : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/hamd-fuzz-XXXXXX", base);
    if (mkdtemp(fuzz_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_rm_tree);
    return fuzz_dir;
}

#define FUZZ_PATH_MAX 128 /* bytes of a scratch file's path */

/* Writes data[0..len) to the scratch file name, mode 0600 (a key file
 * must be private); returns its path (static: the next call reuses it). */
static inline const char *fuzz_scratch_file(const char *name,
                                            const void *data, size_t len)
{
    static char path[FUZZ_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(write(fd, data, len) == (ssize_t)len);
    FUZZ_CHECK(close(fd) == 0);
    return path;
}

#endif /* HAMD_FUZZ_H */
