/* hamd tick: the in-memory tick and its msgpack wire format.
 *
 * Wire format (docs/protocol.md): a msgpack map with string keys named as the
 * fields of vnpy's TickData, plus the hub fields `term, seq, node, hub_ns`
 * and an optional `extra` map that is carried through untouched.
 *
 *   datetime, localtime  int64 nanoseconds since the Unix epoch, UTC
 *   prices, volumes      float64 (an invalid price is 0)
 *   term, seq, node      unsigned integers; seq is per (term, vt_symbol)
 *   hub_ns               int64 epoch ns at which the hub published the tick
 *
 * The same map without hub fields is the body of a gateway TICK message
 * (docs/gateway-protocol.md). The decoder accepts integers where floats are expected
 * (msgpack encoders shrink 3.0 to 3) but rejects every other type mismatch.
 * A nil value reads as an absent field (vnpy leaves e.g. localtime None),
 * so a nil symbol, exchange or datetime is HAMD_TICK_EMISSING.
 */
#ifndef HAMD_TICK_H
#define HAMD_TICK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAMD_SYMBOL_MAX 32       /* symbol incl. NUL, e.g. "rb2601" */
#define HAMD_EXCHANGE_MAX 16     /* exchange incl. NUL, e.g. "SHFE" */
#define HAMD_VT_SYMBOL_MAX 48    /* "symbol.EXCHANGE" incl. NUL */
#define HAMD_ACCOUNT_SLUG_MAX 31 /* characters of an account id (a slug) */
#define HAMD_ACCOUNT_ID_MAX 42   /* a source id incl. NUL: an account id,
                                    or ACCOUNT@nodeN for the account as
                                    relayed from node N (common/account.h) */
#define HAMD_TICK_NAME_MAX 64    /* instrument display name incl. NUL */
#define HAMD_TICK_DEPTH 5        /* levels of book */
#define HAMD_TICK_EXTRA_MAX 256  /* bytes of the raw msgpack `extra` map */
#define HAMD_TICK_WIRE_MAX 2048  /* upper bound of one encoded tick body */

/* One market-data tick. Strings are NUL-terminated. */
struct hamd_tick {
    char symbol[HAMD_SYMBOL_MAX];           /* instrument code, "rb2601" */
    char exchange[HAMD_EXCHANGE_MAX];       /* "SHFE" */
    char vt_symbol[HAMD_VT_SYMBOL_MAX];     /* always symbol "." exchange */
    char gateway_name[HAMD_ACCOUNT_ID_MAX]; /* source account id */
    char name[HAMD_TICK_NAME_MAX];          /* display name, may be "" */

    int64_t datetime_ns;  /* exchange time, epoch ns UTC */
    int64_t localtime_ns; /* gateway receive time, epoch ns UTC */

    double volume;        /* traded today, cumulative */
    double turnover;      /* traded value today, cumulative */
    double open_interest; /* open contracts */
    double last_price;    /* price of the last trade */
    double last_volume;   /* size of the last trade */
    double limit_up;      /* upper price limit of the day */
    double limit_down;    /* lower price limit of the day */
    double open_price;    /* today's open */
    double high_price;    /* today's high */
    double low_price;     /* today's low */
    double pre_close;     /* previous day's close */
    double bid_price[HAMD_TICK_DEPTH];  /* bid_price_1 .. bid_price_5 */
    double ask_price[HAMD_TICK_DEPTH];  /* ask_price_1 .. ask_price_5 */
    double bid_volume[HAMD_TICK_DEPTH]; /* bid_volume_1 .. bid_volume_5 */
    double ask_volume[HAMD_TICK_DEPTH]; /* ask_volume_1 .. ask_volume_5 */

    /* Hub fields: set by the publishing hub, absent in gateway TICKs. */
    bool has_hub;    /* decoder: the map carried term/seq/node/hub_ns */
    uint64_t term;   /* Raft term of the publisher (fencing token) */
    uint64_t seq;    /* per (term, vt_symbol), 1, 2, 3, ... */
    uint32_t node;   /* node id of the publisher */
    int64_t hub_ns;  /* epoch ns at publication */

    /* The `extra` map, kept as its raw msgpack encoding (0 = absent). */
    size_t extra_len;                   /* bytes used in extra */
    uint8_t extra[HAMD_TICK_EXTRA_MAX]; /* the map as it came */
};

/* The hub fields apart from a tick: what a publishing hub stamps on it. */
struct hamd_tick_hub {
    uint64_t term;  /* Raft term of the publisher */
    uint64_t seq;   /* per (term, vt_symbol) */
    uint32_t node;  /* node id of the publisher */
    int64_t hub_ns; /* epoch ns at publication */
};

/* Why a tick body was rejected. HAMD_TICK_OK is 0. */
enum hamd_tick_err {
    HAMD_TICK_OK = 0,
    HAMD_TICK_EMSGPACK,   /* not a complete msgpack document, or trailing bytes */
    HAMD_TICK_ENOTMAP,    /* top level is not a map with string keys */
    HAMD_TICK_ETYPE,      /* a known field has the wrong type, a string
                             holds a NUL or is not UTF-8, or symbol /
                             exchange is not a valid code
                             (hamd_tick_code_valid) */
    HAMD_TICK_EMISSING,   /* symbol, exchange or datetime missing / empty */
    HAMD_TICK_ETOOLONG,   /* a string or the extra map does not fit */
    HAMD_TICK_EPRICE,     /* NaN, infinite or negative price or volume */
    HAMD_TICK_EVTSYMBOL,  /* vt_symbol present but not symbol.exchange */
    HAMD_TICK_EREPEATED,  /* a known key twice in the map */
};

/* Returns a short static name for an error ("bad_msgpack", ...). */
const char *hamd_tick_strerror(enum hamd_tick_err err);

/* Decodes and validates a msgpack tick body. Unknown keys are ignored
 * (forward compatibility); vt_symbol is derived when absent; a known key
 * twice is an error (EREPEATED), nil or not. has_hub is set when any hub field is present
 * (missing ones read 0). When several things are wrong, broken bytes win
 * (EMSGPACK), then the first bad field in map order, then missing fields,
 * then vt_symbol. Allocates nothing. On success fills *out and returns
 * HAMD_TICK_OK; on failure *out is unspecified. */
enum hamd_tick_err hamd_tick_decode(const void *buf, size_t len,
                                    struct hamd_tick *out);

/* Encodes a tick into buf (capacity cap). with_hub adds term, seq, node,
 * hub_ns; `extra` is written only when extra_len > 0 and must hold one
 * msgpack map. vt_symbol is always written as symbol "." exchange. Prices
 * and volumes are always float64. Allocates nothing. Returns the number of
 * bytes written, or 0 if cap is too small (HAMD_TICK_WIRE_MAX always fits). */
size_t hamd_tick_encode(const struct hamd_tick *tick, bool with_hub,
                        void *buf, size_t cap);

/* True when s[0..len) is a valid symbol or exchange code: not empty, and
 * no '.', whitespace or control characters (the topic is symbol.EXCHANGE,
 * split at its last '.'). */
bool hamd_tick_code_valid(const char *s, size_t len);

/* True when s[0..len) is a valid vt_symbol: "symbol.EXCHANGE", split at
 * the last '.', both parts valid codes, shorter than HAMD_VT_SYMBOL_MAX. */
bool hamd_tick_vt_symbol_valid(const char *s, size_t len);

/* Looks up an integer key of the extra map. Returns true and sets *out
 * when the key exists and holds an integer. */
bool hamd_tick_extra_int(const struct hamd_tick *tick, const char *key,
                         int64_t *out);

/* Replaces the extra map by a map of one integer entry {key: value}.
 * Returns false if it does not fit. (Used by gateways such as the sim.) */
bool hamd_tick_extra_set_int(struct hamd_tick *tick, const char *key,
                             int64_t value);

/* Ordering used by the newer-than-last guard (docs/failover.md): exchange time,
 * then volume. Returns <0, 0, >0 like strcmp. */
int hamd_tick_cmp_age(int64_t a_datetime_ns, double a_volume,
                      int64_t b_datetime_ns, double b_volume);

#endif /* HAMD_TICK_H */
