/* Tick wire codec (docs/protocol.md). Decoding walks the bytes with the
 * allocation-free reader of mpread.h, or checks them against the encoder's
 * own layout (the fast path); encoding writes msgpack straight into the
 * caller's buffer; a body in that layout is published by splicing the hub
 * fields into it (tick_splice.h). All run once per tick on the hot path,
 * so none allocates. */
#include "hamd/tick.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "common/mpread.h"
#include "common/mpwrite.h"
#include "common/tick_peek.h"
#include "common/tick_splice.h"
#include "common/utf8.h"

/* How a field's value is typed, checked and stored. */
enum tick_kind {
    TK_STR,   /* string into a char array of `size` bytes */
    TK_TIME,  /* int64 epoch ns; must be an integer */
    TK_NUM,   /* price or volume: finite, >= 0; ints accepted */
    TK_U64,   /* non-negative integer */
    TK_U32,   /* non-negative integer below 2^32 */
    TK_EXTRA, /* the extra map, kept as raw bytes */
};

/* One known key of the tick map. */
struct tick_field {
    const char *name;    /* wire key */
    size_t name_len;     /* strlen(name) */
    enum tick_kind kind; /* value type */
    bool hub;            /* hub field: encoded only with_hub */
    size_t offset;       /* where in struct hamd_tick */
    size_t size;         /* TK_STR: capacity incl. NUL */
};

/* Longest key encoding kept for the encoder: fixstr header + name. */
#define TICK_KEY_WIRE_MAX 16

/* KEY_FITS(name) is 0, and fails to compile (negative array size) when the
 * key would not fit TICK_KEY_WIRE_MAX. */
#define KEY_FITS(name) (0 * sizeof(char[sizeof(name) <= TICK_KEY_WIRE_MAX ? 1 : -1]))
#define TF(name, kind, hub, member, size) \
    {name, sizeof(name) - 1 + KEY_FITS(name), kind, hub, \
     offsetof(struct hamd_tick, member), size}
#define TF_STR(f) TF(#f, TK_STR, false, f, sizeof(((struct hamd_tick *)0)->f))
#define TF_NUM(f) TF(#f, TK_NUM, false, f, 0)
#define TF_LEVEL(arr, n) TF(#arr "_" #n, TK_NUM, false, arr[(n) - 1], 0)
#define TF_LEVELS(arr) TF_LEVEL(arr, 1), TF_LEVEL(arr, 2), TF_LEVEL(arr, 3), \
                       TF_LEVEL(arr, 4), TF_LEVEL(arr, 5)

/* Every known key, in encoding order. Order matters only for readability
 * of dumps; the field's index doubles as its bit in the `seen` mask. */
static const struct tick_field TICK_FIELDS[] = {
    TF_STR(symbol),
    TF_STR(exchange),
    TF_STR(vt_symbol),
    TF_STR(gateway_name),
    TF_STR(name),
    TF("datetime", TK_TIME, false, datetime_ns, 0),
    TF("localtime", TK_TIME, false, localtime_ns, 0),
    TF_NUM(volume),
    TF_NUM(turnover),
    TF_NUM(open_interest),
    TF_NUM(last_price),
    TF_NUM(last_volume),
    TF_NUM(limit_up),
    TF_NUM(limit_down),
    TF_NUM(open_price),
    TF_NUM(high_price),
    TF_NUM(low_price),
    TF_NUM(pre_close),
    TF_LEVELS(bid_price),
    TF_LEVELS(ask_price),
    TF_LEVELS(bid_volume),
    TF_LEVELS(ask_volume),
    TF("term", TK_U64, true, term, 0),
    TF("seq", TK_U64, true, seq, 0),
    TF("node", TK_U32, true, node, 0),
    TF("hub_ns", TK_TIME, true, hub_ns, 0),
    TF("extra", TK_EXTRA, false, extra, 0),
};

#define TICK_NFIELDS (sizeof TICK_FIELDS / sizeof TICK_FIELDS[0])

/* Indices used by the post-map checks and the splice. */
enum {
    TI_SYMBOL = 0,
    TI_EXCHANGE = 1,
    TI_VT_SYMBOL = 2,
    TI_GATEWAY_NAME = 3,
    TI_DATETIME = 5,
    TI_VOLUME = 7, /* the first number (tick_num_first, checked) */
};

/* Bytes of one value as the encoder writes it, at most: 0xcb/0xcf/0xd3 +
 * 8 bytes. */
#define TICK_VALUE_MAX 9

/* Key -> field index: open addressing over a power-of-two table, filled
 * once. 128 slots for ~40 keys keeps probe chains short. */
#define TICK_SLOTS 128
static int8_t tick_slot[TICK_SLOTS];
static uint64_t tick_hub_bits; /* `seen` bits of the hub fields */
static size_t tick_n_hub;      /* number of hub fields */

/* Each key's msgpack encoding (fixstr header + name), so the encoder
 * copies a key in one write. */
static uint8_t tick_key_wire[TICK_NFIELDS][TICK_KEY_WIRE_MAX];

/* The same as two little words and the masks of its length, so the fast
 * decoder compares a key in two loads (tick_key_at). */
static uint64_t tick_key_word[TICK_NFIELDS][2];
static uint64_t tick_key_mask[TICK_NFIELDS][2];

/* The prices and volumes, TICK_FIELDS[tick_num_first..tick_num_end), as
 * the encoder writes them: one run of bytes (each key, 0xcb, the 8 bytes
 * of the value) whose every byte but the values' is known. The fast
 * decoder compares a body with it a word at a time (tick_num_run_at):
 * the run's words with the values' bytes zero, and the masks of the
 * known bytes; the run's last 8 bytes the same way for its last part
 * word. ~650 bytes for the 31 numbers of a tick. */
#define TICK_NUM_RUN_MAX \
    ((TICK_NFIELDS * (TICK_KEY_WIRE_MAX + TICK_VALUE_MAX) + 7) / 8 * 8)
static size_t tick_num_first;                       /* first number */
static size_t tick_num_end;                         /* one past the last */
static size_t tick_num_len;                         /* bytes of the run */
static uint64_t tick_num_word[TICK_NUM_RUN_MAX / 8]; /* known bytes */
static uint64_t tick_num_mask[TICK_NUM_RUN_MAX / 8]; /* which are known */
static uint64_t tick_num_tail_word;                 /* last 8 bytes ... */
static uint64_t tick_num_tail_mask;                 /* ... and their mask */
static uint16_t tick_num_at[TICK_NFIELDS];          /* a value's 8 bytes,
                                                       from the run's start */
static uint16_t tick_num_off[TICK_NFIELDS];         /* its offset in struct
                                                       hamd_tick */
/* TICK_FIELDS has the shape the fast decoder walks: strings and times,
 * then the numbers, then only optional fields (hub fields, extra). */
static bool tick_fast_shape;
static pthread_once_t tick_tables_once = PTHREAD_ONCE_INIT;

_Static_assert(TICK_NFIELDS < 64, "the seen mask is a uint64_t");

/* ------------------------------------------------------------------------
 * Key lookup
 * ------------------------------------------------------------------------ */

/* Hash of a key from its length and three bytes (first, middle, last):
 * these tell all known keys apart well (bid_price_1 vs ask_volume_5), and
 * cost a few independent multiplies where a byte-serial hash over ~40
 * keys per tick was the decoder's main cost. Unknown keys that collide
 * only lengthen a probe; the final memcmp decides. */
static uint32_t tick_key_hash(const char *key, size_t len)
{
    if (len == 0)
        return 0;
    const uint8_t *k = (const uint8_t *)key;
    uint32_t h = ((uint32_t)len * 0x9E3779B1u) ^ (k[0] * 0x85EBCA6Bu) ^
                 (k[len - 1] * 0xC2B2AE35u) ^ (k[len / 2] * 0x27D4EB2Fu);
    return h ^ (h >> 15);
}

/* Fills the tick_num_* template of the run of prices and volumes, and
 * tick_fast_shape (tick_tables_build, after the keys' wire forms). */
static void tick_num_run_build(void)
{
    size_t i = 0;
    while (i < TICK_NFIELDS && (TICK_FIELDS[i].kind == TK_STR ||
                                TICK_FIELDS[i].kind == TK_TIME))
        i++;
    tick_num_first = i;
    uint8_t run[TICK_NUM_RUN_MAX] = {0}, known[TICK_NUM_RUN_MAX] = {0};
    size_t at = 0;
    for (; i < TICK_NFIELDS && TICK_FIELDS[i].kind == TK_NUM; i++) {
        size_t k = 1 + TICK_FIELDS[i].name_len;
        memcpy(run + at, tick_key_wire[i], k);
        run[at + k] = 0xcb; /* float64 */
        memset(known + at, 0xff, k + 1);
        tick_num_at[i] = (uint16_t)(at + k + 1);
        tick_num_off[i] = (uint16_t)TICK_FIELDS[i].offset;
        at += k + TICK_VALUE_MAX;
    }
    tick_num_end = i;
    tick_num_len = at;
    memcpy(tick_num_word, run, sizeof run);
    memcpy(tick_num_mask, known, sizeof known);
    tick_fast_shape = tick_num_len >= 8 && tick_num_first == TI_VOLUME;
    if (tick_fast_shape) {
        memcpy(&tick_num_tail_word, run + at - 8, 8);
        memcpy(&tick_num_tail_mask, known + at - 8, 8);
    }
    for (; i < TICK_NFIELDS; i++)
        if (!TICK_FIELDS[i].hub && TICK_FIELDS[i].kind != TK_EXTRA)
            tick_fast_shape = false;
}

/* Fills the lookup tables from TICK_FIELDS (run once). */
static void tick_tables_build(void)
{
    memset(tick_slot, -1, sizeof tick_slot);
    for (size_t i = 0; i < TICK_NFIELDS; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (f->hub) {
            tick_hub_bits |= 1ull << i;
            tick_n_hub++;
        }
        tick_key_wire[i][0] = (uint8_t)(0xa0 | f->name_len); /* fixstr */
        memcpy(&tick_key_wire[i][1], f->name, f->name_len);
        uint8_t mask[TICK_KEY_WIRE_MAX] = {0};
        memset(mask, 0xff, 1 + f->name_len);
        memcpy(tick_key_word[i], tick_key_wire[i], TICK_KEY_WIRE_MAX);
        memcpy(tick_key_mask[i], mask, TICK_KEY_WIRE_MAX);
        uint32_t s = tick_key_hash(f->name, f->name_len) & (TICK_SLOTS - 1);
        while (tick_slot[s] >= 0)
            s = (s + 1) & (TICK_SLOTS - 1);
        tick_slot[s] = (int8_t)i;
    }
    tick_num_run_build();
}

/* Returns the field index of a key, or -1 when the key is unknown. */
static int tick_field_find(const char *key, size_t len)
{
    uint32_t s = tick_key_hash(key, len) & (TICK_SLOTS - 1);
    while (tick_slot[s] >= 0) {
        const struct tick_field *f = &TICK_FIELDS[tick_slot[s]];
        if (f->name_len == len && memcmp(f->name, key, len) == 0)
            return tick_slot[s];
        s = (s + 1) & (TICK_SLOTS - 1);
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

const char *hamd_tick_strerror(enum hamd_tick_err err)
{
    switch (err) {
    case HAMD_TICK_OK: return "ok";
    case HAMD_TICK_EMSGPACK: return "bad_msgpack";
    case HAMD_TICK_ENOTMAP: return "not_map";
    case HAMD_TICK_ETYPE: return "bad_type";
    case HAMD_TICK_EMISSING: return "missing_field";
    case HAMD_TICK_ETOOLONG: return "too_long";
    case HAMD_TICK_EPRICE: return "bad_price";
    case HAMD_TICK_EVTSYMBOL: return "bad_vt_symbol";
    case HAMD_TICK_EREPEATED: return "repeated_key";
    }
    return "unknown";
}

bool hamd_tick_code_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c <= ' ' || c == 0x7f || c == '.')
            return false;
    }
    return true;
}

bool hamd_tick_vt_symbol_valid(const char *s, size_t len)
{
    if (len >= HAMD_VT_SYMBOL_MAX)
        return false;
    const char *dot = memrchr(s, '.', len);
    if (dot == NULL)
        return false;
    size_t ls = (size_t)(dot - s), le = len - ls - 1;
    return ls < HAMD_SYMBOL_MAX && le < HAMD_EXCHANGE_MAX &&
           hamd_tick_code_valid(s, ls) && hamd_tick_code_valid(dot + 1, le);
}

/* ------------------------------------------------------------------------
 * Decoder
 * ------------------------------------------------------------------------ */

/* Stores a string value; it must fit with its NUL, hold no NUL and be
 * UTF-8 (utf8.h: what clients' msgpack decoders expect of a str). */
static enum hamd_tick_err tick_set_str(const struct tick_field *f,
                                       const struct hamd_mpr_val *v, char *dst)
{
    if (v->kind != HAMD_MPR_STR)
        return HAMD_TICK_ETYPE;
    if (v->v.s.len >= f->size)
        return HAMD_TICK_ETOOLONG;
    if (memchr(v->v.s.ptr, '\0', v->v.s.len) != NULL ||
        !hamd_utf8_valid(v->v.s.ptr, v->v.s.len))
        return HAMD_TICK_ETYPE;
    memcpy(dst, v->v.s.ptr, v->v.s.len);
    dst[v->v.s.len] = '\0';
    return HAMD_TICK_OK;
}

/* Stores a price or volume: any number, but finite and not negative. */
static enum hamd_tick_err tick_set_num(const struct hamd_mpr_val *v,
                                       double *dst)
{
    double x;
    if (v->kind == HAMD_MPR_FLOAT)
        x = v->v.f;
    else if (v->kind == HAMD_MPR_UINT)
        x = (double)v->v.u;
    else if (v->kind == HAMD_MPR_INT)
        return HAMD_TICK_EPRICE;
    else
        return HAMD_TICK_ETYPE;
    if (!isfinite(x) || x < 0)
        return HAMD_TICK_EPRICE;
    *dst = x;
    return HAMD_TICK_OK;
}

/* Stores a scalar (non-container) value into its field. */
static enum hamd_tick_err tick_set(const struct tick_field *f,
                                   const struct hamd_mpr_val *v,
                                   struct hamd_tick *out)
{
    char *dst = (char *)out + f->offset;
    switch (f->kind) {
    case TK_STR:
        return tick_set_str(f, v, dst);
    case TK_NUM:
        return tick_set_num(v, (double *)(void *)dst);
    case TK_TIME:
        if (v->kind == HAMD_MPR_INT)
            *(int64_t *)(void *)dst = v->v.i;
        else if (v->kind == HAMD_MPR_UINT && v->v.u <= (uint64_t)INT64_MAX)
            *(int64_t *)(void *)dst = (int64_t)v->v.u;
        else
            return HAMD_TICK_ETYPE;
        return HAMD_TICK_OK;
    case TK_U64:
        if (v->kind != HAMD_MPR_UINT)
            return HAMD_TICK_ETYPE;
        *(uint64_t *)(void *)dst = v->v.u;
        return HAMD_TICK_OK;
    case TK_U32:
        if (v->kind != HAMD_MPR_UINT || v->v.u > UINT32_MAX)
            return HAMD_TICK_ETYPE;
        *(uint32_t *)(void *)dst = (uint32_t)v->v.u;
        return HAMD_TICK_OK;
    case TK_EXTRA:
        break; /* a map is handled by the caller; anything else is wrong */
    }
    return HAMD_TICK_ETYPE;
}

/* Decodes the value of a known key at the cursor. Returns EMSGPACK only for
 * broken bytes (the caller stops); any other error leaves the cursor after
 * the value so the caller can keep checking the structure. */
static enum hamd_tick_err tick_field_decode(struct hamd_mpr *r, int idx,
                                            struct hamd_tick *out,
                                            uint64_t *seen)
{
    const struct tick_field *f = &TICK_FIELDS[idx];
    const uint8_t *start = r->p;
    struct hamd_mpr_val v;
    if (!hamd_mpr_read(r, &v))
        return HAMD_TICK_EMSGPACK;
    if (v.kind == HAMD_MPR_NIL)
        return HAMD_TICK_OK; /* nil reads as absent (Python None) */
    if (v.kind == HAMD_MPR_ARRAY || v.kind == HAMD_MPR_MAP) {
        r->p = start;
        if (!hamd_mpr_skip(r))
            return HAMD_TICK_EMSGPACK;
        if (f->kind != TK_EXTRA || v.kind != HAMD_MPR_MAP)
            return HAMD_TICK_ETYPE;
        size_t n = (size_t)(r->p - start);
        if (n > HAMD_TICK_EXTRA_MAX)
            return HAMD_TICK_ETOOLONG;
        memcpy(out->extra, start, n);
        out->extra_len = n;
        *seen |= 1ull << idx;
        return HAMD_TICK_OK;
    }
    enum hamd_tick_err err = tick_set(f, &v, out);
    if (err == HAMD_TICK_OK)
        *seen |= 1ull << idx;
    return err;
}

/* Decodes one key/value pair. Returns EMSGPACK for broken bytes, else the
 * pair's own verdict (unknown keys are fine and skipped). */
static enum hamd_tick_err tick_pair_decode(struct hamd_mpr *r,
                                           struct hamd_tick *out,
                                           uint64_t *seen, uint64_t *keys)
{
    const uint8_t *start = r->p;
    struct hamd_mpr_val key;
    if (!hamd_mpr_read(r, &key))
        return HAMD_TICK_EMSGPACK;
    if (key.kind != HAMD_MPR_STR) {
        r->p = start;
        if (!hamd_mpr_skip(r) || !hamd_mpr_skip(r))
            return HAMD_TICK_EMSGPACK;
        return HAMD_TICK_ENOTMAP;
    }
    int idx = tick_field_find(key.v.s.ptr, key.v.s.len);
    if (idx < 0)
        return hamd_mpr_skip(r) ? HAMD_TICK_OK : HAMD_TICK_EMSGPACK;
    /* Which of two values would a reader take? Neither: a peek reads the
     * first (tick_peek.h), msgpack decoders of clients the last. */
    if (*keys & (1ull << idx))
        return hamd_mpr_skip(r) ? HAMD_TICK_EREPEATED : HAMD_TICK_EMSGPACK;
    *keys |= 1ull << idx;
    return tick_field_decode(r, idx, out, seen);
}

/* Cross-field checks once the whole map is read; ls, le, lv: the lengths
 * of symbol, exchange and vt_symbol. */
static enum hamd_tick_err tick_check(struct hamd_tick *t, uint64_t seen,
                                     size_t ls, size_t le, size_t lv)
{
    if (ls == 0 || le == 0 || !(seen & (1ull << TI_DATETIME)))
        return HAMD_TICK_EMISSING;
    if (!hamd_tick_code_valid(t->symbol, ls) ||
        !hamd_tick_code_valid(t->exchange, le))
        return HAMD_TICK_ETYPE;
    if (seen & (1ull << TI_VT_SYMBOL))
        return lv == ls + 1 + le && t->vt_symbol[ls] == '.' &&
                       memcmp(t->vt_symbol, t->symbol, ls) == 0 &&
                       memcmp(t->vt_symbol + ls + 1, t->exchange, le) == 0
                   ? HAMD_TICK_OK
                   : HAMD_TICK_EVTSYMBOL;
    memcpy(t->vt_symbol, t->symbol, ls);
    t->vt_symbol[ls] = '.';
    memcpy(t->vt_symbol + ls + 1, t->exchange, le + 1);
    return HAMD_TICK_OK;
}

/* Classifies a body whose top level is not a map. */
static enum hamd_tick_err tick_not_map(const void *buf, size_t len)
{
    struct hamd_mpr r;
    hamd_mpr_init(&r, buf, len);
    if (!hamd_mpr_skip(&r) || !hamd_mpr_done(&r))
        return HAMD_TICK_EMSGPACK;
    return HAMD_TICK_ENOTMAP;
}

/* ------------------------------------------------------------------------
 * Decoder, fast path: the hub's own encoding
 *
 * Gateways built on hamd's codec (hamd-gw-sim, hamd-gw-replay) or laid
 * out like it (hamd-gw-vnpy) send what hamd_tick_encode writes, and a
 * client (libhamd-client) and a follower read what the hub wrote: every
 * key in TICK_FIELDS order, pre-encoded, strings and integers in their
 * shortest form, prices and volumes as float64. This path checks that
 * layout rather than parsing it: the 31 prices and volumes with their
 * keys are one run of bytes, compared with a template 16 bytes at a time
 * (tick_num_run_at), each value then one load; strings are checked a word
 * at a time. About 1,900 instructions for a gateway's tick, where the
 * generic decoder takes 9,200 (callgrind). At the first thing it does not
 * expect (another order, an unknown or a repeated key, another form of a
 * value, a nil, any error) it gives up and the generic decoder reads the
 * body from the start, so every answer and error stays the generic one. A
 * string that is not ASCII is judged by the generic rules of a string
 * value (tick_set_str) without leaving the path.
 *
 * A body it takes without hub fields is byte for byte what the encoder
 * writes for the tick it decoded: the hub publishes it with its own
 * fields spliced in (hamd_tick_splice) instead of encoding it again.
 * ------------------------------------------------------------------------ */

static uint8_t *tick_value_put(uint8_t *p, const struct tick_field *f,
                               const struct hamd_tick *t);

/* True when the key at the cursor is field idx's. */
static inline bool tick_key_at(const struct hamd_mpr *r, size_t idx)
{
    size_t left = (size_t)(r->end - r->p);
    if (left < TICK_KEY_WIRE_MAX) {
        size_t k = 1 + TICK_FIELDS[idx].name_len;
        return left >= k && memcmp(r->p, tick_key_wire[idx], k) == 0;
    }
    uint64_t w[2];
    memcpy(w, r->p, sizeof w);
    return (w[0] & tick_key_mask[idx][0]) == tick_key_word[idx][0] &&
           (w[1] & tick_key_mask[idx][1]) == tick_key_word[idx][1];
}

#define TICK_ONES 0x0101010101010101ull  /* 0x01 in every byte */
#define TICK_HIGHS 0x8080808080808080ull /* 0x80 in every byte */
#define TICK_STR_WORDS 4                 /* a fixstr's bytes in words */

/* Copies n ASCII bytes from s to dst with a NUL after them, a word at a
 * time. s has TICK_STR_WORDS words readable, dst 8 * (n / 8 + 1) bytes.
 * False when a byte is NUL or not ASCII. A byte b is either exactly when
 * b or b - 1 has its high bit set; subtracting 0x01 from every byte at
 * once, a borrow leaves only a NUL and flows into the bytes above it, so
 * it may flag a byte above a bad one, never one below: "some byte
 * flagged" is "some byte bad". */
static bool tick_ascii_words(const uint8_t *s, size_t n, char *dst)
{
    uint64_t bad = 0;
    for (size_t w = 0; w <= n / 8; w++) {
        uint64_t x, left = n - 8 * w;
        memcpy(&x, s + 8 * w, sizeof x);
        uint64_t mask = left >= 8 ? ~0ull : (1ull << (8 * left)) - 1;
        bad |= ((x - TICK_ONES) | x) & TICK_HIGHS & mask;
        x &= mask; /* the bytes past n: the NUL and zeros */
        memcpy(dst + 8 * w, &x, sizeof x);
    }
    return bad == 0;
}

/* The same a byte at a time, for any n: dst has n + 1 bytes. */
static bool tick_ascii_bytes(const uint8_t *s, size_t n, char *dst)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)s[i] - 1u >= 0x7fu) /* NUL, or not ASCII */
            return false;
        dst[i] = (char)s[i];
    }
    dst[n] = '\0';
    return true;
}

/* A string as the encoder writes it (fixstr, str8 from 32 bytes) into
 * field f. ASCII without NUL is checked here, a word at a time; any other
 * text (a CTP instrument's Chinese name) by the generic decoder's rules
 * for a string value (tick_set_str), and the body stays on this path. */
static bool tick_fast_str(struct hamd_mpr *r, const struct tick_field *f,
                          char *dst, size_t *len)
{
    size_t left = (size_t)(r->end - r->p), head, n;
    if (left == 0)
        return false;
    if ((r->p[0] & 0xe0) == 0xa0) {
        head = 1;
        n = r->p[0] & 0x1f;
    } else if (r->p[0] == 0xd9 && left >= 2 && r->p[1] >= 32) {
        head = 2;
        n = r->p[1];
    } else {
        return false;
    }
    if (n >= f->size || left < head + n)
        return false;
    const uint8_t *s = r->p + head;
    r->p += head + n;
    *len = n;
    bool words = false;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    words = n < 8 * TICK_STR_WORDS && left >= head + 8 * TICK_STR_WORDS &&
            8 * (n / 8 + 1) <= f->size;
#endif
    if (words ? tick_ascii_words(s, n, dst) : tick_ascii_bytes(s, n, dst))
        return true;
    struct hamd_mpr_val v = {.kind = HAMD_MPR_STR};
    v.v.s.ptr = (const char *)s;
    v.v.s.len = (uint32_t)n;
    return tick_set_str(f, &v, dst) == HAMD_TICK_OK;
}

/* Reads n (1, 2, 4 or 8) big-endian bytes at p. */
static uint64_t tick_be(const uint8_t *p, size_t n)
{
    uint64_t u = 0;
    if (n == 8) {
        memcpy(&u, p, sizeof u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        u = __builtin_bswap64(u);
#endif
        return u;
    }
    for (size_t i = 0; i < n; i++)
        u = u << 8 | p[i];
    return u;
}

/* Integer forms by their size, 1, 2, 4, 8 bytes: the smallest value that
 * needs each unsigned form (0xcc-0xcf), the largest that needs each
 * signed one (0xd0-0xd3), of the values the encoder writes so. */
static const uint64_t tick_uint_floor[4] = {0x80, 0x100, 0x10000,
                                            0x100000000};
static const int64_t tick_int_ceil[4] = {-33, INT8_MIN - 1, INT16_MIN - 1,
                                         (int64_t)INT32_MIN - 1};

/* An integer field (a time, term, seq, node) in the form the encoder
 * writes for its value, the shortest: put_int, put_uint. */
static bool tick_fast_int(struct hamd_mpr *r, const struct tick_field *f,
                          struct hamd_tick *out)
{
    size_t left = (size_t)(r->end - r->p), n = 0;
    uint8_t b = left > 0 ? r->p[0] : 0xc1; /* 0xc1: never msgpack */
    struct hamd_mpr_val v;
    if (b < 0x80) { /* positive fixint */
        v.kind = HAMD_MPR_UINT;
        v.v.u = b;
    } else if (b >= 0xe0) { /* negative fixint */
        v.kind = HAMD_MPR_INT;
        v.v.i = (int8_t)b;
    } else if (b >= 0xcc && b <= 0xcf) {
        n = (size_t)1 << (b - 0xcc);
        if (left < 1 + n)
            return false;
        v.kind = HAMD_MPR_UINT;
        v.v.u = tick_be(r->p + 1, n);
        if (v.v.u < tick_uint_floor[b - 0xcc])
            return false;
    } else if (b >= 0xd0 && b <= 0xd3) {
        n = (size_t)1 << (b - 0xd0);
        if (left < 1 + n)
            return false;
        uint64_t u = tick_be(r->p + 1, n);
        unsigned shift = (unsigned)(64 - 8 * n);
        v.kind = HAMD_MPR_INT;
        v.v.i = (int64_t)(u << shift) >> shift; /* sign-extended */
        if (v.v.i > tick_int_ceil[b - 0xd0])
            return false;
    } else {
        return false;
    }
    r->p += 1 + n;
    return tick_set(f, &v, out) == HAMD_TICK_OK;
}

/* True when p[0..tick_num_len) holds the keys and float64 headers of the
 * run of prices and volumes (the values are not looked at): 32 bytes at a
 * time, as two vectors of two words where the compiler has them, then
 * what is left a word at a time and the run's last 8 bytes. */
typedef uint64_t tick_v2 __attribute__((vector_size(16)));
static bool tick_num_run_at(const uint8_t *p)
{
    size_t words = tick_num_len / 32 * 4, w;
    tick_v2 d = {0, 0}, e = {0, 0}, x, y, m, n, k, l;
    for (w = 0; w < words; w += 4) {
        memcpy(&x, p + 8 * w, sizeof x);
        memcpy(&y, p + 8 * w + 16, sizeof y);
        memcpy(&m, &tick_num_mask[w], sizeof m);
        memcpy(&n, &tick_num_mask[w + 2], sizeof n);
        memcpy(&k, &tick_num_word[w], sizeof k);
        memcpy(&l, &tick_num_word[w + 2], sizeof l);
        d |= (x & m) ^ k;
        e |= (y & n) ^ l;
    }
    d |= e;
    uint64_t z, rest = d[0] | d[1];
    for (; 8 * w + 8 <= tick_num_len; w++) {
        memcpy(&z, p + 8 * w, sizeof z);
        rest |= (z & tick_num_mask[w]) ^ tick_num_word[w];
    }
    memcpy(&z, p + tick_num_len - 8, sizeof z);
    rest |= (z & tick_num_tail_mask) ^ tick_num_tail_word;
    return rest == 0;
}

/* Stores the prices and volumes of the run at p. False when one is
 * negative, infinite or NaN: its sign and exponent bits, as a number,
 * from 0x7ff (a -0.0 too, which the generic decoder takes). */
static bool tick_num_run_take(const uint8_t *p, struct hamd_tick *out)
{
    uint64_t top = 0;
    for (size_t i = tick_num_first; i < tick_num_end; i++) {
        uint64_t bits;
        memcpy(&bits, p + tick_num_at[i], sizeof bits);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        bits = __builtin_bswap64(bits); /* msgpack is big-endian */
#endif
        top = bits > top ? bits : top;
        memcpy((char *)out + tick_num_off[i], &bits, sizeof bits);
    }
    return top < 0x7ff0000000000000ull;
}

/* What the fast path saw of a body besides the tick. */
struct tick_shape {
    bool hub;        /* it held a hub field */
    size_t len[TI_DATETIME]; /* the lengths of the strings before
                                datetime, by field */
    size_t name_at;  /* gateway_name's value, from the body's start */
    size_t name_end; /* one past it */
    size_t hub_at;   /* the first key after the numbers, or the end */
};

/* The strings and times, in order, each present: the fields before the
 * numbers. */
static bool tick_fast_head(struct hamd_mpr *r, const uint8_t *body,
                           struct hamd_tick *out, struct tick_shape *sh)
{
    for (size_t i = 0; i < tick_num_first; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (!tick_key_at(r, i))
            return false;
        r->p += 1 + f->name_len;
        if (f->kind != TK_STR) {
            if (!tick_fast_int(r, f, out))
                return false;
            continue;
        }
        const uint8_t *at = r->p;
        size_t len;
        if (!tick_fast_str(r, f, (char *)out + f->offset, &len))
            return false;
        if (i < TI_DATETIME)
            sh->len[i] = len;
        if (i == TI_GATEWAY_NAME) {
            sh->name_at = (size_t)(at - body);
            sh->name_end = (size_t)(r->p - body);
        }
    }
    return true;
}

/* Bytes of the value at p (left bytes there) when its first byte tells
 * them: nil, bools, integers, floats, a fixstr. 0 for anything else (a
 * container, a longer string, bin, ext) or when it does not fit. */
static size_t tick_scalar_size(const uint8_t *p, size_t left)
{
    uint8_t b = p[0];
    size_t n;
    if (b < 0x80 || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        n = 1;
    else if ((b & 0xe0) == 0xa0)
        n = 1 + (b & 0x1f);
    else if (b >= 0xcc && b <= 0xcf)
        n = 1 + ((size_t)1 << (b - 0xcc));
    else if (b >= 0xd0 && b <= 0xd3)
        n = 1 + ((size_t)1 << (b - 0xd0));
    else if (b == 0xca || b == 0xcb)
        n = b == 0xca ? 5 : 9;
    else
        return 0;
    return n <= left ? n : 0;
}

/* The extra map when it is a fixmap of such values (a gateway's counters,
 * hamd-gw-sim's {sim_seq: n}), kept raw as tick_field_decode keeps it,
 * without its generic walk. False for any other map: tick_field_decode
 * reads it. */
static bool tick_fast_extra(struct hamd_mpr *r, struct hamd_tick *out)
{
    const uint8_t *p = r->p;
    size_t left = (size_t)(r->end - p), at = 1;
    if (left == 0 || (p[0] & 0xf0) != 0x80)
        return false;
    for (unsigned k = 2u * (p[0] & 0x0f); k > 0; k--) {
        size_t n = at < left ? tick_scalar_size(p + at, left - at) : 0;
        if (n == 0)
            return false;
        at += n;
    }
    if (at > HAMD_TICK_EXTRA_MAX)
        return false;
    memcpy(out->extra, p, at);
    out->extra_len = at;
    r->p += at;
    return true;
}

/* The optional fields after the numbers (hub fields, extra), each at most
 * once and in order, until n pairs were read. */
static bool tick_fast_tail(struct hamd_mpr *r, uint32_t n, uint32_t pairs,
                           struct hamd_tick *out, uint64_t *seen,
                           struct tick_shape *sh)
{
    for (size_t i = tick_num_end; i < TICK_NFIELDS && pairs < n; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (!tick_key_at(r, i))
            continue; /* absent */
        r->p += 1 + f->name_len;
        pairs++;
        if (f->kind == TK_EXTRA) {
            if (tick_fast_extra(r, out))
                *seen |= 1ull << i;
            else if (tick_field_decode(r, (int)i, out, seen) != HAMD_TICK_OK ||
                     !(*seen & (1ull << i)))
                return false; /* not a map, too long, or nil */
            continue;
        }
        if (!tick_fast_int(r, f, out))
            return false;
        *seen |= 1ull << i;
        sh->hub = true;
    }
    return pairs == n && hamd_mpr_done(r);
}

/* Decodes a body laid out as hamd_tick_encode writes it, whose map header
 * (n pairs) r has read. Returns false at anything else. */
static bool tick_decode_fast(struct hamd_mpr *r, const uint8_t *body,
                             uint32_t n, struct hamd_tick *out, uint64_t *seen,
                             struct tick_shape *sh)
{
    if (!tick_fast_shape || n < tick_num_end || !tick_fast_head(r, body, out, sh))
        return false;
    if ((size_t)(r->end - r->p) < tick_num_len || !tick_num_run_at(r->p) ||
        !tick_num_run_take(r->p, out))
        return false;
    r->p += tick_num_len;
    sh->hub_at = (size_t)(r->p - body);
    *seen = (1ull << tick_num_end) - 1;
    out->term = out->seq = 0;
    out->node = 0;
    out->hub_ns = 0;
    out->extra_len = 0;
    return tick_fast_tail(r, n, (uint32_t)tick_num_end, out, seen, sh);
}

/* ------------------------------------------------------------------------
 * Decoder, entry
 * ------------------------------------------------------------------------ */

/* The generic decoder: any key order, unknown keys, nil, every msgpack
 * form of a value the field takes. */
static enum hamd_tick_err tick_decode_generic(struct hamd_mpr *r, uint32_t n,
                                              struct hamd_tick *out)
{
    memset(out, 0, sizeof *out);
    uint64_t seen = 0, keys = 0; /* keys: every known key met, nil too */
    /* The first field error is reported, but only once the whole body is
     * known to be well-formed msgpack: broken bytes take precedence. */
    enum hamd_tick_err first = HAMD_TICK_OK;
    for (uint32_t i = 0; i < n; i++) {
        enum hamd_tick_err err = tick_pair_decode(r, out, &seen, &keys);
        if (err == HAMD_TICK_EMSGPACK)
            return err;
        if (first == HAMD_TICK_OK)
            first = err;
    }
    if (!hamd_mpr_done(r))
        return HAMD_TICK_EMSGPACK;
    if (first != HAMD_TICK_OK)
        return first;
    out->has_hub = (seen & tick_hub_bits) != 0;
    return tick_check(out, seen, strlen(out->symbol), strlen(out->exchange),
                      strlen(out->vt_symbol));
}

/* Decodes buf; when sp is not NULL, says whether it can be spliced. */
static enum hamd_tick_err tick_decode(const void *buf, size_t len,
                                      struct hamd_tick *out,
                                      struct hamd_tick_splice *sp)
{
    pthread_once(&tick_tables_once, tick_tables_build);
    struct hamd_mpr r;
    struct hamd_mpr_val top;
    hamd_mpr_init(&r, buf, len);
    if (sp)
        sp->body = NULL;
    if (!hamd_mpr_read(&r, &top))
        return HAMD_TICK_EMSGPACK;
    if (top.kind != HAMD_MPR_MAP)
        return tick_not_map(buf, len);
    uint64_t seen = 0;
    struct tick_shape sh; /* the rest is filled by a fast path that succeeds */
    sh.hub = false;
    sh.name_at = sh.name_end = 0;
    struct hamd_mpr fast = r;
    if (!tick_decode_fast(&fast, buf, top.v.n, out, &seen, &sh))
        return tick_decode_generic(&r, top.v.n, out);
    out->has_hub = sh.hub;
    enum hamd_tick_err err = tick_check(out, seen, sh.len[TI_SYMBOL],
                                        sh.len[TI_EXCHANGE],
                                        sh.len[TI_VT_SYMBOL]);
    /* Spliced, the map's count grows by the hub fields: map16 keeps its
     * header's size (a body of 16 pairs or more, as every tick). */
    if (err == HAMD_TICK_OK && sp && !sh.hub &&
        *(const uint8_t *)buf == 0xde) {
        *sp = (struct hamd_tick_splice){buf, len, sh.name_at, sh.name_end,
                                        sh.hub_at};
    }
    return err;
}

enum hamd_tick_err hamd_tick_decode(const void *buf, size_t len,
                                    struct hamd_tick *out)
{
    return tick_decode(buf, len, out, NULL);
}

enum hamd_tick_err hamd_tick_decode_splice(const void *buf, size_t len,
                                           struct hamd_tick *out,
                                           struct hamd_tick_splice *sp)
{
    return tick_decode(buf, len, out, sp);
}

/* ------------------------------------------------------------------------
 * Peek: a copy's age without its decode (tick_peek.h)
 *
 * The decode costs ~2,050 instructions a body; the peek costs a dropped
 * copy, and the copy that goes out as well, a few hundred: every step is
 * a header byte or two words compared, nothing is copied but vt_symbol.
 * ------------------------------------------------------------------------ */

/* Bytes of the value at p (left > 0 bytes there) as the encoder writes
 * one of field f's kind: a string (fixstr, str8) or an integer (fixint of
 * either sign, 0xcc - 0xd3). 0 for anything else or when it does not
 * fit. Two tests a value, where tick_scalar_size's chain of every scalar
 * cost the peek ~20 instructions a field (callgrind). */
static inline size_t tick_peek_size(const struct tick_field *f,
                                    const uint8_t *p, size_t left)
{
    uint8_t b = p[0];
    size_t n;
    if (f->kind == TK_STR) {
        if ((b & 0xe0) == 0xa0)
            n = 1 + (b & 0x1fu);
        else if (b == 0xd9 && left >= 2)
            n = 2 + (size_t)p[1];
        else
            return 0;
    } else if (b < 0x80 || b >= 0xe0) {
        n = 1;
    } else if (b >= 0xcc && b <= 0xd3) {
        n = 1 + ((size_t)1 << (b & 3)); /* 1, 2, 4, 8 bytes, either form */
    } else {
        return 0;
    }
    return n <= left ? n : 0;
}

/* The string value of vt_symbol at p (n bytes in all, a string by
 * tick_peek_size) into age. */
static bool tick_peek_vt_symbol(const uint8_t *p, size_t n,
                                struct hamd_tick_age *age)
{
    size_t head = p[0] == 0xd9 ? 2 : 1; /* str8, or a fixstr */
    size_t k = n - head;
    if (k >= sizeof age->vt_symbol || memchr(p + head, '\0', k))
        return false;
    memcpy(age->vt_symbol, p + head, k);
    age->vt_symbol[k] = '\0';
    return true;
}

/* The integer value of datetime at p (n bytes in all, an integer by
 * tick_peek_size) into age. */
static bool tick_peek_time(const uint8_t *p, size_t n,
                           struct hamd_tick_age *age)
{
    uint8_t b = p[0];
    if (n == 1) {
        age->datetime_ns = (int8_t)b; /* a fixint, either sign */
        return true;
    }
    uint64_t u = tick_be(p + 1, n - 1);
    if (b <= 0xcf) { /* unsigned */
        if (u > (uint64_t)INT64_MAX)
            return false;
        age->datetime_ns = (int64_t)u;
        return true;
    }
    unsigned shift = (unsigned)(64 - 8 * (n - 1));
    age->datetime_ns = (int64_t)(u << shift) >> shift; /* sign-extended */
    return true;
}

/* The run's first number, volume, at the cursor: its key and a float64,
 * finite and >= 0 (the fast path's test, tick_num_run_take). */
static bool tick_peek_volume(const struct hamd_mpr *r,
                             struct hamd_tick_age *age)
{
    size_t k = 1 + TICK_FIELDS[TI_VOLUME].name_len;
    if ((size_t)(r->end - r->p) < k + TICK_VALUE_MAX ||
        !tick_key_at(r, TI_VOLUME) || r->p[k] != 0xcb)
        return false;
    uint64_t bits = tick_be(r->p + k + 1, 8);
    if (bits >= 0x7ff0000000000000ull)
        return false;
    memcpy(&age->volume, &bits, sizeof bits);
    return true;
}

bool hamd_tick_peek_age(const void *buf, size_t len, struct hamd_tick_age *age)
{
    pthread_once(&tick_tables_once, tick_tables_build);
    const uint8_t *b = buf;
    if (!tick_fast_shape || len < 3 || b[0] != 0xde ||
        ((size_t)b[1] << 8 | b[2]) < tick_num_end)
        return false;
    struct hamd_mpr r;
    hamd_mpr_init(&r, b + 3, len - 3);
    /* Unrolled on TI_VOLUME, a constant where tick_num_first is not: each
     * field's kind and key length are then known where it is read, ~470
     * -> ~300 instructions a peek (callgrind). */
#pragma GCC unroll 8
    for (size_t i = 0; i < TI_VOLUME; i++) {
        if (!tick_key_at(&r, i))
            return false;
        const struct tick_field *f = &TICK_FIELDS[i];
        r.p += 1 + f->name_len;
        size_t left = (size_t)(r.end - r.p);
        size_t n = left > 0 ? tick_peek_size(f, r.p, left) : 0;
        if (n == 0 ||
            (i == TI_VT_SYMBOL && !tick_peek_vt_symbol(r.p, n, age)) ||
            (i == TI_DATETIME && !tick_peek_time(r.p, n, age)))
            return false;
        r.p += n;
    }
    return tick_peek_volume(&r, age);
}

/* ------------------------------------------------------------------------
 * Encoder
 *
 * The encoder runs once per published tick, so it writes msgpack itself:
 * keys are copied pre-encoded and every value is a header byte plus a
 * big-endian store, with no per-write callback or bounds check. The bytes
 * are those msgpack-c's packer writes for the same calls (smallest integer
 * form, str8 from 32 bytes, float64 always); test_tick compares them.
 * ------------------------------------------------------------------------ */

/* Bytes an encoding can take at most, whatever the values: map16 header,
 * every key, the widest header of each value, string capacities and the
 * extra map. Encoding into a buffer this large needs no checks. */
#define TICK_STR_HEAD_MAX 2 /* str8: strings here are < 256 bytes */
#define TICK_ENCODE_BOUND \
    (3 + TICK_NFIELDS * (TICK_KEY_WIRE_MAX + TICK_VALUE_MAX + \
                         TICK_STR_HEAD_MAX) + \
     HAMD_SYMBOL_MAX + HAMD_EXCHANGE_MAX + HAMD_VT_SYMBOL_MAX + \
     HAMD_ACCOUNT_ID_MAX + HAMD_TICK_NAME_MAX + HAMD_TICK_EXTRA_MAX)

_Static_assert(TICK_ENCODE_BOUND <= HAMD_TICK_WIRE_MAX,
               "HAMD_TICK_WIRE_MAX must hold any encoded tick");

static uint8_t *put_be16(uint8_t *p, uint8_t head, uint16_t v)
{
    p[0] = head;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
    return p + 3;
}

static uint8_t *put_be32(uint8_t *p, uint8_t head, uint32_t v)
{
    p[0] = head;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
    memcpy(p + 1, &v, sizeof v);
#else
    for (int i = 0; i < 4; i++)
        p[1 + i] = (uint8_t)(v >> (24 - 8 * i));
#endif
    return p + 5;
}

static uint8_t *put_be64(uint8_t *p, uint8_t head, uint64_t v)
{
    p[0] = head;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
    memcpy(p + 1, &v, sizeof v);
#else
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(v >> (56 - 8 * i));
#endif
    return p + 9;
}

static uint8_t *put_uint(uint8_t *p, uint64_t v)
{
    if (v < 0x80) {
        *p = (uint8_t)v; /* positive fixint */
        return p + 1;
    }
    if (v <= UINT8_MAX) {
        p[0] = 0xcc;
        p[1] = (uint8_t)v;
        return p + 2;
    }
    if (v <= UINT16_MAX)
        return put_be16(p, 0xcd, (uint16_t)v);
    if (v <= UINT32_MAX)
        return put_be32(p, 0xce, (uint32_t)v);
    return put_be64(p, 0xcf, v);
}

static uint8_t *put_int(uint8_t *p, int64_t v)
{
    if (v >= 0) /* the unsigned forms, as msgpack-c */
        return put_uint(p, (uint64_t)v);
    if (v >= -32) {
        *p = (uint8_t)(int8_t)v; /* negative fixint */
        return p + 1;
    }
    if (v >= INT8_MIN) {
        p[0] = 0xd0;
        p[1] = (uint8_t)(int8_t)v;
        return p + 2;
    }
    if (v >= INT16_MIN)
        return put_be16(p, 0xd1, (uint16_t)(int16_t)v);
    if (v >= INT32_MIN)
        return put_be32(p, 0xd2, (uint32_t)(int32_t)v);
    return put_be64(p, 0xd3, (uint64_t)v);
}

static uint8_t *put_double(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return put_be64(p, 0xcb, bits);
}

/* A string header for n < 256 bytes (every string of a tick). */
static uint8_t *put_str_head(uint8_t *p, size_t n)
{
    if (n < 32) {
        *p = (uint8_t)(0xa0 | n); /* fixstr */
        return p + 1;
    }
    p[0] = 0xd9; /* str8 */
    p[1] = (uint8_t)n;
    return p + 2;
}

static uint8_t *put_bytes(uint8_t *p, const void *bytes, size_t n)
{
    memcpy(p, bytes, n);
    return p + n;
}

/* Writes the value of field f of t at p; returns the end. */
static uint8_t *tick_value_put(uint8_t *p, const struct tick_field *f,
                               const struct hamd_tick *t)
{
    const char *src = (const char *)t + f->offset;
    switch (f->kind) {
    case TK_STR: {
        size_t n = strnlen(src, f->size);
        return put_bytes(put_str_head(p, n), src, n);
    }
    case TK_NUM:
        return put_double(p, *(const double *)(const void *)src);
    case TK_TIME:
        return put_int(p, *(const int64_t *)(const void *)src);
    case TK_U64:
        return put_uint(p, *(const uint64_t *)(const void *)src);
    case TK_U32:
        return put_uint(p, *(const uint32_t *)(const void *)src);
    case TK_EXTRA:
        return put_bytes(p, t->extra, t->extra_len);
    }
    return p;
}

/* Writes one field's key and value at p; returns the end. */
static uint8_t *tick_field_put(uint8_t *p, size_t idx, const struct hamd_tick *t)
{
    const struct tick_field *f = &TICK_FIELDS[idx];
    p = put_bytes(p, tick_key_wire[idx], 1 + f->name_len);
    return tick_value_put(p, f, t);
}

/* Writes the run of prices and volumes: the template's keys and headers
 * in one copy, then each value's 8 bytes in place. */
static uint8_t *tick_num_run_put(uint8_t *p, const struct hamd_tick *t)
{
    memcpy(p, tick_num_word, tick_num_len);
    for (size_t i = tick_num_first; i < tick_num_end; i++) {
        uint64_t bits;
        memcpy(&bits, (const char *)t + tick_num_off[i], sizeof bits);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        bits = __builtin_bswap64(bits);
#endif
        memcpy(p + tick_num_at[i], &bits, sizeof bits);
    }
    return p + tick_num_len;
}

/* Writes vt_symbol as symbol "." exchange, whatever t->vt_symbol holds. */
static uint8_t *tick_vt_put(uint8_t *p, const struct hamd_tick *t)
{
    size_t ls = strnlen(t->symbol, sizeof t->symbol);
    size_t le = strnlen(t->exchange, sizeof t->exchange);
    p = put_bytes(p, tick_key_wire[TI_VT_SYMBOL],
                  1 + TICK_FIELDS[TI_VT_SYMBOL].name_len);
    p = put_str_head(p, ls + 1 + le);
    p = put_bytes(p, t->symbol, ls);
    *p++ = '.';
    return put_bytes(p, t->exchange, le);
}

/* Sets t's hub fields from *hub. */
static void tick_hub_into(struct hamd_tick *t, const struct hamd_tick_hub *hub)
{
    t->term = hub->term;
    t->seq = hub->seq;
    t->node = hub->node;
    t->hub_ns = hub->hub_ns;
}

/* Encodes into out, which holds TICK_ENCODE_BOUND bytes: with the hub
 * fields of *hub, or without any when hub is NULL. */
static size_t tick_put(const struct hamd_tick *tick,
                       const struct hamd_tick_hub *hub, uint8_t *out)
{
    struct hamd_tick stamp; /* only its hub fields are read */
    if (hub)
        tick_hub_into(&stamp, hub);
    bool with_extra = tick->extra_len > 0;
    size_t n = TICK_NFIELDS - tick_n_hub - 1;
    n += (hub ? tick_n_hub : 0) + (with_extra ? 1 : 0);
    uint8_t *p = n < 16 ? (*out = (uint8_t)(0x80 | n), out + 1)
                        : put_be16(out, 0xde, (uint16_t)n);
    for (size_t i = 0; i < TICK_NFIELDS; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if ((f->hub && !hub) || (f->kind == TK_EXTRA && !with_extra))
            continue;
        if (i == tick_num_first && tick_fast_shape) {
            p = tick_num_run_put(p, tick);
            i = tick_num_end - 1;
            continue;
        }
        p = i == TI_VT_SYMBOL ? tick_vt_put(p, tick)
                              : tick_field_put(p, i, f->hub ? &stamp : tick);
    }
    return (size_t)(p - out);
}

/* hamd_tick_encode's contract for any hub fields (NULL: none). */
static size_t tick_encode(const struct hamd_tick *tick,
                          const struct hamd_tick_hub *hub, void *buf,
                          size_t cap)
{
    if (tick->extra_len > sizeof tick->extra)
        return 0;
    pthread_once(&tick_tables_once, tick_tables_build);
    if (cap >= TICK_ENCODE_BOUND)
        return tick_put(tick, hub, buf);
    /* A small buffer: encode aside, keep the exact-fit contract. */
    uint8_t tmp[TICK_ENCODE_BOUND];
    size_t len = tick_put(tick, hub, tmp);
    if (len > cap)
        return 0;
    memcpy(buf, tmp, len);
    return len;
}

size_t hamd_tick_encode(const struct hamd_tick *tick, bool with_hub,
                        void *buf, size_t cap)
{
    struct hamd_tick_hub own = {tick->term, tick->seq, tick->node,
                                tick->hub_ns};
    return tick_encode(tick, with_hub ? &own : NULL, buf, cap);
}

size_t hamd_tick_encode_hub(const struct hamd_tick *tick,
                            const struct hamd_tick_hub *hub, void *buf,
                            size_t cap)
{
    return tick_encode(tick, hub, buf, cap);
}

/* ------------------------------------------------------------------------
 * Splice: the hub's fields onto a gateway's own bytes (tick_splice.h)
 * ------------------------------------------------------------------------ */

/* Bytes a splice adds to a body at most: the map16 header keeps its size,
 * gateway_name may grow to its longest, the hub fields come in. */
#define TICK_SPLICE_GROWTH \
    (TICK_STR_HEAD_MAX + HAMD_ACCOUNT_ID_MAX + \
     TICK_NFIELDS * (TICK_KEY_WIRE_MAX + TICK_VALUE_MAX))

/* Writes the hub fields' keys and values at p, in TICK_FIELDS order (as
 * the encoder does), with TICK_SPLICE_GROWTH bytes room; returns the end.
 * A key is copied as its whole TICK_KEY_WIRE_MAX bytes, one store: what
 * lies past it is overwritten next. */
static uint8_t *tick_hub_put(uint8_t *p, const struct hamd_tick_hub *hub)
{
    struct hamd_tick t; /* only its hub fields are read */
    tick_hub_into(&t, hub);
    for (size_t i = tick_num_end; i < TICK_NFIELDS; i++) {
        const struct tick_field *f = &TICK_FIELDS[i];
        if (!f->hub)
            continue;
        memcpy(p, tick_key_wire[i], TICK_KEY_WIRE_MAX);
        p += 1 + f->name_len;
        const char *v = (const char *)&t + f->offset;
        if (f->kind == TK_TIME)
            p = put_int(p, *(const int64_t *)(const void *)v);
        else if (f->kind == TK_U32)
            p = put_uint(p, *(const uint32_t *)(const void *)v);
        else
            p = put_uint(p, *(const uint64_t *)(const void *)v);
    }
    return p;
}

/* Writes the spliced body into out, which holds sp->len +
 * TICK_SPLICE_GROWTH bytes. Returns its length. */
static size_t tick_splice_put(const struct hamd_tick_splice *sp,
                              const char *name, size_t name_len,
                              const struct hamd_tick_hub *hub, uint8_t *out)
{
    const uint8_t *b = sp->body;
    uint16_t n = (uint16_t)(((unsigned)b[1] << 8 | b[2]) + tick_n_hub);
    uint8_t *p = put_be16(out, 0xde, n);
    p = put_bytes(p, b + 3, sp->name_at - 3);
    p = put_bytes(put_str_head(p, name_len), name, name_len);
    p = put_bytes(p, b + sp->name_end, sp->hub_at - sp->name_end);
    p = tick_hub_put(p, hub);
    p = put_bytes(p, b + sp->hub_at, sp->len - sp->hub_at);
    return (size_t)(p - out);
}

size_t hamd_tick_splice(const struct hamd_tick_splice *sp, const char *name,
                        size_t name_len, const struct hamd_tick_hub *hub,
                        void *buf, size_t cap)
{
    if (!sp->body || name_len >= HAMD_ACCOUNT_ID_MAX ||
        sp->len > HAMD_TICK_WIRE_MAX)
        return 0;
    if (cap >= sp->len + TICK_SPLICE_GROWTH)
        return tick_splice_put(sp, name, name_len, hub, buf);
    /* A small buffer: splice aside, keep the exact-fit contract. */
    uint8_t tmp[HAMD_TICK_WIRE_MAX + TICK_SPLICE_GROWTH];
    size_t len = tick_splice_put(sp, name, name_len, hub, tmp);
    if (len > cap)
        return 0;
    memcpy(buf, tmp, len);
    return len;
}

/* ------------------------------------------------------------------------
 * Extra keys and ordering
 * ------------------------------------------------------------------------ */

bool hamd_tick_extra_int(const struct hamd_tick *tick, const char *key,
                         int64_t *out)
{
    struct hamd_mpr r;
    struct hamd_mpr_val v;
    if (tick->extra_len > sizeof tick->extra)
        return false;
    hamd_mpr_init(&r, tick->extra, tick->extra_len);
    if (!hamd_mpr_read(&r, &v) || v.kind != HAMD_MPR_MAP)
        return false;
    for (uint32_t i = 0; i < v.v.n; i++) {
        const uint8_t *start = r.p;
        struct hamd_mpr_val k;
        if (!hamd_mpr_read(&r, &k))
            return false;
        if (hamd_mpr_str_eq(&k, key))
            return hamd_mpr_read_i64(&r, out);
        r.p = start;
        if (!hamd_mpr_skip(&r) || !hamd_mpr_skip(&r))
            return false;
    }
    return false;
}

bool hamd_tick_extra_set_int(struct hamd_tick *tick, const char *key,
                             int64_t value)
{
    uint8_t tmp[HAMD_TICK_EXTRA_MAX];
    struct hamd_mpw w;
    hamd_mpw_init(&w, tmp, sizeof tmp);
    msgpack_pack_map(&w.pk, 1);
    hamd_mpw_str(&w, key);
    msgpack_pack_int64(&w.pk, value);
    size_t n = hamd_mpw_finish(&w);
    if (n == 0)
        return false;
    memcpy(tick->extra, tmp, n);
    tick->extra_len = n;
    return true;
}

int hamd_tick_cmp_age(int64_t a_datetime_ns, double a_volume,
                      int64_t b_datetime_ns, double b_volume)
{
    if (a_datetime_ns != b_datetime_ns)
        return a_datetime_ns < b_datetime_ns ? -1 : 1;
    if (a_volume != b_volume)
        return a_volume < b_volume ? -1 : 1;
    return 0;
}
