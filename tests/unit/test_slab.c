/* Fixed-size items from large blocks (common/slab.c): zeroed, aligned,
 * distinct, a freed item reused before any fresh one, a new block only
 * when every item of the others is in use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/slab.h"

#define ITEM_BYTES 200 /* a data-plane contract's size: rounded to 208 */

static void test_sizes_and_limits(void **state)
{
    (void)state;
    assert_null(hamd_slab_new(0));
    assert_null(hamd_slab_new(HAMD_SLAB_BLOCK_BYTES));
    struct hamd_slab *s = hamd_slab_new(ITEM_BYTES);
    assert_non_null(s);
    assert_int_equal(hamd_slab_blocks(s), 0); /* nothing before the first */
    assert_int_equal(hamd_slab_used(s), 0);
    /* 208-byte items in a 128 KiB block less its 16-byte header. */
    assert_int_equal(hamd_slab_per_block(s),
                     (HAMD_SLAB_BLOCK_BYTES - 16) / 208);
    hamd_slab_destroy(&s);
    assert_null(s);
    hamd_slab_destroy(&s); /* twice is harmless */
    s = hamd_slab_new(1); /* rounded up: room for the free-list link */
    void *a = hamd_slab_alloc(s), *b = hamd_slab_alloc(s);
    assert_int_equal((char *)b - (char *)a, 16);
    hamd_slab_free(s, a);
    hamd_slab_free(s, NULL); /* nothing */
    assert_int_equal(hamd_slab_used(s), 1);
    hamd_slab_destroy(&s);
}

/* Items fill a block before the next is allocated; each is zeroed,
 * 16-byte aligned and apart from every other. */
static void test_items_fill_blocks(void **state)
{
    (void)state;
    struct hamd_slab *s = hamd_slab_new(ITEM_BYTES);
    size_t per = hamd_slab_per_block(s), n = 2 * per + 1;
    unsigned char **items = calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = hamd_slab_alloc(s);
        assert_non_null(items[i]);
        assert_int_equal((uintptr_t)items[i] % 16, 0);
        for (size_t k = 0; k < ITEM_BYTES; k++)
            assert_int_equal(items[i][k], 0);
        memset(items[i], (int)(i % 251) + 1, ITEM_BYTES); /* overlap shows */
        assert_int_equal(hamd_slab_blocks(s), i / per + 1);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ITEM_BYTES; k++)
            assert_int_equal(items[i][k], (int)(i % 251) + 1);
    assert_int_equal(hamd_slab_used(s), n);
    free(items);
    hamd_slab_destroy(&s); /* items in use freed with their blocks */
}

/* A freed item is handed out again (zeroed) before any fresh one, the
 * last freed first, and no block is added while freed items remain. */
static void test_freed_items_are_reused(void **state)
{
    (void)state;
    struct hamd_slab *s = hamd_slab_new(ITEM_BYTES);
    size_t per = hamd_slab_per_block(s);
    unsigned char **items = calloc(per, sizeof *items);
    for (size_t i = 0; i < per; i++)
        items[i] = hamd_slab_alloc(s);
    assert_int_equal(hamd_slab_blocks(s), 1); /* exactly full */
    memset(items[3], 0xab, ITEM_BYTES);
    hamd_slab_free(s, items[3]);
    hamd_slab_free(s, items[7]);
    assert_int_equal(hamd_slab_used(s), per - 2);
    unsigned char *x = hamd_slab_alloc(s), *y = hamd_slab_alloc(s);
    assert_ptr_equal(x, items[7]);
    assert_ptr_equal(y, items[3]);
    for (size_t k = 0; k < ITEM_BYTES; k++)
        assert_int_equal(y[k], 0);
    assert_int_equal(hamd_slab_blocks(s), 1);
    assert_non_null(hamd_slab_alloc(s)); /* none freed: a new block */
    assert_int_equal(hamd_slab_blocks(s), 2);
    /* Churn: freeing and taking back one item adds nothing. */
    for (int round = 0; round < 1000; round++) {
        hamd_slab_free(s, items[round % per]);
        items[round % per] = hamd_slab_alloc(s);
    }
    assert_int_equal(hamd_slab_blocks(s), 2);
    assert_int_equal(hamd_slab_used(s), per + 1);
    free(items);
    hamd_slab_destroy(&s);
}

/* By size class: an item's capacity is its size rounded up to the step,
 * items of one class come from one slab (a freed one reused for the next
 * of its class, not of another), larger items from malloc. */
static void test_size_classes(void **state)
{
    (void)state;
    struct hamd_slabs *s = hamd_slabs_new();
    assert_non_null(s);
    size_t cap_a, cap_b, cap_c, cap_big;
    unsigned char *a = hamd_slabs_alloc(s, 352, &cap_a); /* a cached tick */
    assert_int_equal(cap_a, 352);
    unsigned char *b = hamd_slabs_alloc(s, 353, &cap_b);
    assert_int_equal(cap_b, 384);
    unsigned char *c = hamd_slabs_alloc(s, 1, &cap_c);
    assert_int_equal(cap_c, HAMD_SLABS_STEP_BYTES);
    memset(a, 1, cap_a);
    memset(b, 2, cap_b);
    memset(c, 3, cap_c);
    for (size_t k = 0; k < cap_a; k++)
        assert_int_equal(a[k], 1);
    hamd_slabs_free(s, a, cap_a);
    size_t cap;
    unsigned char *again = hamd_slabs_alloc(s, 360, &cap); /* another class */
    assert_int_equal(cap, 384);
    assert_ptr_not_equal(again, a);
    unsigned char *same = hamd_slabs_alloc(s, 340, &cap); /* a's class */
    assert_int_equal(cap, 352);
    assert_ptr_equal(same, a);
    assert_int_equal(same[0], 0); /* zeroed */
    unsigned char *big = hamd_slabs_alloc(s, HAMD_SLABS_MAX_BYTES + 1,
                                          &cap_big);
    assert_non_null(big);
    assert_int_equal(cap_big, HAMD_SLABS_MAX_BYTES + 1);
    memset(big, 4, cap_big);
    hamd_slabs_free(s, big, cap_big); /* malloc'd: free()d (ASan checks) */
    hamd_slabs_free(s, NULL, 0);
    hamd_slabs_destroy(&s);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_and_limits),
        cmocka_unit_test(test_items_fill_blocks),
        cmocka_unit_test(test_freed_items_are_reused),
        cmocka_unit_test(test_size_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
