/* Helpers shared by the unit tests of the consensus layer (test_fsm.c,
 * test_store.c, test_cluster_fixture.c): temp directories, the EVENT
 * command they all apply, and comparing two store images. Include after
 * <cmocka.h>. */
#ifndef HAMD_UNIT_UTIL_H
#define HAMD_UNIT_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "raft/cmd.h"

#define UNIT_RM_FDS 8          /* directories nftw keeps open */
#define UNIT_EVENT_JSON_MAX 32 /* bytes of the {"n":N} event text */

/* nftw callback of unit_rm_tree: removes one entry. */
static inline int unit_rm_entry(const char *path, const struct stat *sb,
                                int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it. */
static inline void unit_rm_tree(const char *dir)
{
    nftw(dir, unit_rm_entry, UNIT_RM_FDS, FTW_DEPTH | FTW_PHYS);
}

/* Makes c an EVENT command carrying {"n": n}. */
static inline void unit_event_cmd(struct hamd_cmd *c, int n)
{
    char json[UNIT_EVENT_JSON_MAX];
    snprintf(json, sizeof json, "{\"n\":%d}", n);
    hamd_cmd_init(c, HAMD_CMD_EVENT);
    hamd_cmd_set_event(c, json);
}

/* Asserts that two images (malloc'd) are byte-identical, then frees both. */
static inline void unit_assert_same_free(void *a, size_t a_len, void *b,
                                         size_t b_len)
{
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);
}

#endif /* HAMD_UNIT_UTIL_H */
