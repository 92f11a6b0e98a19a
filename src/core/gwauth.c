/* Which gateway connections the hub believes. See gwauth.h. */
#include "core/gwauth.h"

#include <stdio.h>
#include <string.h>

#include "common/ctequal.h"

void hamd_gwauth_arm(struct hamd_gwauth *a, const char *token)
{
    memset(a, 0, sizeof *a);
    snprintf(a->token, sizeof a->token, "%s", token ? token : "");
}

enum hamd_gwauth_verdict hamd_gwauth_message(const struct hamd_gwauth *a,
                                             const char *conn)
{
    return a->conn[0] && conn && strcmp(a->conn, conn) == 0
               ? HAMD_GWAUTH_PASS
               : HAMD_GWAUTH_NO_HELLO;
}

enum hamd_gwauth_verdict hamd_gwauth_hello(struct hamd_gwauth *a,
                                           const char *conn,
                                           const char *token)
{
    size_t len = token ? strlen(token) : 0;
    if (!a->token[0] || !conn || !conn[0] ||
        strlen(conn) >= sizeof a->conn ||
        !hamd_ct_equal(token ? token : "", len, a->token, strlen(a->token)))
        return HAMD_GWAUTH_BAD_TOKEN;
    /* The token's holder may connect again (a DEALER reconnects by
     * itself): the newest connection that proved it is believed. */
    snprintf(a->conn, sizeof a->conn, "%s", conn);
    return HAMD_GWAUTH_PROVEN;
}
