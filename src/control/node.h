/* The hamd node: control plane + data plane of one host. */
#ifndef HAMD_NODE_H
#define HAMD_NODE_H

#include "config/config.h"

/* Runs the node until SIGTERM/SIGINT (or a fatal error). Returns 0 after a
 * clean shutdown, -1 when it could not start or failed. */
int hamd_node_run(const struct hamd_config *cfg);

#endif /* HAMD_NODE_H */
