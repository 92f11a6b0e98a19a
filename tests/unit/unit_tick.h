/* A tick with every field set, shared by the tick codec tests (test_tick.c,
 * test_tick_compact.c). Include after <cmocka.h>. */
#ifndef HAMD_UNIT_TICK_H
#define HAMD_UNIT_TICK_H

#include <stdio.h>
#include <string.h>

#include "hamd/tick.h"

#define UNIT_TICK_DT 1750000000123456789LL /* its exchange time, epoch ns */

/* Fills t with a plausible SHFE tick: every field set, hub fields and an
 * extra map included. */
static inline void unit_tick_fill(struct hamd_tick *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->symbol, "rb2601");
    strcpy(t->exchange, "SHFE");
    strcpy(t->vt_symbol, "rb2601.SHFE");
    strcpy(t->gateway_name, "ctp_main");
    strcpy(t->name, "rebar 2601");
    t->datetime_ns = UNIT_TICK_DT;
    t->localtime_ns = UNIT_TICK_DT + 1500000;
    t->volume = 123456;
    t->turnover = 9.87654321e9;
    t->open_interest = 456789;
    t->last_price = 3501.2;
    t->last_volume = 7;
    t->limit_up = 3800;
    t->limit_down = 3200.25;
    t->open_price = 3490;
    t->high_price = 3520.5;
    t->low_price = 3480.75;
    t->pre_close = 3495;
    for (int i = 0; i < HAMD_TICK_DEPTH; i++) {
        t->bid_price[i] = 3501 - i;
        t->ask_price[i] = 3502 + i + 0.5;
        t->bid_volume[i] = 10 + i;
        t->ask_volume[i] = 20 + 2 * i;
    }
    t->has_hub = true;
    t->term = 7;
    t->seq = 1ull << 40;
    t->node = 3;
    t->hub_ns = UNIT_TICK_DT + 2000000;
    assert_true(hamd_tick_extra_set_int(t, "sim_seq", 987654321));
}

/* Makes every string of t as long as it may be and gives it an extra map
 * of more than 200 bytes: the largest tick there is. */
static inline void unit_tick_fill_largest(struct hamd_tick *t)
{
    unit_tick_fill(t);
    memset(t->symbol, 's', sizeof t->symbol - 1);
    memset(t->exchange, 'E', sizeof t->exchange - 1);
    snprintf(t->vt_symbol, sizeof t->vt_symbol, "%s.%s", t->symbol,
             t->exchange);
    memset(t->gateway_name, 'g', sizeof t->gateway_name - 1);
    memset(t->name, 'n', sizeof t->name - 1);
    char key[HAMD_TICK_EXTRA_MAX - 16];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_true(hamd_tick_extra_set_int(t, key, INT64_MIN));
}

#endif /* HAMD_UNIT_TICK_H */
