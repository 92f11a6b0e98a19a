/* Data plane internals shared by dataplane.c (thread, door, API),
 * dp_ingest.c (gateway messages), dp_publish.c (PUB, cache, snapshot) and
 * dp_follow.c (the publisher's stream, taking over). When to publish,
 * hold or send what was held is decided by the publish gate
 * (core/gate.h); these files carry its decisions out. Everything here is
 * owned by the data thread unless marked otherwise. */
#ifndef HAMD_DP_INTERNAL_H
#define HAMD_DP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "common/lease_cell.h"
#include "common/log.h"
#include "common/slab.h"
#include "common/strmap.h"
#include "common/tick_splice.h"
#include "common/watermark.h"
#include "dataplane/dataplane.h"
#include "core/followmode.h"
#include "core/gate.h"
#include "core/gwauth.h"
#include "core/inflight.h"

#define DP_POLL_MAX_MS 10          /* longest sleep of the data loop */
#define DP_TRIM_FIRST_MS 5000      /* free heap looked at after start-up */
#define DP_TRIM_INTERVAL_MS 60000  /* ... then this often: a malloc_trim
                                      stalls this thread for ~10 ms with a
                                      fragmented heap */
#define DP_TRIM_FREE_MIN_BYTES (4u << 20) /* ... and given back only when
                                             this much sits free in it */
#define DP_BATCH_MAX 2048          /* gateway ticks (or other messages)
                                      handled per wakeup */
#define DP_EVENT_QUEUE_CAP 4096    /* upward events buffered, at most */
#define DP_EVENT_QUEUE_INITIAL 64  /* ... first and again once drained:
                                      the queue doubles while the control
                                      thread falls behind. An event is 288
                                      bytes, so a full queue is 1.2 MB */
#define DP_CONTRACTS_INITIAL 1024  /* initial contract map capacity */
#define DP_GW_RCVHWM 1024          /* gateway ROUTER receive HWM, messages
                                      (one TICK may carry up to
                                      HAMD_GW_TICKS_PER_MSG_MAX ticks):
                                      beyond it a gateway's sends wait
                                      (back-pressure, never a drop). A
                                      queued one-tick message holds ~1.9
                                      KB of ZeroMQ's receive buffers: at
                                      4,096 a 5,000-tick burst kept 7 MB
                                      resident; 1,024 are still 1 - 5 ms
                                      of the data thread's work */
#define DP_LINGER_MS 0             /* close sockets without waiting */
#define DP_DOOR_BATCH_MAX 4096     /* door messages one DP_DOOR_BATCH
                                      carries (~460 KB), at most */
#define DP_DOOR_BATCH_INITIAL 256  /* ... allocated first; doubled */
#define DP_POLL_ITEMS 7            /* gateways, door, snapshot, PUB, relay
                                      in and out, the ZAP handler */
#define DP_ZAP_DOMAIN_GW "hamd-gw"       /* ZAP domain of the gateway ROUTER */
#define DP_ZAP_DOMAIN_RELAY "hamd-relay" /* ... of the relay ROUTER */
#define DP_ZAP_DOMAIN_CLIENTS "hamd-clients" /* ... of PUB and snapshot,
                                               with CURVE */
#define DP_HB_TOPIC "_hb"          /* the publisher's heartbeat topic */
#define DP_FOLLOW_DRAIN_MS 20      /* a follower reads the publisher's
                                      stream this often, in one batch */
#define DP_FOLLOW_INFLIGHT_MS 20   /* a tick counts as sent to clients once
                                      the publisher sent another message
                                      this much later, its clock: one I/O
                                      pass serves every subscriber, so
                                      microseconds apart (inflight.h) */
#define DP_FOLLOW_INFLIGHT_MAX 65536 /* ticks waiting for that, at most:
                                        300k ticks/s over 200 ms */
#define DP_WM_INTERVAL_MS 5        /* a publisher sends its followers a
                                      watermark at most this often while
                                      it publishes: a follower's guard
                                      trails by that much more, so a
                                      takeover may re-send a tick per
                                      200 ticks/s of a contract more;
                                      200 messages/s at most */
#define DP_WM_INITIAL 256          /* first size of the list of contracts
                                      sent since the last watermark */
#define DP_MULTI_INITIAL 64        /* first size of the list of contracts
                                      two sources can touch (dp_stats.c) */
#define DP_PEEK_WINDOW 64          /* a source's bodies judged between two
                                      decisions to peek at its bodies
                                      first (dp_ingest.c) */
#define DP_PEEK_SPARED_DIV 6       /* ... peeking, when 1 in 6 or more of
                                      the last window's needed no decode
                                      (stale, or kept for a replay): a
                                      peek costs every body ~310
                                      instructions, a body it spares
                                      saves ~1,950, even at 310 / 1,950 =
                                      1 / 6.3 */
#define DP_UNREAD_CHECK_EVERY 16   /* a source's copies judged on a peek
                                      (dp_ingest.c): every 16th is
                                      decoded in full all the same, so a
                                      standby whose bodies are corrupt
                                      past the peeked keys is counted
                                      malformed (the health check's
                                      default trips at 1 a check) while
                                      the other 15 save ~90 % of what
                                      the peek can */

/* Door operations, control -> data, sent as [struct dp_door_msg][body?]. */
enum dp_door_op {
    DP_DOOR_SOURCE_ADD,
    DP_DOOR_SOURCE_REMOVE,
    DP_DOOR_SOURCE_TOKEN,
    DP_DOOR_CONTRACT_ADD,
    DP_DOOR_CONTRACT_REMOVE,
    DP_DOOR_ASSIGN,
    DP_DOOR_ELIGIBLE,
    DP_DOOR_GW_SEND,
    DP_DOOR_EVENT,
    DP_DOOR_FOLLOW,
    DP_DOOR_RELAY_TARGET,
    DP_DOOR_COVER,
    DP_DOOR_RELAY_SET,
    DP_DOOR_STOP,
    DP_DOOR_BATCH,   /* body: door messages without a body, in order */
};

/* One door message, sent by value (both ends are this process). Kept
 * small (112 bytes): the start-up posts two per contract (add, assign),
 * 10,000 for 5,000 contracts, each a ZeroMQ allocation on the control
 * thread freed on the data thread; at 376 bytes, with a source's
 * exchanges inline, they churned ~4 MB of the control thread's heap. A
 * source's exchanges go in DP_DOOR_SOURCE_ADD's body instead. */
struct dp_door_msg {
    enum dp_door_op op;                    /* what to do */
    char account[HAMD_ACCOUNT_ID_MAX];     /* source, where relevant */
    char vt_symbol[HAMD_VT_SYMBOL_MAX];    /* contract or canary */
    uint64_t switch_id;                    /* DP_DOOR_ASSIGN; the node of
                                              DP_DOOR_RELAY_SET */
    enum hamd_gw_type gw_type;             /* DP_DOOR_GW_SEND */
    bool eligible;                         /* DP_DOOR_ELIGIBLE */
};

/* One hot source (gateway account) known to the data plane. */
struct dp_source {
    bool used;                            /* slot in use */
    char account[HAMD_ACCOUNT_ID_MAX];    /* = DEALER identity */
    size_t account_len;                   /* strlen(account) */
    char canary[HAMD_VT_SYMBOL_MAX];      /* canary contract or "" */
    unsigned n_exch;                      /* exchanges in use */
    char exchanges[HAMD_DP_EXCH_MAX][HAMD_EXCHANGE_MAX]; /* it serves */
    struct hamd_log_rate bad_rate;        /* limits malformed-input logs */
    struct hamd_gwauth auth;              /* its launch token and the
                                             connection that proved it */
    struct hamd_log_rate auth_rate;       /* limits refused-message logs */
    unsigned unread_unchecked;            /* copies judged on a peek since
                                             the last one decoded in full
                                             (DP_UNREAD_CHECK_EVERY) */
    bool peek_off;                        /* do not peek at its bodies: too
                                             few of the last window's
                                             needed no decode
                                             (DP_PEEK_SPARED_DIV): the
                                             active source in priority
                                             mode, a race's usual winner */
    unsigned peek_bodies;                 /* bodies judged this window */
    unsigned peek_spared;                 /* ... of them stale or kept:
                                             a peek spares their decode */
    int64_t latency_sum_ms;               /* this stats period */
    uint64_t latency_n;                   /* this stats period */
    struct hamd_dp_source_stats st;       /* counters and times */
};

/* One subscribed contract. */
struct dp_contract {
    char vt_symbol[HAMD_VT_SYMBOL_MAX];   /* its key in contracts */
    size_t vt_len;                        /* strlen(vt_symbol) */
    struct hamd_arb_contract arb;         /* routing, guard, replay rings */
    uint64_t seq;                         /* last seq stamped */
    uint64_t seq_term;                    /* term the seq counts in */
    uint32_t served;                      /* bit s: source s serves it */
    uint32_t rx_from;                     /* bit s: source slot s delivered
                                             it (kept when the source goes:
                                             its receipt stays freshest) */
    uint32_t multi_slot;                  /* 1 + its index in dp->multi,
                                             0 = not in it (dp_stats.c) */
    bool first;                           /* first-arrival arbitration (its
                                             exchange's mode) */
    int64_t *last_rx_ns;                  /* per source, monotonic,
                                             HAMD_ARB_MAX_SOURCES of them,
                                             allocated once two sources
                                             serve or delivered it
                                             (dp_stats.c); NULL before,
                                             freshest_rx_ns being the one
                                             source's (inline, they were
                                             128 bytes on every contract) */
    int64_t freshest_rx_ns;               /* newest receive of any source */
    uint64_t switch_id;                   /* pending switch to report */
    unsigned switch_replayed;             /* ticks replayed by that switch */
    uint8_t *lvc;                         /* last published tick, compact
                                             (common/tick_compact.h) */
    uint32_t lvc_len;                     /* bytes in lvc, 0 = none yet */
    uint32_t lvc_cap;                     /* bytes allocated for lvc: its
                                             size class (dp->lvc_slabs) */
    int relay_src;                        /* source whose ticks this
                                             follower relays to the
                                             publisher, HAMD_ARB_NO_SOURCE */
    int relay_next;                       /* scratch of a RELAY being
                                             applied (dp_relay.c) */
    uint32_t relay_gen;                   /* the RELAY that set relay_next */
    uint32_t wm_slot;                     /* 1 + its index in the
                                             publisher's watermark list,
                                             0 = not in it */
};

/* A contract sent since the last watermark, and its last sent tick's
 * guard values (dp_watermark.c). */
struct dp_wm_entry {
    struct dp_contract *c;   /* NULL once the contract went away */
    int64_t datetime_ns;     /* exchange time of its last sent tick */
    double volume;           /* volume of that tick */
};

/* CURVE on the network sockets (dp_curve.c). */
struct dp_curve {
    bool on;                              /* [publish] curve_secret_file */
    char secret[41];                      /* the cluster's secret key, Z85 */
    char public[41];                      /* its public key, Z85 */
    uint8_t public_key[32];               /* the same, binary */
    uint8_t *clients;                     /* allowed client keys, 32 bytes
                                             each (curve_clients_dir) */
    unsigned n_clients;                   /* keys in clients */
    time_t clients_mtime;                 /* the directory's, when read */
};

struct hamd_dataplane {
    struct hamd_dataplane_opts opts;      /* copied at creation */
    void *zctx;                           /* ZeroMQ context */
    void *door_ctl;                       /* PAIR, control thread's end */
    bool batching;                        /* control thread: between
                                             hamd_dataplane_batch_begin
                                             and _end */
    struct dp_door_msg *batch;            /* ... the body-less door
                                             messages held meanwhile, NULL
                                             when none */
    size_t batch_len;                     /* messages in batch */
    size_t batch_cap;                     /* messages allocated */
    void *door;                           /* PAIR, data thread's end */
    void *gw;                             /* ROUTER for gateways */
    void *pub;                            /* PUB, NULL when not publishing */
    void *snap;                           /* ROUTER, NULL when not publishing */
    pthread_t thread;                     /* the data thread */
    bool started;                         /* thread running: join it */
    bool stopping;                        /* DP_DOOR_STOP seen */

    struct hamd_lease_cell lease;         /* written by control, read as
                                             one pair (common/lease_cell.h) */
    struct hamd_gate gate;                /* when to publish, hold, send what
                                             was held (core/gate.h) */

    /* Following the publisher (dp_follow.c). */
    void *follow;                         /* SUB on the publisher's PUB, NULL
                                             while none is known */
    char follow_ep[HAMD_DP_ENDPOINT_MAX]; /* its endpoint, "" = none */
    int64_t next_follow_drain_ns;         /* next read of it, monotonic */
    uint64_t follow_msgs;                 /* messages read from it */
    struct hamd_inflight *inflight;       /* ticks read from it, waiting for
                                             the publisher to outlive them */
    uint64_t takeover_replayed;           /* held ticks sent on taking over */
    struct hamd_strmap *client_names;     /* client library name -> its
                                             connections subscribed on PUB
                                             (uintptr_t), dp_clients.c;
                                             NULL = none yet */
    uint64_t replay_lost;                 /* ticks a replay found let go
                                             unsent (hamd_arb_take_lost) */
    struct hamd_log_rate lost_rate;       /* limits their logs */
    struct hamd_followmode follow_mode;   /* watermarks or every tick */

    /* The watermark stream to followers, while publishing
     * (dp_watermark.c). */
    struct dp_wm_entry *wm;               /* contracts sent since the last
                                             watermark, in first-sent order */
    uint32_t wm_len;                      /* entries in wm */
    uint32_t wm_cap;                      /* entries allocated */
    int64_t next_wm_ns;                   /* no watermark before, monotonic */
    uint64_t wm_sent;                     /* `_wm` messages sent */
    uint8_t wmbuf[HAMD_WM_BODY_MAX];      /* scratch `_wm` body */

    /* The relay channel (dp_relay.c, dp_zap.c). */
    void *relay_in;                       /* ROUTER on opts.relay, NULL when
                                             the node has none */
    void *zap;                            /* ZAP handler guarding relay_in */
    void *relay_out;                      /* DEALER to the publisher's
                                             relay_in, NULL when none */
    char relay_target[HAMD_DP_ENDPOINT_MAX]; /* its endpoint, "" = none */
    uint32_t relay_gen;                   /* RELAY sets applied */
    uint64_t relaying;                    /* contracts relayed now */
    uint64_t relay_ticks_out;             /* ticks relayed to the publisher */
    uint64_t relay_ticks_in;              /* relayed-tick messages taken */
    uint64_t relay_unsolicited;           /* ... of sources not registered */
    uint64_t relay_bad;                   /* malformed relay messages */
    uint64_t relay_refused;               /* connections of non-members */
    uint64_t clients_refused;             /* CURVE clients not allowed */
    struct hamd_log_rate clients_rate;    /* limits their logs */
    struct dp_curve curve;                /* CURVE keys (dp_curve.c) */
    uint64_t relay_send_errors;           /* sends ZeroMQ refused */
    struct hamd_log_rate relay_rate;      /* limits relay logs */

    struct dp_source sources[HAMD_ARB_MAX_SOURCES]; /* index = arbiter's */
    uint32_t eligible;                    /* bit s: source s is HEALTHY here
                                             and may supply first-arrival
                                             contracts (dp_arbitration.c) */
    struct hamd_strmap *contracts;        /* vt_symbol -> dp_contract */
    struct hamd_slab *contract_slab;      /* the dp_contracts, carved from
                                             128 KiB blocks (common/slab.h) */
    struct hamd_slabs *lvc_slabs;         /* their cached ticks, by size
                                             class (common/slab.h) */
    struct hamd_arb_totals arb_totals;    /* every contract's replay rings,
                                             counted as they change */
    uint64_t cached;                      /* contracts with a cached tick */
    struct dp_contract **multi;           /* contracts two sources or more
                                             serve or delivered: the only
                                             ones a source can lag on */
    uint32_t multi_len;                   /* entries in multi */
    uint32_t multi_cap;                   /* entries allocated */
    struct hamd_strmap *by_account;       /* account -> dp_source */

    int64_t next_hb_ns;                   /* monotonic */
    int64_t next_stats_ns;                /* monotonic */
    int64_t next_trim_ns;                 /* next malloc_trim, monotonic */
    uint64_t published;                   /* ticks in total */
    uint64_t pub_errors;                  /* ticks ZeroMQ refused */
    uint64_t unknown_source;              /* messages of unknown identities */
    uint64_t gw_conns;                    /* gateway connections admitted:
                                             the last one's id */
    uint64_t unsubscribed;                /* ticks of unsubscribed contracts */
    uint64_t snapshots;                   /* snapshot requests answered */
    struct hamd_log_rate unknown_rate;    /* limits unknown-source logs */
    struct hamd_log_rate bind_rate;       /* limits bind-failure logs */
    uint8_t encbuf[HAMD_TICK_WIRE_MAX];   /* scratch encoder buffer */
    uint8_t keepbuf[HAMD_TICK_WIRE_MAX];  /* a body too long to keep as
                                             it came, encoded again
                                             (dp_ingest.c) */

    /* Shared with the control thread, under lock. */
    pthread_mutex_t lock;
    struct hamd_dp_event *events;         /* ring of ev_cap events */
    unsigned ev_cap;                      /* DP_EVENT_QUEUE_INITIAL, doubled
                                             up to DP_EVENT_QUEUE_CAP */
    unsigned ev_head;                     /* oldest queued event */
    unsigned ev_len;                      /* events queued */
    uint64_t events_dropped;              /* lost to a full queue */
    struct hamd_dp_stats stats;           /* last published statistics */
    struct hamd_dp_cover covers[HAMD_DP_COVERS_MAX]; /* latest COVER per
                                             node (relay_in) */
    unsigned n_covers;                    /* entries in covers */
    void (*notify)(void *ud);             /* events queued (data thread) */
    void *notify_ud;                      /* its argument */
};

/* dataplane.c */
void dp_event_push(struct hamd_dataplane *dp, const struct hamd_dp_event *ev);

/* dp_ingest.c: handles one gateway message [identity][type][body]...
 * (gwproto.h). The identity frame is given; the others are pulled in
 * order with next, which stores one frame (valid until its next call) and
 * whether more follow, and returns false when it could not read one; it
 * also points *conn at the id of the connection the frames came on (ZAP's
 * User-Id, dp_zap.c; "" = none), read from a pulled frame since libzmq
 * 4.3 attaches no metadata to an identity frame it prefetched for a poll.
 * A TICK's bodies are ingested one by one as they are pulled. It may stop
 * before the last frame (a bad message): the caller discards the rest. */
void dp_ingest_message(struct hamd_dataplane *dp, const void *id,
                       size_t id_len, const char *const *conn,
                       bool (*next)(void *ud, const void **frame, size_t *len,
                                    bool *more),
                       void *ud, int64_t now_ns);

/* dp_ingest.c: ingests the tick bodies of a relayed-tick message from
 * source s (ACCOUNT@nodeN), pulled with next like dp_ingest_message's. */
void dp_ingest_relayed(struct hamd_dataplane *dp, struct dp_source *s,
                       bool (*next)(void *ud, const void **frame, size_t *len,
                                    bool *more),
                       void *ud, int64_t now_ns);

/* dp_arbitration.c: first-arrival arbitration (docs/failover.md) */

/* Sets c->first from its exchange's mode (opts.arbitration and the
 * [arbitration] overrides). */
void dp_arb_contract_mode(struct hamd_dataplane *dp, struct dp_contract *c);
/* Hands c's arbiter the sources that may supply it now: in first-arrival
 * mode those that serve it and are eligible. A newcomer's kept ticks go
 * out at once while the node sends live (else they wait for the flush). */
void dp_arb_contract_eligible(struct hamd_dataplane *dp, struct dp_contract *c,
                              int64_t now_ns);
/* Applies dp_arb_contract_eligible to every contract. */
void dp_arb_refresh(struct hamd_dataplane *dp, int64_t now_ns);
/* DP_DOOR_ELIGIBLE: account's source is (not) eligible from now. */
void dp_arb_source_eligible(struct hamd_dataplane *dp, const char *account,
                            bool eligible);

/* dp_gwauth.c: the launch tokens (core/gwauth.h) */

/* True when a message other than HELLO from conn is taken; otherwise it
 * was counted and logged (rate-limited) and must be dropped. */
bool dp_gwauth_message(struct dp_source *s, const char *conn);
/* True when a HELLO carrying token from conn proves the launch; otherwise
 * counted and logged like a refused message. */
bool dp_gwauth_hello(struct dp_source *s, const char *conn,
                     const char *token);

/* dp_relay.c */

/* Binds the relay ROUTER (and its ZAP handler) when opts.relay is set.
 * Returns 0, or -1 with a message in err. */
int dp_relay_bind(struct hamd_dataplane *dp, char *err, size_t cap);
/* Connects the DEALER to the publisher's relay endpoint ("" = none);
 * a new target forgets what the old one asked to relay. */
void dp_relay_target(struct hamd_dataplane *dp, const char *endpoint);
/* Sends a COVER body to the publisher (a follower). */
void dp_relay_cover(struct hamd_dataplane *dp, const void *body, size_t len);
/* Sends a RELAY body to node's DEALER (the publisher). */
void dp_relay_request(struct hamd_dataplane *dp, unsigned node,
                      const void *body, size_t len);
/* Relays one tick body of source s to the publisher (a follower). */
void dp_relay_tick(struct hamd_dataplane *dp, const struct dp_source *s,
                   const void *body, size_t len);
/* Reads relay_in (COVER, RTICK) and relay_out (RELAY). */
void dp_relay_in_drain(struct hamd_dataplane *dp);
void dp_relay_out_drain(struct hamd_dataplane *dp);
/* Closes every relay socket. */
void dp_relay_close(struct hamd_dataplane *dp);

/* dp_zap.c */

/* Binds the ZAP handler. Returns 0, or -1 (errno set). */
int dp_zap_open(struct hamd_dataplane *dp);
/* Answers one waiting ZAP request. */
void dp_zap_serve(struct hamd_dataplane *dp);
/* True when address is one of opts.members. */
bool dp_zap_member(const struct hamd_dataplane *dp, const char *address);
/* Closes the handler. */
void dp_zap_close(struct hamd_dataplane *dp);

/* dp_curve.c */

/* Reads [publish] curve_secret_file and the allowed client keys. Returns
 * 0 (also without CURVE), or -1 with a message in err. */
int dp_curve_setup(struct hamd_dataplane *dp, char *err, size_t cap);
/* With CURVE: makes sock a CURVE server with the cluster's key, its
 * clients checked by the ZAP handler under domain. */
void dp_curve_server(struct hamd_dataplane *dp, void *sock,
                     const char *domain);
/* With CURVE: makes sock a CURVE client of another node, with the
 * cluster's key pair. */
void dp_curve_client(struct hamd_dataplane *dp, void *sock);
/* True when key (32 bytes) may read PUB and snapshot: the cluster's or an
 * allowed client's. */
bool dp_curve_client_allowed(struct hamd_dataplane *dp, const uint8_t *key);
/* True when key is the cluster's own (another node). */
bool dp_curve_is_cluster(const struct hamd_dataplane *dp, const uint8_t *key);
/* Wipes the secret key and frees the allowed keys. */
void dp_curve_free(struct hamd_dataplane *dp);

/* dp_clients.c: who on PUB is a client */

#define DP_FOLLOW_MARKER "_follower" /* a follower also subscribes to this
                                        topic (never published): it tells
                                        a new publisher's XPUB that a
                                        subscriber is a node, not a client */

/* Reads the subscriptions arriving on PUB (an XPUB) and tells the gate
 * what they changed: its clients by kind and its followers. */
void dp_clients_read(struct hamd_dataplane *dp, int64_t now_ns);
/* Forgets the library names counted: PUB closed, its subscribers left. */
void dp_clients_reset(struct hamd_dataplane *dp);

/* dp_follow.c */

/* Follows the publisher at endpoint ("" = stop reading; the ticks held so
 * far stay for a takeover). */
void dp_follow_set(struct hamd_dataplane *dp, const char *endpoint);
/* Reads what the publisher sent and moves the guards, when due: every
 * DP_FOLLOW_DRAIN_MS, not on every message (see dp_follow.c). */
void dp_follow_drain_due(struct hamd_dataplane *dp, int64_t now_ns);
/* How long the publisher's stream has been silent (since it was
 * connected if nothing came yet), ms; -1 when not following. Logs once
 * when a silence passes the gate's silent_warn_ms and once when it
 * ends. */
int64_t dp_follow_silence_ms(struct hamd_dataplane *dp, int64_t now_ns);
/* When the gate says the takeover is due: sends the held ticks newer than
 * the old publisher's last known one (all of them when it is not known);
 * the node stops holding. */
void dp_follow_takeover_due(struct hamd_dataplane *dp, int64_t now_ns);

/* dp_watermark.c: what a publisher tells its followers it sent
 * (common/watermark.h). */

/* Adds a sent tick of c to the next watermark (dp_wm_note). */
void dp_wm_mark(struct hamd_dataplane *dp, struct dp_contract *c,
                int64_t datetime_ns, double volume);
/* Sends the watermark when due: every DP_WM_INTERVAL_MS while ticks were
 * sent, and just before every _hb, while followers are connected. Call
 * it before dp_heartbeat_due. */
void dp_wm_due(struct hamd_dataplane *dp, int64_t now_ns);
/* When the next watermark is due (monotonic), INT64_MAX for none. */
int64_t dp_wm_due_ns(const struct hamd_dataplane *dp);
/* Forgets c, which goes away. */
void dp_wm_forget(struct hamd_dataplane *dp, struct dp_contract *c);
/* Forgets every pending entry: PUB closed, its followers went with it. */
void dp_wm_reset(struct hamd_dataplane *dp);
/* Frees the list. */
void dp_wm_free(struct hamd_dataplane *dp);

/* A tick of c was handed to PUB: the next watermark names it, when there
 * are followers to tell. Inline, one branch without them: it runs for
 * every tick sent. */
static inline void dp_wm_note(struct hamd_dataplane *dp, struct dp_contract *c,
                              const struct hamd_tick *tick)
{
    if (hamd_gate_followers(&dp->gate) > 0)
        dp_wm_mark(dp, c, tick->datetime_ns, tick->volume);
}

/* dp_publish.c */

/* Applies fn to every contract. */
void dp_contracts_each(struct hamd_dataplane *dp,
                       void (*fn)(struct hamd_dataplane *dp,
                                  struct dp_contract *c, int64_t now_ns),
                       int64_t now_ns);

/* A replay of the ticks kept for a contract's active (and, in first-arrival
 * mode, eligible) sources: a switch, a source becoming eligible, the end
 * of a lease lapse, a takeover. What dp_replay_emit needs. */
struct dp_replay {
    struct hamd_dataplane *dp; /* the data plane */
    struct dp_contract *c;     /* the contract replayed */
    int64_t now_ns;            /* monotonic time of the replay */
};

/* hamd_arb_emit_fn over a struct dp_replay: decodes one kept body of a
 * source of the contract and publishes it (see dp_publish_tick). A body
 * kept unread that proves malformed is counted against its source and
 * not sent: HAMD_ARB_EMIT_UNFIT. A tick the lease check stops:
 * HAMD_ARB_EMIT_STOP, it stays kept with the rest of the replay. */
enum hamd_arb_emit dp_replay_emit(void *ud, int source,
                                  const struct hamd_arb_tick *kept);

/* Decodes a tick body of source s (dp_ingest.c): *tick with the source's
 * account as gateway_name, and *wire where it can be spliced. A
 * malformed body is counted against s and logged at a limited rate:
 * false. */
bool dp_tick_decode(struct dp_source *s, const void *body, size_t len,
                    struct hamd_tick *tick, struct hamd_tick_splice *wire);

/* Counts a malformed message or body against s, logged at a limited
 * rate (dp_ingest.c). */
void dp_source_reject(struct dp_source *s, const char *what);

/* The lease as the control plane set it last: its term and deadline of
 * one write, never one write's term with another's deadline. */
static inline struct hamd_gate_lease dp_lease(struct hamd_dataplane *dp)
{
    struct hamd_gate_lease lease;
    hamd_lease_cell_load(&dp->lease, &lease.term, &lease.until_ns);
    return lease;
}
/* What the gate says of a live tick, or of a switch's replay, at now_ns
 * (hamd_gate_tick); logs a lapse it noticed. */
enum hamd_gate_tick dp_gate_tick(struct hamd_dataplane *dp,
                                 const struct hamd_gate_lease *lease,
                                 int64_t now_ns);
/* What a live tick brings to dp_publish_tick besides itself. */
struct dp_live {
    struct hamd_arb_tick kept; /* its body as a hold keeps it */
    int64_t wall_ns;           /* wall clock when it was taken in: its
                                  hub_ns, one clock read */
};

/* Under the lease, sends one tick, then numbers and caches it. wire: the
 * gateway's body when it can be spliced (tick_splice.h), else NULL: the
 * tick is encoded. live: a live tick, which the gate may hold for later
 * (a lapse, a follower); replays pass NULL, since they iterate the very
 * ring a hold would push into. The lease is checked last, just before
 * the send: a tick that check stops is neither numbered, cached nor
 * marked published (a live one is held) and the call returns false, so
 * a replay stops there and keeps the rest (core/gate.h, rule 1). */
bool dp_publish_tick(struct hamd_dataplane *dp, struct dp_contract *c,
                     int source, const struct hamd_tick *tick,
                     const struct hamd_tick_splice *wire,
                     const struct dp_live *live, int64_t now_ns);
/* Sends an _event message (body: msgpack) while publishing. */
void dp_publish_event(struct hamd_dataplane *dp, const void *body, size_t len);
/* Opens or closes PUB and the snapshot ROUTER to match the lease, and
 * sends what a lapse held when it ends (hamd_gate_reconcile). */
void dp_endpoints_reconcile(struct hamd_dataplane *dp, int64_t now_ns);
/* Closes PUB and the snapshot ROUTER. */
void dp_endpoints_close(struct hamd_dataplane *dp);
/* Answers one waiting snapshot request, if any. */
void dp_snapshot_serve(struct hamd_dataplane *dp);
/* Sends _hb when it is due and this node publishes. */
void dp_heartbeat_due(struct hamd_dataplane *dp, int64_t now_ns);

/* dp_stats.c: the statistics for the control plane */

/* c's served or rx_from bits changed: it joins or leaves the contracts
 * whose lags the statistics look at, and gets its per-source receive
 * times on joining. Call it before freshest_rx_ns takes a receipt of a
 * source new to c: until then that is the earlier source's last one. */
void dp_stats_contract_touched(struct hamd_dataplane *dp, struct dp_contract *c);
/* Forgets c, which goes away (frees its per-source receive times). */
void dp_stats_contract_forget(struct hamd_dataplane *dp, struct dp_contract *c);
/* Frees the list. */
void dp_stats_free(struct hamd_dataplane *dp);
/* Computes the statistics and hands them to the control thread. */
void dp_stats_refresh(struct hamd_dataplane *dp, int64_t now_ns);

#endif /* HAMD_DP_INTERNAL_H */
