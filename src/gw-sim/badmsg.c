/* Malformed gateway messages: see badmsg.h. */
#include "gw-sim/badmsg.h"

#include <math.h>

#include "common/clock.h"
#include "common/mpwrite.h"

#define GARBAGE_KINDS 4        /* BYTES .. SINGLE_FRAME */
#define WRONG_KINDS 3          /* NEGATIVE .. DATETIME_STR */
#define BYTES_LEN_MIN 16       /* random bodies are 16..79 bytes */
#define BYTES_LEN_SPAN 64      /* lengths drawn above BYTES_LEN_MIN */
#define MSGPACK_NEVER_USED 0xc1 /* the one byte msgpack never assigns */
#define ISO_TIME_MAX 32        /* bytes of the ISO datetime string */
/* Keys of the damaged tick map, per part (they must match the put_*). */
#define IDENTITY_KEYS 4 /* symbol, exchange, vt_symbol, gateway_name */
#define TIME_KEYS 2     /* datetime, localtime */
#define PRICE_KEYS 8    /* see put_prices */

enum gwsim_bad gwsim_bad_garbage_kind(int64_t n)
{
    return (enum gwsim_bad)(GWSIM_BAD_BYTES + (n < 0 ? 0 : n % GARBAGE_KINDS));
}

enum gwsim_bad gwsim_bad_wrong_kind(int64_t n)
{
    return (enum gwsim_bad)(GWSIM_BAD_NEGATIVE + (n < 0 ? 0 : n % WRONG_KINDS));
}

const char *gwsim_bad_type_frame(enum gwsim_bad kind)
{
    return kind == GWSIM_BAD_TYPE ? GWSIM_BAD_TYPE_FRAME : "TICK";
}

int gwsim_bad_frames(enum gwsim_bad kind)
{
    return kind == GWSIM_BAD_SINGLE_FRAME ? 1 : 2;
}

/* Pseudo-random bytes seeded by n, led by a byte that is no msgpack value,
 * so the body can never decode by accident. */
static size_t encode_bytes(int64_t n, uint8_t *buf, size_t cap)
{
    uint64_t x = (uint64_t)n * 0x9e3779b97f4a7c15ULL + 1;
    size_t len = BYTES_LEN_MIN + (size_t)(x % BYTES_LEN_SPAN);
    if (len > cap)
        return 0;
    buf[0] = MSGPACK_NEVER_USED;
    for (size_t i = 1; i < len; i++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    return len;
}

/* Packs "key": double. */
static void put_double(struct hamd_mpw *w, const char *key, double v)
{
    hamd_mpw_str(w, key);
    msgpack_pack_double(&w->pk, v);
}

/* Packs "key": "value". */
static void put_str(struct hamd_mpw *w, const char *key, const char *v)
{
    hamd_mpw_str(w, key);
    hamd_mpw_str(w, v);
}

/* Packs the identity keys; NO_EXCHANGE leaves exchange and vt_symbol out. */
static void put_identity(struct hamd_mpw *w, enum gwsim_bad kind,
                         const struct hamd_tick *t)
{
    put_str(w, "symbol", t->symbol);
    if (kind != GWSIM_BAD_NO_EXCHANGE) {
        put_str(w, "exchange", t->exchange);
        put_str(w, "vt_symbol", t->vt_symbol);
    }
    put_str(w, "gateway_name", t->gateway_name);
}

/* Packs datetime (an ISO string for DATETIME_STR) and localtime. */
static void put_times(struct hamd_mpw *w, enum gwsim_bad kind,
                      const struct hamd_tick *t)
{
    hamd_mpw_str(w, "datetime");
    if (kind == GWSIM_BAD_DATETIME_STR) {
        char iso[ISO_TIME_MAX];
        hamd_format_iso_ms(t->datetime_ns, iso, sizeof iso);
        hamd_mpw_str(w, iso);
    } else {
        msgpack_pack_int64(&w->pk, t->datetime_ns);
    }
    hamd_mpw_str(w, "localtime");
    msgpack_pack_int64(&w->pk, t->localtime_ns);
}

/* Packs the prices, damaged as the kind says. */
static void put_prices(struct hamd_mpw *w, enum gwsim_bad kind,
                       const struct hamd_tick *t)
{
    double sign = kind == GWSIM_BAD_NEGATIVE ? -1.0 : 1.0;
    double last = kind == GWSIM_BAD_NAN ? NAN : sign * t->last_price;
    put_double(w, "last_price", last);
    put_double(w, "bid_price_1", sign * t->bid_price[0]);
    put_double(w, "ask_price_1", sign * t->ask_price[0]);
    put_double(w, "bid_volume_1", t->bid_volume[0]);
    put_double(w, "ask_volume_1", t->ask_volume[0]);
    put_double(w, "volume", t->volume);
    put_double(w, "turnover", t->turnover);
    put_double(w, "open_interest", t->open_interest);
}

/* A tick map of the main fields, with the kind's defect. */
static size_t encode_map(enum gwsim_bad kind, const struct hamd_tick *t,
                         void *buf, size_t cap)
{
    struct hamd_mpw w;
    hamd_mpw_init(&w, buf, cap);
    size_t keys = IDENTITY_KEYS + TIME_KEYS + PRICE_KEYS + (t->extra_len > 0);
    if (kind == GWSIM_BAD_NO_EXCHANGE)
        keys -= 2; /* exchange and vt_symbol */
    msgpack_pack_map(&w.pk, keys);
    put_identity(&w, kind, t);
    put_times(&w, kind, t);
    put_prices(&w, kind, t);
    if (t->extra_len > 0) {
        hamd_mpw_str(&w, "extra");
        hamd_mpw_raw(&w, t->extra, t->extra_len);
    }
    return hamd_mpw_finish(&w);
}

size_t gwsim_bad_encode(enum gwsim_bad kind, const struct hamd_tick *good,
                        int64_t n, void *buf, size_t cap)
{
    switch (kind) {
    case GWSIM_BAD_BYTES:
        return encode_bytes(n, buf, cap);
    case GWSIM_BAD_SINGLE_FRAME:
        return 0;
    case GWSIM_BAD_TYPE:
    case GWSIM_BAD_NAN:
    case GWSIM_BAD_NEGATIVE:
    case GWSIM_BAD_NO_EXCHANGE:
    case GWSIM_BAD_DATETIME_STR:
        return encode_map(kind, good, buf, cap);
    case GWSIM_BAD_COUNT:
        break;
    }
    return 0;
}
