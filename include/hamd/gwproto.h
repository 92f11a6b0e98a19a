/* hamd gateway protocol (docs/gateway-protocol.md), version 1.
 *
 * The hub binds a ZeroMQ ROUTER; each gateway connects a DEALER whose
 * routing identity is its account id. Every message is two frames,
 * [type][msgpack body], except that a TICK may carry several bodies,
 * [TICK][body 1]...[body N] with 1 <= N <= HAMD_GW_TICKS_PER_MSG_MAX:
 *
 *   gateway -> hub   HELLO  {account, pid, proto: 1, gateway_type, token}
 *                    STATUS {state, detail}
 *                    TICK   {tick fields of docs/protocol.md, no hub fields}
 *                    HB     {ts_ns}                     every second
 *   hub -> gateway   SUBSCRIBE   {symbols: [vt_symbol, ...]}
 *                    UNSUBSCRIBE {symbols: [vt_symbol, ...]}
 *                    STOP        {}
 *
 * A multi-body TICK is N ticks in arrival order, each judged on its own
 * (a bad body is dropped and counted, the others go through). It exists
 * for speed: ZeroMQ wakes its I/O thread and the hub's data thread once
 * per message, not per frame, so a gateway with several ticks at hand
 * pays one wake-up per batch. N = 1 is the plain two-frame form; a
 * gateway may always send that. Bodies beyond the maximum are dropped
 * and each counted as malformed; HELLO, STATUS and HB take exactly one.
 *
 * A gateway is started with the environment HAMD_GW_ENDPOINT,
 * HAMD_ACCOUNT, HAMD_GW_PARAMS (JSON object) and HAMD_GW_TOKEN, a fresh
 * random token per launch that its HELLO must carry: the hub drops every
 * message of a connection until a HELLO with the current token came on
 * it (docs/gateway-protocol.md §4).
 */
#ifndef HAMD_GWPROTO_H
#define HAMD_GWPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hamd/tick.h"

#define HAMD_GW_PROTO_VERSION 1     /* proto of HELLO */
#define HAMD_GW_HB_INTERVAL_MS 1000 /* gateways send HB this often */
#define HAMD_GW_DETAIL_MAX 128      /* STATUS detail incl. NUL */
#define HAMD_GW_TYPE_MAX 32         /* gateway_type incl. NUL */
#define HAMD_GW_SYMBOLS_MAX 4096    /* symbols in one SUBSCRIBE */
#define HAMD_GW_TICKS_PER_MSG_MAX 256 /* tick bodies one TICK may carry */
#define HAMD_GW_TOKEN_MAX 129       /* HELLO token incl. NUL: hamd's are 64
                                       hex digits (32 random bytes) */

/* The environment a gateway is started with (see above). */
#define HAMD_GW_ENV_ENDPOINT "HAMD_GW_ENDPOINT"
#define HAMD_GW_ENV_ACCOUNT "HAMD_ACCOUNT"
#define HAMD_GW_ENV_PARAMS "HAMD_GW_PARAMS"
#define HAMD_GW_ENV_TOKEN "HAMD_GW_TOKEN"

/* Message types; the first frame is the upper-case name. */
enum hamd_gw_type {
    HAMD_GW_UNKNOWN = 0,
    HAMD_GW_HELLO,
    HAMD_GW_STATUS,
    HAMD_GW_TICK,
    HAMD_GW_HB,
    HAMD_GW_SUBSCRIBE,
    HAMD_GW_UNSUBSCRIBE,
    HAMD_GW_STOP,
};

/* Connection state reported by STATUS. */
enum hamd_gw_state {
    HAMD_GW_CONNECTING = 0,
    HAMD_GW_CONNECTED,
    HAMD_GW_LOGGED_IN,
    HAMD_GW_DISCONNECTED,
    HAMD_GW_ERROR,
};

/* Body of HELLO. */
struct hamd_gw_hello {
    char account[HAMD_ACCOUNT_ID_MAX];   /* what the gateway says it serves */
    int64_t pid;                         /* its process id */
    int64_t proto;                       /* HAMD_GW_PROTO_VERSION it speaks */
    char gateway_type[HAMD_GW_TYPE_MAX]; /* e.g. "sim", "ctp" */
    char token[HAMD_GW_TOKEN_MAX];       /* the launch token, "" = none */
};

/* Body of STATUS. */
struct hamd_gw_status {
    enum hamd_gw_state state;         /* connection state to the exchange */
    char detail[HAMD_GW_DETAIL_MAX];  /* free text for operators, "" */
};

/* Maps the type frame to the enum; HAMD_GW_UNKNOWN if not recognised. */
enum hamd_gw_type hamd_gw_type_parse(const void *frame, size_t len);

/* Returns the wire name of a type ("TICK", ...) or NULL for UNKNOWN. */
const char *hamd_gw_type_name(enum hamd_gw_type type);

/* Returns the wire name of a state ("logged_in", ...), "unknown" for a
 * value outside the enum. */
const char *hamd_gw_state_name(enum hamd_gw_state state);

/* Decoders: return true and fill *out when the body is well formed: one
 * msgpack map with string keys and no trailing bytes, required keys
 * present, known keys of the right type, strings that fit. Unknown keys are
 * ignored; nil reads as an absent optional string. They allocate nothing.
 *   HELLO   account (a valid slug) and proto (integer) required; pid
 *           (integer >= 0), gateway_type and token optional. The caller
 *           checks proto against HAMD_GW_PROTO_VERSION so it can log a
 *           mismatch, and the token against the launch's.
 *   STATUS  state (one of the state names) required; detail optional.
 *   HB      ts_ns (integer) required. */
bool hamd_gw_hello_decode(const void *buf, size_t len,
                          struct hamd_gw_hello *out);
bool hamd_gw_status_decode(const void *buf, size_t len,
                           struct hamd_gw_status *out);
bool hamd_gw_hb_decode(const void *buf, size_t len, int64_t *ts_ns);

/* Decodes SUBSCRIBE / UNSUBSCRIBE bodies. Calls fn once per symbol, in
 * order; returns false (after possibly some calls) if malformed. Every
 * symbol must be a valid vt_symbol (hamd_tick_vt_symbol_valid), at most
 * HAMD_GW_SYMBOLS_MAX of them. This implementation validates the whole
 * body first, so a malformed one makes no call at all. */
bool hamd_gw_symbols_decode(const void *buf, size_t len,
                            void (*fn)(void *ud, const char *vt_symbol),
                            void *ud);

/* Encoders: write into buf (capacity cap) and return the length, or 0 when
 * cap is too small or the input is something the decoder would reject (an
 * invalid account id, state or vt_symbol, too many symbols). */
size_t hamd_gw_hello_encode(const struct hamd_gw_hello *hello, void *buf,
                            size_t cap);
size_t hamd_gw_status_encode(const struct hamd_gw_status *status, void *buf,
                             size_t cap);
size_t hamd_gw_hb_encode(int64_t ts_ns, void *buf, size_t cap);
size_t hamd_gw_symbols_encode(const char *const *symbols, size_t n,
                              void *buf, size_t cap);
size_t hamd_gw_stop_encode(void *buf, size_t cap);

#endif /* HAMD_GWPROTO_H */
