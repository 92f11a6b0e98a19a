/* The shell's one reader of the configuration for the modules it starts:
 * each module (the consensus layer, the data plane, the health state
 * machine, the health monitor, the failover shell) has its own parameter
 * struct and knows nothing of struct hamd_config; these functions fill
 * them. Keys, defaults and ranges: docs/configuration.md.
 */
#ifndef HAMD_CONTROL_PARAMS_H
#define HAMD_CONTROL_PARAMS_H

#include "config/config.h"
#include "control/cover.h"
#include "control/monitor.h"
#include "control/steer.h"
#include "core/health.h"
#include "dataplane/dataplane.h"
#include "raft/cluster.h"

#define HAMD_PARAMS_STATS_INTERVAL_MAX_MS 100 /* data plane statistics: */
#define HAMD_PARAMS_STATS_INTERVAL_MIN_MS 5   /* half a health check,
                                                 within these */

/* Fills p from the [health], [failover] and [gateways] keys of cfg; with
 * cfg NULL, the defaults of core/health.h. */
void hamd_params_health(struct hamd_health_params *p,
                        const struct hamd_config *cfg);

/* Fills o from [health] and [sessions] of cfg, with the sessions
 * pointing into cfg (which must outlive the monitor). */
void hamd_params_monitor(struct hamd_monitor_opts *o,
                         const struct hamd_config *cfg);

/* Fills o from [failover] of cfg. */
void hamd_params_steer(struct hamd_steer_opts *o,
                       const struct hamd_config *cfg);

/* Fills o from [node], [peer.N] and [raft] of cfg, with the seeds of the
 * store pointing into cfg (which must outlive the cluster). Returns 0, or
 * -1 when cfg has more peers than the consensus layer takes or a raft
 * address does not fit (config_check.c refuses both first). */
int hamd_params_cluster(struct hamd_cluster_opts *o,
                        const struct hamd_config *cfg);

/* Fills o from [node], [peer.N], [health] and [cluster] of cfg. Returns
 * 0, or -1 when a peer's relay endpoint does not fit. */
int hamd_params_cover(struct hamd_cover_opts *o, const struct hamd_config *cfg);

/* Fills o from [node], [peer.N], [publish], [gateways], [health] and
 * [failover] of cfg; the relay ROUTER admits the IP literals among the
 * hosts of every [peer.N] (raft, admin, publish, relay). Returns 0, or
 * -1 when an endpoint does not fit. */
int hamd_params_dataplane(struct hamd_dataplane_opts *o,
                          const struct hamd_config *cfg);

#endif /* HAMD_CONTROL_PARAMS_H */
