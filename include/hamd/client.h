/* libhamd-client: hamd's tick stream, every tick exactly once and in order
 * per contract, through any failover (docs/client.md).
 *
 * The wire (docs/protocol.md) is at-least-once across a leader change: a
 * new leader re-sends what the old one may have sent in its last
 * milliseconds. This library does the client's half of the contract:
 *
 * - it connects to every publish endpoint given (every node, or a VIP)
 *   and subscribes to the prefixes plus `_hb` and `_event`;
 * - it takes a snapshot on joining, after a gap, after a term change and
 *   after the publisher went silent, merged with the live stream so that
 *   nothing is skipped nor repeated;
 * - fencing: a tick of a term below the highest seen is dropped;
 * - per contract it delivers a tick only if it is newer than the last one
 *   delivered (exchange time, then volume), so a re-sent tick is dropped
 *   and nothing goes backwards;
 * - a seq jump inside a term is a gap, reported through on_gap;
 * - no `_hb` for hb_timeout_ms: the connections that went silent are
 *   dropped and made again (a VIP that moved to another host), and a
 *   snapshot is taken when heartbeats are back.
 *
 * Malformed messages (bad msgpack, wrong types, a missing hub field, a
 * snapshot END without count, a term going backwards) are dropped and
 * counted, never delivered.
 *
 * Build with `pkg-config --cflags --libs hamd-client`. Two ways to run it:
 * hamd_client_start() gives it its own thread (the callbacks run there),
 * or call hamd_client_poll() from your own loop. One client is used by
 * one thread at a time, except hamd_client_stats(), callable from any.
 *
 * struct hamd_tick comes from <hamd/tick.h>; only its definition is part
 * of this library's interface, not the functions declared next to it
 * (those belong to the hub). Only hamd_client_* symbols are exported.
 */
#ifndef HAMD_CLIENT_H
#define HAMD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hamd/tick.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAMD_CLIENT_ENDPOINTS_MAX 16  /* publish or snapshot endpoints */
#define HAMD_CLIENT_PREFIXES_MAX 64   /* topic prefixes */
#define HAMD_CLIENT_HB_TIMEOUT_MS_DEFAULT 1000 /* ten `_hb` periods */

/* on_tick flags. */
#define HAMD_CLIENT_TICK_SNAPSHOT 1u /* the tick came from a snapshot */

/* What on_notice reports: the client's own view of the stream. */
enum hamd_client_notice {
    HAMD_CLIENT_SILENT = 1,    /* no `_hb` for hb_timeout_ms (or, once,
                                  none since the start) */
    HAMD_CLIENT_BACK,          /* `_hb` again after a silence */
    HAMD_CLIENT_RECONNECT,     /* a silent connection was made again */
    HAMD_CLIENT_SNAPSHOT,      /* a snapshot was merged */
    HAMD_CLIENT_SNAPSHOT_FAILED, /* no valid answer after every attempt */
    HAMD_CLIENT_BAD_MESSAGE,   /* a malformed message was dropped */
    HAMD_CLIENT_LATE_START,    /* a contract's first tick in a new term had
                                  seq > 1: ticks before it went out before
                                  this client was connected to the new
                                  leader */
};

/* How a client is made. Zero-initialise it, then fill what you need.
 * The strings are copied by hamd_client_new. */
struct hamd_client_opts {
    const char *const *endpoints; /* publish endpoints, e.g.
                                     "tcp://10.0.0.1:5551": every node's, or
                                     the VIP's (at least one) */
    size_t n_endpoints;           /* how many */
    const char *const *snapshot_endpoints; /* snapshot endpoints, same
                                              nodes; none: no snapshots */
    size_t n_snapshot_endpoints;  /* how many */
    const char *const *prefixes;  /* topic prefixes ("rb2601.SHFE", "rb");
                                     none: every contract */
    size_t n_prefixes;            /* how many */
    unsigned hb_timeout_ms;       /* no `_hb` this long: silent, reconnect
                                     (0: HAMD_CLIENT_HB_TIMEOUT_MS_DEFAULT) */

    /* A tick to use: newer than the last one delivered for its contract.
     * flags: HAMD_CLIENT_TICK_SNAPSHOT. The tick is valid during the call
     * only. */
    void (*on_tick)(void *ud, const struct hamd_tick *tick, unsigned flags);
    /* A seq jump inside one term: expected_seq was due, got_seq came
     * (got_seq - expected_seq ticks are missing). A snapshot follows. */
    void (*on_gap)(void *ud, const char *vt_symbol, uint64_t term,
                   uint64_t expected_seq, uint64_t got_seq);
    /* A publisher of a newer term (the first one too). */
    void (*on_leader)(void *ud, uint64_t term, uint32_t node);
    /* An `_event` of the hub (docs/failover.md): its event_type and the
     * msgpack map as it came (valid during the call only). */
    void (*on_event)(void *ud, const char *event_type, const void *body,
                     size_t len);
    /* The client's own diagnostics, one line of text. May be NULL. */
    void (*on_notice)(void *ud, enum hamd_client_notice what,
                      const char *text);
    void *ud;                     /* passed to every callback */

    /* ZeroMQ CURVE, when the hub has [publish] curve_secret_file
     * (docs/security.md): its public key, Z85 (40 characters; NULL: no
     * CURVE), and this client's key pair (`hactl keys gen`), whose public
     * key must be in the hub's [publish] curve_clients_dir. All three or
     * none. A client the hub does not allow receives nothing. */
    const char *server_key;        /* the hub's public key */
    const char *client_public_key; /* this client's public key */
    const char *client_secret_key; /* this client's secret key */
};

/* Counters since hamd_client_new. */
struct hamd_client_stats {
    uint64_t delivered;       /* ticks handed to on_tick */
    uint64_t from_snapshot;   /* of which from a snapshot */
    uint64_t duplicates;      /* dropped: not newer than the last delivered */
    uint64_t fenced;          /* dropped: term below the highest seen
                                 (ticks and heartbeats) */
    uint64_t gaps;            /* seq jumps inside a term */
    uint64_t missing;         /* ticks inside those jumps */
    uint64_t late_starts;     /* new terms joined at seq > 1 */
    uint64_t malformed;       /* messages dropped as malformed */
    uint64_t leader_changes;  /* newer terms after the first */
    uint64_t events;          /* `_event` messages passed to on_event */
    uint64_t snapshots;       /* snapshot answers merged */
    uint64_t snapshot_failures; /* snapshots given up (no valid answer) */
    uint64_t silences;        /* times `_hb` stopped for hb_timeout_ms
                                 (or never came) */
    uint64_t reconnects;      /* silent connections made again */
};

/* The client's handle. */
typedef struct hamd_client hamd_client_t;

/* Creates a client and connects it (the connections complete in the
 * background). Returns NULL with errno EINVAL for bad options (opts NULL,
 * no on_tick, no endpoint, too many, an endpoint NULL or empty, too many
 * prefixes or one too long, CURVE keys not all three valid), or with
 * ZeroMQ's errno for an endpoint it refuses (EINVAL: "foo", no port;
 * EPROTONOSUPPORT: "http://...", or a transport a SUB cannot use:
 * "udp://..."), publish or snapshot. */
hamd_client_t *hamd_client_new(const struct hamd_client_opts *opts);

/* Runs the client in a thread of its own until hamd_client_destroy: the
 * callbacks are called from that thread. Returns 0, or -1 with errno
 * (EALREADY: already started; EINVAL: self NULL; EDEADLK: from one of its
 * callbacks). hamd_client_poll is refused afterwards (EBUSY). */
int hamd_client_start(hamd_client_t *self);

/* For callers with their own loop: waits at most timeout_ms (0: do not
 * wait) for messages, handles what came (callbacks run in this call) and
 * what is due (snapshots, reconnects). Returns the ticks delivered by this
 * call, or -1 with errno (EBUSY: started; EINVAL: self NULL; EDEADLK:
 * from one of its callbacks). Call it at least every hb_timeout_ms. */
int hamd_client_poll(hamd_client_t *self, int timeout_ms);

/* Copies the counters into *out (zeros when self is NULL). Any thread. */
void hamd_client_stats(hamd_client_t *self, struct hamd_client_stats *out);

/* Looks up an integer of a tick's `extra` map (e.g. "sim_seq"). Returns
 * true and sets *out when key exists and holds an integer (false for a
 * NULL argument). */
bool hamd_client_tick_extra_int(const struct hamd_tick *tick, const char *key,
                                int64_t *out);

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *hamd_client_version(void);

/* Stops the thread (if started), closes every socket, frees the client
 * and sets *self_p to NULL. NULL or *self_p NULL is fine. Not from one
 * of its callbacks, where the client is in use: refused there (errno
 * EDEADLK, *self_p left as it was). */
void hamd_client_destroy(hamd_client_t **self_p);

#ifdef __cplusplus
}
#endif

#endif /* HAMD_CLIENT_H */
