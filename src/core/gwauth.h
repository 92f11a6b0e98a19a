/* Which gateway connections the hub believes (docs/gateway-protocol.md
 * §4, docs/security.md): pure, no I/O.
 *
 * hamd launches every gateway with a fresh random token (HAMD_GW_TOKEN)
 * and tells the data plane; the gateway's HELLO carries it back. The
 * DEALER identity alone proves nothing: any local process that reaches
 * the socket can connect with an account's identity, above all while the
 * account's gateway is being relaunched. So the hub tells connections
 * apart (each gets its own id when it connects) and believes the
 * messages of one connection only: the one whose HELLO carried the
 * current launch's token. Everything else with that identity (a HELLO
 * without the token, or any other message from another connection or
 * before the HELLO) is dropped and counted. A new launch forgets the
 * connection believed so far: only the new process has the new token.
 */
#ifndef HAMD_CORE_GWAUTH_H
#define HAMD_CORE_GWAUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "hamd/gwproto.h"

#define HAMD_GWAUTH_CONN_MAX 32 /* bytes of a connection id, NUL included */

/* One source's proof state. Zero-initialised: nothing armed, nothing
 * believed. */
struct hamd_gwauth {
    char token[HAMD_GW_TOKEN_MAX];     /* the current launch's, "" = none */
    char conn[HAMD_GWAUTH_CONN_MAX];   /* the connection that proved it,
                                          "" = none yet */
};

/* What to do with a message. */
enum hamd_gwauth_verdict {
    HAMD_GWAUTH_PASS,      /* from the believed connection: take it */
    HAMD_GWAUTH_PROVEN,    /* a HELLO with the right token: this connection
                              is believed from now on; take it */
    HAMD_GWAUTH_NO_HELLO,  /* no HELLO with the token on this connection
                              (yet): drop and count */
    HAMD_GWAUTH_BAD_TOKEN, /* a HELLO without the current token: drop and
                              count; the believed connection stays */
};

/* A new launch with token (copied; "" arms nothing): the connection
 * believed so far is forgotten. */
void hamd_gwauth_arm(struct hamd_gwauth *a, const char *token);

/* A message other than HELLO from connection conn. */
enum hamd_gwauth_verdict hamd_gwauth_message(const struct hamd_gwauth *a,
                                             const char *conn);

/* A HELLO carrying token from connection conn. The token is compared in
 * constant time. A connection without an id is never believed. */
enum hamd_gwauth_verdict hamd_gwauth_hello(struct hamd_gwauth *a,
                                           const char *conn,
                                           const char *token);

/* True when the verdict takes the message. */
static inline bool hamd_gwauth_taken(enum hamd_gwauth_verdict v)
{
    return v == HAMD_GWAUTH_PASS || v == HAMD_GWAUTH_PROVEN;
}

#endif /* HAMD_CORE_GWAUTH_H */
