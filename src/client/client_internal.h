/* libhamd-client's shell: what client.c (the object, its thread) and
 * client_io.c (the ZeroMQ sockets and the poll step) share. The
 * decisions are client_core.c's. */
#ifndef HAMD_CLIENT_INTERNAL_H
#define HAMD_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <zmq.h>

#include "client/client_core.h"
#include "client/client_wire.h"
#include "common/curvekey.h"
#include "hamd/client.h"

#define CLIENT_THREAD_POLL_MS 100 /* the own thread's poll slice: how soon
                                     hamd_client_destroy stops it */

/* Copied options: the strings the caller gave, owned here. */
struct client_conf {
    char *endpoints[HAMD_CLIENT_ENDPOINTS_MAX];  /* publish */
    unsigned n_endpoints;                        /* >= 1 */
    char *snapshots[HAMD_CLIENT_ENDPOINTS_MAX];  /* snapshot */
    unsigned n_snapshots;                        /* 0: no snapshots */
    char *prefixes[HAMD_CLIENT_PREFIXES_MAX];    /* "" when none given */
    unsigned n_prefixes;                         /* >= 1 */
    struct hamd_client_opts cb;                  /* callbacks, ud, timeout */
    bool curve;                                  /* CURVE keys given */
    char server_key[HAMD_CURVE_Z85_LEN + 1];     /* the hub's, Z85 */
    char client_public[HAMD_CURVE_Z85_LEN + 1];  /* ours, Z85 */
    char client_secret[HAMD_CURVE_Z85_LEN + 1];  /* ours, Z85 */
};

struct hamd_client {
    struct client_conf conf;   /* what it was made with */
    void *zctx;                /* its own ZeroMQ context */
    void *subs[CCORE_SLOTS_MAX]; /* SUBs by slot (client_conn.h): a
                                    primary per publish endpoint, probes
                                    beside a silent one; NULL when closed */
    void *dealer;              /* snapshot DEALER, NULL when closed */
    char name_topic[CCWIRE_NAME_TOPIC_MAX]; /* `_client.<k>.<name>`, the
                                               same on every connection */
    struct ccore *core;        /* the decisions */
    zmq_msg_t topic;           /* receive buffers, reused */
    zmq_msg_t body;
    int delivered;             /* ticks delivered in this poll call */
    pthread_t thread;          /* hamd_client_start's */
    bool started;              /* the thread runs */
    atomic_bool stop;          /* asks the thread to end */
    pthread_mutex_t stats_lock; /* guards stats */
    struct hamd_client_stats stats; /* copy for hamd_client_stats */
};

/* Opens and connects a SUB per endpoint. Returns 0 or -1 with errno. */
int client_io_open(struct hamd_client *self);

/* Closes every socket. */
void client_io_close(struct hamd_client *self);

/* One poll step (hamd_client_poll). */
int client_io_poll(struct hamd_client *self, int timeout_ms);

/* Copies the core's counters for hamd_client_stats. */
void client_stats_publish(struct hamd_client *self);

#endif /* HAMD_CLIENT_INTERNAL_H */
