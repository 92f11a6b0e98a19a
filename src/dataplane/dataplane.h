/* Data plane (docs/architecture.md): one thread owning every ZeroMQ socket.
 *
 * It receives gateway messages on a ROUTER, validates ticks, arbitrates
 * them per contract (arbiter.h), stamps term and seq, keeps the last-value
 * cache, publishes on PUB and answers SNAPSHOT requests. It publishes only
 * while the control plane's lease says so (hamd_dataplane_set_lease); it
 * binds PUB and snapshot when the lease starts and closes them when it ends,
 * so clients reconnect to whoever publishes next.
 *
 * The door: the control thread drives the data plane only through the
 * functions below. They post messages on an inproc PAIR (routing changes,
 * frames for gateways) or store atomics (term, lease), so the two threads
 * share no mutable structure. Upwards, gateway control messages and switch
 * completions are queued and announced through the notify callback; the
 * control thread drains them with hamd_dataplane_drain. Statistics are
 * copied out under a lock with hamd_dataplane_stats.
 *
 * Every function here is called from the control thread only.
 */
#ifndef HAMD_DATAPLANE_H
#define HAMD_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/relay_proto.h"
#include "core/arbiter.h"
#include "hamd/gwproto.h"
#include "hamd/tick.h"

#define HAMD_DP_ENDPOINT_MAX 256 /* bytes of a ZeroMQ endpoint */
#define HAMD_DP_EXCH_MAX 16 /* exchanges a source may serve */
#define HAMD_DP_MEMBERS_MAX 32 /* addresses admitted to the relay ROUTER */
#define HAMD_DP_HOST_MAX 64    /* bytes of one such address */
#define HAMD_DP_COVERS_MAX 8   /* coverage reports kept, one per node */
#define HAMD_DP_PATH_MAX 4096  /* bytes of a file or directory path */

struct hamd_dataplane_opts {
    unsigned node_id;                      /* stamped on every tick */
    char gw_endpoint[HAMD_DP_ENDPOINT_MAX];/* gateway ROUTER bind */
    char publish[HAMD_DP_ENDPOINT_MAX];    /* PUB bind while publishing */
    char snapshot[HAMD_DP_ENDPOINT_MAX];   /* snapshot ROUTER bind */
    unsigned pub_hwm;                      /* PUB send high-water mark */
    unsigned heartbeat_ms;                 /* `_hb` period */
    unsigned stats_interval_ms;            /* statistics refresh period */
    struct hamd_arb_limits limits;         /* replay window */
    enum hamd_arb_mode arbitration;        /* [failover] arbitration: the
                                              mode of every exchange not in
                                              arb_exchanges */
    unsigned n_arb_exchanges;              /* entries in arb_exchanges */
    struct hamd_arb_exchange arb_exchanges[HAMD_ARB_EXCH_MAX]; /* the
                                              [arbitration] overrides */
    char relay[HAMD_DP_ENDPOINT_MAX];      /* relay ROUTER bind, "" = none */
    unsigned n_members;                    /* entries in members */
    char members[HAMD_DP_MEMBERS_MAX][HAMD_DP_HOST_MAX]; /* IP addresses
                                              the relay ROUTER admits */
    char curve_secret_file[HAMD_DP_PATH_MAX]; /* the cluster's CURVE
                                              secret key, "" = no CURVE */
    char curve_clients_dir[HAMD_DP_PATH_MAX]; /* allowed client keys, one
                                              file each ("" = nodes only) */
};

/* The latest coverage report of one node and when it arrived. */
struct hamd_dp_cover {
    int64_t rx_ns;             /* monotonic */
    struct hamd_relay_cover cover;   /* as the node sent it */
};

/* What the data plane reports upwards. */
enum hamd_dp_event_type {
    HAMD_DP_EV_HELLO,       /* a gateway said HELLO */
    HAMD_DP_EV_STATUS,      /* a gateway reported its connection state */
    HAMD_DP_EV_SWITCHED,    /* first tick of a new active source published */
};

/* One upward event (hamd_dataplane_events). */
struct hamd_dp_event {
    enum hamd_dp_event_type type;        /* which member of u is set */
    char account[HAMD_ACCOUNT_ID_MAX];   /* source account */
    int64_t mono_ns;                     /* when it happened */
    union {
        struct hamd_gw_hello hello;      /* HAMD_DP_EV_HELLO */
        struct hamd_gw_status status;    /* HAMD_DP_EV_STATUS */
        struct {
            uint64_t switch_id;          /* as passed to _assign */
            char vt_symbol[HAMD_VT_SYMBOL_MAX]; /* the contract */
            unsigned replayed;           /* ticks replayed from the window */
        } switched;                      /* HAMD_DP_EV_SWITCHED */
    } u;
};

/* Per-source statistics. Times are monotonic ns, 0 = never. */
struct hamd_dp_source_stats {
    char account[HAMD_ACCOUNT_ID_MAX]; /* the source */
    uint64_t ticks;          /* valid ticks received */
    uint64_t malformed;      /* messages dropped as malformed */
    uint64_t stale;          /* valid but not newer than the last published */
    uint64_t published;      /* ticks of this source that went out */
    uint64_t first;          /* ... of them in first-arrival contracts: its
                                copy was the first to arrive */
    uint64_t lost_race;      /* copies dropped in first-arrival contracts
                                because another source's copy went out
                                first (also counted in stale) */
    int64_t hello_ns;        /* last HELLO */
    int64_t last_tick_ns;    /* last valid tick */
    int64_t last_hb_ns;      /* last HB */
    int64_t canary_ns;       /* last tick of the canary contract */
    int64_t staleness_ms;    /* worst lag behind the freshest source */
    int64_t latency_ms;      /* mean exchange->receive latency last period */
    uint64_t replay_ticks;   /* ticks kept in replay rings now */
    uint64_t auth_failures;  /* messages dropped: not from the connection
                                that proved the launch token */
};

/* The data plane as a whole, refreshed every stats period. */
struct hamd_dp_stats {
    uint64_t published;      /* ticks published in total */
    uint64_t pub_errors;     /* ticks ZeroMQ refused to queue */
    uint64_t unknown_source; /* messages from identities we do not run */
    uint64_t unsubscribed;   /* ticks for contracts nobody subscribed */
    uint64_t snapshots;      /* snapshot requests answered */
    uint64_t contracts;      /* contracts known */
    uint64_t cached;         /* contracts in the last-value cache */
    uint64_t replay_bytes;   /* memory held by replay rings */
    uint64_t events_dropped; /* upward events lost to a full queue */
    bool publishing;         /* PUB bound and lease valid */
    uint64_t follow_msgs;    /* messages read from the publisher's PUB */
    int64_t follow_age_ms;   /* since the last of them (or since following
                                began, if none came); -1 = not following */
    bool follow_ticks;       /* it reads every tick: the publisher sends
                                no watermarks (an older hamd) */
    uint64_t wm_sent;        /* watermark messages sent to followers */
    uint64_t takeover_replayed; /* held ticks sent first on taking over */
    uint64_t replay_lost;    /* ticks replay rings let go before a replay
                                could send them: a gap in seq each */
    uint64_t relaying;       /* contracts this follower relays now */
    uint64_t relay_ticks_out;/* ticks it relayed to the publisher */
    uint64_t relay_ticks_in; /* relayed-tick messages this node took */
    uint64_t relay_unsolicited; /* ... of sources it did not ask for */
    uint64_t relay_bad;      /* malformed relay messages dropped */
    uint64_t relay_refused;  /* relay connections of non-members */
    uint64_t clients_refused; /* CURVE clients refused: a key not allowed */
    unsigned n_sources;      /* sources in use */
    struct hamd_dp_source_stats sources[HAMD_ARB_MAX_SOURCES]; /* per source */
};

struct hamd_dataplane;

/* Creates the data plane (no thread yet). notify is called from the data
 * thread whenever events are queued; it must be async-signal-light, e.g.
 * uv_async_send. Returns NULL on failure. */
struct hamd_dataplane *hamd_dataplane_new(const struct hamd_dataplane_opts *opts,
                                          void (*notify)(void *ud), void *ud);

/* Binds the gateway endpoint and starts the thread. Returns 0, or -1 with
 * a message in err. */
int hamd_dataplane_start(struct hamd_dataplane *self, char *err, size_t cap);

/* Stops the thread, closes every socket and frees; nulls *self. */
void hamd_dataplane_destroy(struct hamd_dataplane **self);

/* Sets the fencing term and how long the node may publish. until_ns is a
 * monotonic time; 0 revokes publication at once. The data thread reads
 * the two as one pair (common/lease_cell.h). One caller thread only. */
void hamd_dataplane_set_lease(struct hamd_dataplane *self, uint64_t term,
                              int64_t until_ns);

/* Follows the publishing node's PUB at endpoint, so that on taking over
 * this node first sends the ticks the old publisher never did (it stops
 * reading the stream itself when it starts publishing); "" stops reading
 * it and keeps what is held for a takeover. */
void hamd_dataplane_follow(struct hamd_dataplane *self, const char *endpoint);

/* Registers a gateway source: its account id, the exchanges it serves and
 * its canary contract ("" for none). Returns 0 or -1 if the table is full. */
int hamd_dataplane_source_add(struct hamd_dataplane *self, const char *account,
                              const char *const *exchanges, unsigned n_exch,
                              const char *canary);

/* The launch token of account's next gateway process (docs/security.md):
 * from now on only a connection whose HELLO carries it is believed. Call
 * it before the process starts. */
void hamd_dataplane_source_token(struct hamd_dataplane *self,
                                 const char *account, const char *token);

/* Unregisters a source; its ticks are dropped from now on. */
void hamd_dataplane_source_remove(struct hamd_dataplane *self,
                                  const char *account);

/* From _begin to _end, contract adds and removes, routes and the other
 * door messages that carry no body go to the data thread as one message
 * per DP_DOOR_BATCH_MAX (in order, as if posted one by one; a message
 * with a body sends what is held first): a reconcile of 5,000 contracts
 * posts 10,000, each a ZeroMQ allocation on this thread freed on the
 * data thread, which left holes between the control plane's own
 * allocations (rss_mb with 5,000 contracts, medians of 14 alternated
 * runs each: ~19.6 -> ~18.6 MB, docs/performance.md). A _begin while a
 * batch is open does nothing; _end ends it. */
void hamd_dataplane_batch_begin(struct hamd_dataplane *self);
void hamd_dataplane_batch_end(struct hamd_dataplane *self);

/* Adds or removes a subscribed contract (ticks for others are dropped). */
void hamd_dataplane_contract_add(struct hamd_dataplane *self,
                                 const char *vt_symbol);
void hamd_dataplane_contract_remove(struct hamd_dataplane *self,
                                    const char *vt_symbol);

/* Whether account's source may supply the contracts of first-arrival
 * exchanges (docs/failover.md, "Arbitration modes"): true while it is
 * HEALTHY on this node. A source starts not eligible. */
void hamd_dataplane_source_eligible(struct hamd_dataplane *self,
                                    const char *account, bool eligible);

/* Routes a contract to a source ("" = none). switch_id != 0 asks for a
 * HAMD_DP_EV_SWITCHED event when its first tick is published. */
void hamd_dataplane_assign(struct hamd_dataplane *self, const char *vt_symbol,
                           const char *account, uint64_t switch_id);

/* Sends [type][body] to a gateway. */
void hamd_dataplane_gw_send(struct hamd_dataplane *self, const char *account,
                            enum hamd_gw_type type, const void *body,
                            size_t len);

/* Publishes a msgpack body on topic `_event` (when publishing). */
void hamd_dataplane_publish_event(struct hamd_dataplane *self,
                                  const void *body, size_t len);

/* The relay channel (common/relay_proto.h): a follower relays to the
 * publisher's relay endpoint ("" = none; a new one forgets what the old
 * one asked for), sends it COVER bodies, and the publisher sends a
 * follower (by node id) RELAY bodies. */
void hamd_dataplane_relay_target(struct hamd_dataplane *self,
                                 const char *endpoint);
void hamd_dataplane_cover_send(struct hamd_dataplane *self, const void *body,
                               size_t len);
void hamd_dataplane_relay_set(struct hamd_dataplane *self, unsigned node,
                              const void *body, size_t len);

/* Copies the latest coverage report of every node heard from into
 * out[0..cap). Returns how many. */
unsigned hamd_dataplane_covers(struct hamd_dataplane *self,
                               struct hamd_dp_cover *out, unsigned cap);

/* Pops queued events, calling fn for each. Returns how many. */
unsigned hamd_dataplane_drain(struct hamd_dataplane *self,
                              void (*fn)(void *ud, const struct hamd_dp_event *ev),
                              void *ud);

/* Copies the latest statistics. */
void hamd_dataplane_stats(struct hamd_dataplane *self, struct hamd_dp_stats *out);

#endif /* HAMD_DATAPLANE_H */
