/* Data plane: the gateways' launch tokens (core/gwauth.h,
 * docs/security.md). The decisions are core/gwauth.c's; this file counts
 * and logs the messages it refuses. The log line names the account and
 * the connection, never a token. */
#include "dataplane/dp_internal.h"

/* Counts and logs (rate-limited) a refused message. */
static void refuse(struct dp_source *s, const char *conn, const char *why)
{
    s->st.auth_failures++;
    hamd_log_rated(&s->auth_rate, HAMD_LOG_WARN,
                   "gateway %s: dropped a message from connection %s: %s "
                   "(%llu so far)", s->account, conn && conn[0] ? conn : "?",
                   why, (unsigned long long)s->st.auth_failures);
}

bool dp_gwauth_message(struct dp_source *s, const char *conn)
{
    if (hamd_gwauth_message(&s->auth, conn) == HAMD_GWAUTH_PASS)
        return true;
    refuse(s, conn, "no HELLO with this launch's token on it");
    return false;
}

bool dp_gwauth_hello(struct dp_source *s, const char *conn,
                     const char *token)
{
    if (hamd_gwauth_hello(&s->auth, conn, token) == HAMD_GWAUTH_PROVEN)
        return true;
    refuse(s, conn, token && token[0] ? "HELLO with a wrong token"
                                      : "HELLO without the launch token");
    return false;
}
