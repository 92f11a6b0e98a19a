/* The node: the control plane of one hamd process (docs/architecture.md),
 * and the composition root of the control loop.
 *
 * One libuv loop on the main thread runs Raft, the admin API, the gateway
 * supervisor, the health monitor and the failover engine. The data plane
 * runs on its own thread (dataplane.h). Only the node's own files know
 * this struct; every module it starts sees the node through the deps
 * struct of its header:
 *
 *   node.c          life cycle: start, roles and lease, shutdown
 *   node_modules.c  starts the modules, each with its deps: the node's
 *                   queries and commands they call back
 *   reconcile.c     replicated store -> gateways, subscriptions, routing
 *   monitor.c       health monitor shell (every node, own gateways)
 *   steer*.c        failover engine shell (leader only)
 *   events.c        events: log, replicated history, `_event`
 *   hooks.c         on_leader / on_follower scripts
 *   secrets.c       secret params: the vault, sealed seeds, opened params
 *   admin/          admin HTTP API (admin.h: struct hamd_admin_deps)
 */
#ifndef HAMD_NODE_INTERNAL_H
#define HAMD_NODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/strmap.h"
#include "common/strpool.h"
#include "config/config.h"
#include "control/supervisor.h"
#include "dataplane/dataplane.h"
#include "raft/cluster.h"
#include "raft/store.h"

#define NODE_SHUTDOWN_TRANSFER_MS 3000 /* leadership handover budget */
#define NODE_SHUTDOWN_GRACE_MS 10000   /* whole shutdown budget */
#define NODE_SECRETS_RETRY_MS 5000     /* a gateway whose secrets did not
                                          open is tried again this often */

struct hamd_admin;
struct hamd_cover;
struct hamd_events;
struct hamd_hooks;
struct hamd_monitor;
struct hamd_notify;
struct hamd_event_hook;
struct hamd_steer;
struct hamd_vault;

/* One account as this node runs it (its health: monitor.c). */
struct node_gw {
    struct hamd_account acct;           /* as last read from the store */
    bool running;                       /* supervisor told to run it */
    bool seen;                          /* scratch: still in the store */
    bool secrets_wait;                  /* its secrets did not open (and
                                           that was said): secrets_timer
                                           tries again */
};

/* One subscribed contract as this node routes it: 5,000 of them, so the
 * source ids are the pool's copies (node->source_ids) and the vt_symbol
 * is as long as it is: ~32 bytes a record where three fixed arrays took
 * 136 (docs/performance.md, "Memory, session 10"). */
struct node_contract {
    const char *assigned;               /* the store's source id ("" none),
                                           pooled */
    const char *routed;                 /* source told to the data plane,
                                           pooled: the assigned one, but a
                                           relayed source ACCOUNT@nodeN is
                                           this node's own ACCOUNT unless
                                           this node publishes and N is
                                           another node (reconcile.c) */
    bool desired;                       /* scratch flag of reconcile */
    char vt_symbol[];                   /* its key in contracts */
};

struct hamd_node {
    const struct hamd_config *cfg;      /* the configuration, read-only */
    uv_loop_t loop;                     /* the control loop */
    uv_signal_t sigterm;                /* SIGTERM: shut down */
    uv_signal_t sigint;                 /* SIGINT: shut down */
    struct hamd_hangup *hangup;         /* SIGHUP: logged, ignored */
    uv_async_t dp_wakeup;               /* data plane queued events */
    uv_timer_t shutdown_timer;          /* shutdown deadline */
    uv_timer_t lapse_timer;             /* how long a lease lapse may last;
                                           at shutdown: the VIP release */
    uv_timer_t secrets_timer;           /* retries the gateways whose
                                           secrets did not open */

    struct hamd_store *store;           /* replicated state (LMDB) */
    struct hamd_cluster *cluster;       /* Raft and the lease */
    struct hamd_dataplane *dp;          /* the data thread */
    struct hamd_supervisor *sup;        /* gateway processes */
    struct hamd_admin *admin;           /* admin HTTP API */
    struct hamd_events *events;         /* event log, history, `_event` */
    struct hamd_hooks *hooks;           /* role-change hooks */
    struct hamd_notify *notify;         /* systemd READY/STATUS/WATCHDOG */
    struct hamd_event_hook *event_hook; /* [hooks] on_event */
    struct hamd_monitor *monitor;       /* health checks */
    struct hamd_steer *steer;           /* failover shell */
    struct hamd_cover *cover;           /* coverage shell: reports, source-
                                           driven transfers, relays */
    struct hamd_vault *vault;           /* [accounts] key_file: seals and
                                           opens secret params */
    struct hamd_account *seeds;         /* the seed accounts with their
                                           secrets sealed (NULL: the
                                           config's are used as they are) */

    bool witness;                       /* votes only: no gateways */
    bool publishing;                    /* holds the lease (or a lapse) */
    bool lapsed;                        /* lease expired, same term, still
                                           Raft leader: may come back */
    uint64_t term;                      /* current Raft term */
    uint64_t leader_id;                 /* 0 = unknown */
    uint64_t last_leader_id;            /* the newest leader known, even
                                           during an election (0: none) */
    uint64_t prev_leader_id;            /* the one before it (0: none) */
    uint64_t elected_term;              /* term of the last leader_elected
                                           this node raised */
    enum hamd_cluster_role role;        /* as last reported by Raft */

    struct hamd_strmap *gateways;       /* account id -> node_gw */
    struct hamd_strmap *contracts;      /* vt_symbol -> node_contract */
    struct hamd_strpool *source_ids;    /* the source ids contracts name */
    struct hamd_strmap *relays;         /* relayed source ids registered
                                           with the data plane -> the map
                                           itself (a set) */

    bool stopping;                      /* shutdown under way */
    bool transferring;                  /* shutdown handover in flight */
    bool release_vip_at_exit;           /* on_follower deferred until the
                                           gateways are down (handover) */
    bool draining;                      /* past the handover: closing down */
    int exit_code;                      /* returned by hamd_node_run */
    int datadir_lock;                   /* fd holding data_dir's lock, -1 */
};

/* reconcile.c: bring gateways / contracts / routing in line with the
 * store. */
void node_reconcile_accounts(struct hamd_node *node);

/* reconcile.c: secrets_timer's callback: starts again the gateways whose
 * secrets did not open, now that the key file may have the key. */
void node_secrets_retry_cb(uv_timer_t *t);
void node_reconcile_subscriptions(struct hamd_node *node);
void node_reconcile_routing(struct hamd_node *node);
void node_reconcile_all(struct hamd_node *node);

/* reconcile.c: send a gateway its full SUBSCRIBE (after HELLO). */
void node_gateway_subscribe_all(struct hamd_node *node, const char *account);

/* reconcile.c: free the node's maps. */
void node_maps_free(struct hamd_node *node);

/* secrets.c: opens the vault of [accounts] key_file and checks that
 * every sealed value of the store opens. Returns -1 (and logs why: the
 * node must not start) when not. */
int node_secrets_start(struct hamd_node *node);

/* secrets.c: the seed accounts to hand the consensus layer, with their
 * secrets sealed (*seeds points at node->seeds, or at the config's when
 * there is no key). Returns 0, or -1 after logging why. */
int node_secrets_seeds(struct hamd_node *node,
                       const struct hamd_account **seeds);

/* secrets.c: the params of account a with every sealed value opened,
 * for its gateway's launch, into out (cap bytes; wipe it after use).
 * Returns 0, or -1 (the key file lacks the key), after logging why when
 * say; running: its gateway runs (on the params it was launched with). */
int node_secrets_open(struct hamd_node *node, const struct hamd_account *a,
                      char *out, size_t cap, bool say, bool running);

/* secrets.c: wipes and frees the vault and the sealed seeds. */
void node_secrets_free(struct hamd_node *node);

/* node_modules.c: starts the events recorder, the health monitor, the
 * failover shell, the coverage shell, the hooks and the admin API, in
 * this order, each with
 * its deps (the store, the cluster, the data plane and the supervisor
 * must exist). Returns -1 when one cannot start (it logs why, unless
 * memory ran out); those started stay for the shutdown to close. */
int node_modules_start(struct hamd_node *node);

#endif /* HAMD_NODE_INTERNAL_H */
