/* Pure validation of the admin API's requests (docs/api.md): a parsed
 * JSON body, a query string or a path id in, a validated request or a
 * refusal out. No h2o, no node state: the handlers (admin_failover.c,
 * admin_subs.c, admin_cluster.c, admin_accounts.c, and through
 * admin_query_each admin_logs.c and admin_stream.c) call these, then
 * answer a refusal as it is (admin_reply_verdict), and
 * tests/unit/test_admin_validate.c and tests/fuzz/fuzz_admin_validate.c
 * call them directly.
 *
 * A body is what admin_body_json parsed (json_loadb with
 * JSON_REJECT_DUPLICATES): any JSON value, not necessarily an object.
 * Every refusal is complete before anything happens; what a validator
 * filled in on the way is then to be ignored. */
#ifndef HAMD_ADMIN_VALIDATE_H
#define HAMD_ADMIN_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin/admin_logring.h"
#include "common/account.h"
#include "config/config.h"
#include "raft/cmd.h"

#define ADMIN_VERDICT_MSG_MAX 512  /* bytes of a refusal's message: the
                                      same cut as admin_reply_error's */
#define ADMIN_VERDICT_FIELD_MAX 32 /* bytes of a query parameter's name
                                      named as the field */
#define ADMIN_FAILOVER_PREFIXES_MAX 1024 /* prefixes in one request */
#define ADMIN_MEMBER_ID_MAX 65535  /* largest N of [peer.N] */
#define ADMIN_EVENTS_LIMIT_DEFAULT 100 /* events per answer without ?limit */
#define ADMIN_EVENTS_LIMIT_MAX 1000    /* most events per answer */
#define ADMIN_QUERY_NAME_MAX 32        /* bytes of a query parameter name
                                          read by admin_query_check */
#define ADMIN_QUERY_VALUE_MAX 256      /* bytes of its value */

/* Why a request is refused: the HTTP status and the {"error", "field"} of
 * the answer. msg and field are always valid UTF-8 (a byte that is not
 * becomes '?'), so the answer can be JSON whatever the request held. */
struct admin_verdict {
    int status;                      /* 400, 404 ...; 0 until refused */
    const char *field;               /* the field named, NULL for none;
                                        points into the body, at a literal
                                        or at field_buf: valid while the
                                        body and this verdict are */
    char field_buf[ADMIN_VERDICT_FIELD_MAX]; /* a query parameter's name */
    char msg[ADMIN_VERDICT_MSG_MAX]; /* the error, NUL-terminated */
};

/* What a failover or failback body says (POST /api/failover,
 * /api/failback). */
struct admin_failover_req {
    const char *to;                  /* failover target; NULL: failback */
    const char *prefixes[ADMIN_FAILOVER_PREFIXES_MAX]; /* point into body */
    size_t n;                        /* prefixes given; 0 = all contracts */
    bool all;                        /* "all": true */
    bool force;                      /* target need not be HEALTHY */
    bool dry_run;                    /* plan only */
};

/* The query of GET /api/events. */
struct admin_events_query {
    uint64_t limit;                  /* 1..ADMIN_EVENTS_LIMIT_MAX */
    uint64_t since;                  /* events after this seq */
    bool has_since;                  /* ?since= given: else the newest */
};

/* What GET /api/logs asks for. */
struct admin_logs_args {
    struct admin_logquery q;         /* the read */
    size_t limit_max;                /* the ring's size: largest ?limit */
    unsigned node;                   /* ?node=N: another node's lines, 0 none */
};

/* ------------------------------------------------------------------------
 * Query strings of one parameter at a time
 * ------------------------------------------------------------------------ */

/* Takes one query parameter; returns false to refuse it. */
typedef bool (*admin_query_fn)(void *ud, const char *name, const char *value);

/* Passes each parameter of q[0..len) (without the '?') to fn. Returns
 * false with *v (400, "bad query string: " and expected, naming the
 * refused parameter, or "query" for one that does not decode). */
bool admin_query_check(const char *q, size_t len, admin_query_fn fn, void *ud,
                       const char *expected, struct admin_verdict *v);

/* ?node=N of POST /api/accounts/{id}/restart: N (1..ADMIN_MEMBER_ID_MAX)
 * into *(unsigned *)ud. */
bool admin_restart_param(void *ud, const char *name, const char *value);

/* ?level=&since=&limit=&node= of GET /api/logs into a struct
 * admin_logs_args (limit 1..limit_max, node 1..ADMIN_MEMBER_ID_MAX). */
bool admin_logs_param(void *ud, const char *name, const char *value);

/* ?level= of GET /api/stream into an enum hamd_log_level. */
bool admin_stream_param(void *ud, const char *name, const char *value);

/* ------------------------------------------------------------------------
 * Bodies and the rest
 * ------------------------------------------------------------------------ */

/* POST /api/failover {"to": ID, "prefixes": [...] | "all": true,
 * "force": false, "dry_run": false}: fills *r. Returns false with *v
 * (400) for anything else. */
bool admin_failover_validate(const json_t *body, struct admin_failover_req *r,
                             struct admin_verdict *v);

/* POST /api/failback {"prefixes": [...], "dry_run": false}, every field
 * optional: fills *r (r->to NULL). Returns false with *v (400). */
bool admin_failback_validate(const json_t *body, struct admin_failover_req *r,
                             struct admin_verdict *v);

/* A subscription body {"symbols": ["SYMBOL.EXCHANGE", ...]}: appends each
 * symbol once to cmd (hamd_cmd_init'ed by the caller). Returns false with
 * *v (400). */
bool admin_subs_body_validate(const json_t *body, struct hamd_cmd *cmd,
                              struct admin_verdict *v);

/* The query ?symbol=A&symbol=B of DELETE /api/subscriptions, q[0..len)
 * without the '?': as admin_subs_body_validate. */
bool admin_subs_query_validate(const char *q, size_t len, struct hamd_cmd *cmd,
                               struct admin_verdict *v);

/* POST /api/members {"id": N}: reads N (1..ADMIN_MEMBER_ID_MAX) into *id.
 * Returns false with *v (400). */
bool admin_member_body_validate(const json_t *body, uint64_t *id,
                                struct admin_verdict *v);

/* The {id} of DELETE /api/members/{id}, as text: as
 * admin_member_body_validate. */
bool admin_member_path_validate(const char *text, uint64_t *id,
                                struct admin_verdict *v);

/* POST /api/transfer {"node": N} or {}: *id is N, a [peer.N] of cfg that
 * may lead, or 0 (any voter) when the body names none. Returns false with
 * *v (400). */
bool admin_transfer_validate(const json_t *body, const struct hamd_config *cfg,
                             uint64_t *id, struct admin_verdict *v);

/* The query ?limit=N&since=SEQ of GET /api/events, q[0..len) without the
 * '?': fills *out (limit ADMIN_EVENTS_LIMIT_DEFAULT when not given).
 * Returns false with *v (400). */
bool admin_events_query_validate(const char *q, size_t len,
                                 struct admin_events_query *out,
                                 struct admin_verdict *v);

/* The account id of a path /api/accounts/{id}. Returns false with *v
 * (400) when it is not a slug. */
bool admin_account_id_validate(const char *id, struct admin_verdict *v);

/* The operator's switch `running` (POST /api/accounts/{id}/start and
 * /stop), which every account answer carries, read-only in a write: a
 * body may hold it as an answer gave it (GET, edit, PUT), with the value
 * the account has (running; true for one being created), and the field
 * is then removed from body so that admin_account_validate reads the
 * account alone. id names the account in a refusal (NULL on create).
 * Returns false with *v (400) when it is not a boolean or would change
 * the switch. */
bool admin_account_running_take(json_t *body, const char *id, bool running,
                                struct admin_verdict *v);

/* An account body: the whole account into *a (POST /api/accounts), or
 * with update the fields given onto *a, the stored account (PUT). No
 * params value may look sealed (only hamd writes that form); unless
 * witness (a witness runs no gateway), cfg's [gateways] must name an
 * executable for its gateway_type. Returns false with *v (400). */
bool admin_account_validate(const json_t *body, struct hamd_account *a,
                            bool update, const struct hamd_config *cfg,
                            bool witness, struct admin_verdict *v);

#endif /* HAMD_ADMIN_VALIDATE_H */
