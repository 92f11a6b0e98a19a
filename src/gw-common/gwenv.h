/* What every C gateway does at start: read the environment hamd launches
 * it with (docs/gateway-protocol.md, section 3) and stop on SIGTERM or
 * SIGINT. */
#ifndef HAMD_GWENV_H
#define HAMD_GWENV_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

/* The launch environment. */
struct hamd_gwenv {
    const char *endpoint; /* HAMD_GW_ENDPOINT: the hub's ROUTER */
    const char *account;  /* HAMD_ACCOUNT: a valid account id */
    const char *params;   /* HAMD_GW_PARAMS: JSON text, NULL if unset */
};

/* Reads and checks the environment. Returns 0, or -1 after logging what
 * is missing or bad. */
int hamd_gwenv_read(struct hamd_gwenv *out);

/* Checks that the params are a JSON object and logs each key not among
 * known[0..n): an account's params may carry keys meant for people or
 * other tools. Returns 0, or -1 with the reason in err. */
int hamd_gwenv_params_object(const json_t *obj, const char *const *known,
                             size_t n, char *err, size_t errcap);

/* Reads the optional `log_level` key of the params object (debug, info,
 * warn or error) into *level (an enum hamd_log_level; untouched when
 * absent). Returns 0, or -1 with a message naming the key in err. */
int hamd_gwenv_log_level(const json_t *obj, int *level, char *err,
                         size_t errcap);

/* Makes SIGTERM and SIGINT set the returned flag (without SA_RESTART, so
 * a blocking poll returns) and ignores SIGPIPE. */
const volatile sig_atomic_t *hamd_gwenv_signals(void);

#endif /* HAMD_GWENV_H */
