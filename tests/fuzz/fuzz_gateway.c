/* Fuzz target: one gateway message as the hub's data thread takes it
 * (docs/gateway-protocol.md), every type and multi-body TICKs.
 *
 * Input: the id of the connection the message came on (up to 31 bytes),
 * then the frames of one ROUTER message, [identity][type][body]..., all
 * separated by FUZZ_SEP. They go through dp_ingest_message of a data
 * plane that is never started (no socket, no thread): the publisher with
 * sources sim_a (active) and sim_b (hot backup) on three contracts, each
 * armed with launch token GW_TOKEN and believing connection GW_CONN, as
 * tests/unit/test_dp_ingest_batch.c sets it up. Each body after the type
 * also goes through the decoder of its type directly, both directions
 * (the gateway side decodes SUBSCRIBE / UNSUBSCRIBE), and what decodes
 * must encode and decode back the same.
 *
 * Checks: every body of a TICK from a known source on the believed
 * connection is counted exactly once (received, malformed or
 * unsubscribed), one on another connection is refused whole and counted
 * once; a HELLO or STATUS event names the sending identity; a symbols body that does not decode calls
 * back for nothing, one that does only with valid vt_symbols. Then each
 * contract switches to sim_b: what sim_b kept (as it came, most bodies
 * unread, common/tick_peek.h) is decoded and goes out or is counted
 * malformed, each body once, and its ring empties. */
#include <string.h>

#include "common/account.h"
#include "dataplane/dp_internal.h"
#include "fuzz.h"
#include "hamd/gwproto.h"

#define GW_FRAMES_MAX (HAMD_GW_TICKS_PER_MSG_MAX + 8) /* frames kept */
#define GW_NOW_NS 1000000000LL      /* monotonic receive time */
#define GW_WINDOW_NS 5000000000LL   /* replay window */
#define GW_DEPTH 64                 /* replay ring depth */
#define GW_TERM 1                   /* the term the publisher publishes in */
#define GW_WIRE_MAX 4096            /* re-encoding buffer */
#define GW_TOKEN "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define GW_CONN "gw-1"              /* the connection that proved GW_TOKEN */

static const char *const GW_ACCOUNTS[] = {"sim_a", "sim_b"};
static const char *const GW_CONTRACTS[] = {"rb2601.SHFE", "cu2601.SHFE",
                                           "i2601.DCE"};
#define GW_N_ACCOUNTS (sizeof GW_ACCOUNTS / sizeof GW_ACCOUNTS[0])
_Static_assert(sizeof((struct dp_source *)0)->st.account ==
                   sizeof((struct dp_source *)0)->account,
               "gw_dp_reset copies one into the other whole");
#define GW_N_CONTRACTS (sizeof GW_CONTRACTS / sizeof GW_CONTRACTS[0])

/* ------------------------------------------------------------------------
 * The data plane and the message fed to it
 * ------------------------------------------------------------------------ */

/* The frames of the message after its identity. */
struct gw_msg {
    const void *data[GW_FRAMES_MAX]; /* frame bytes */
    size_t len[GW_FRAMES_MAX];       /* frame sizes */
    unsigned n;                      /* frames */
    unsigned pos;                    /* frames pulled */
};

static struct hamd_dataplane *gw_dp; /* made on the first input, kept */

/* dp_ingest_message's reader over the message. */
static bool gw_next(void *ud, const void **frame, size_t *len, bool *more)
{
    struct gw_msg *m = ud;
    if (m->pos >= m->n)
        return false;
    *frame = m->data[m->pos];
    *len = m->len[m->pos];
    m->pos++;
    *more = m->pos < m->n;
    return true;
}

static struct hamd_dataplane *gw_dp_new(void)
{
    struct hamd_dataplane_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.node_id = 1;
    opts.limits.window_ns = GW_WINDOW_NS;
    opts.limits.depth = GW_DEPTH;
    struct hamd_dataplane *dp = hamd_dataplane_new(&opts, NULL, NULL);
    FUZZ_CHECK(dp != NULL);
    /* The publisher of term GW_TERM under a lease that never runs out,
     * PUB bound as the gate sees it but with no socket to send on: a
     * tick the lease check stopped would be held, not published. */
    dp->gate.following = false;
    hamd_gate_pub_opened(&dp->gate, GW_TERM, 0);
    hamd_dataplane_set_lease(dp, GW_TERM, INT64_MAX);
    for (unsigned i = 0; i < GW_N_ACCOUNTS; i++) {
        struct dp_source *s = &dp->sources[i];
        s->used = true;
        snprintf(s->account, sizeof s->account, "%s", GW_ACCOUNTS[i]);
        s->account_len = strlen(s->account);
        snprintf(s->st.account, sizeof s->st.account, "%s", GW_ACCOUNTS[i]);
        s->n_exch = 2;
        strcpy(s->exchanges[0], "SHFE");
        strcpy(s->exchanges[1], "DCE");
        hamd_strmap_put(dp->by_account, s->account, s);
    }
    for (unsigned i = 0; i < GW_N_CONTRACTS; i++) {
        struct dp_contract *c = hamd_slab_alloc(dp->contract_slab);
        FUZZ_CHECK(c != NULL);
        snprintf(c->vt_symbol, sizeof c->vt_symbol, "%s", GW_CONTRACTS[i]);
        hamd_arb_contract_init(&c->arb);
        c->served = (1u << GW_N_ACCOUNTS) - 1;
        /* Two sources from the start: every body is peeked at first
         * (dp_ingest.c's drop of a losing copy), whatever came before. */
        dp_stats_contract_touched(dp, c);
        hamd_strmap_put(dp->contracts, c->vt_symbol, c);
    }
    return dp;
}

/* Puts the data plane back as it was made, so an input's outcome does
 * not depend on the inputs before it. */
static void gw_dp_reset(struct hamd_dataplane *dp)
{
    for (unsigned i = 0; i < GW_N_ACCOUNTS; i++) {
        struct dp_source *s = &dp->sources[i];
        hamd_gwauth_arm(&s->auth, GW_TOKEN);
        FUZZ_CHECK(hamd_gwauth_hello(&s->auth, GW_CONN, GW_TOKEN) ==
                   HAMD_GWAUTH_PROVEN);
        memset(&s->st, 0, sizeof s->st);
        /* Same size as account: a memcpy, where GCC's -Wrestrict took the
         * snprintf's two fields of one source for an overlap (-O0). */
        memcpy(s->st.account, s->account, sizeof s->st.account);
        s->latency_sum_ms = 0;
        s->latency_n = 0;
        s->unread_unchecked = 0;
        s->peek_off = false;
        s->peek_bodies = 0;
        s->peek_spared = 0;
    }
    for (unsigned i = 0; i < GW_N_CONTRACTS; i++) {
        struct dp_contract *c = hamd_strmap_get(dp->contracts, GW_CONTRACTS[i]);
        hamd_arb_contract_release(&c->arb);
        hamd_arb_contract_init(&c->arb);
        c->arb.active = 0;
        c->seq = 0;
        c->seq_term = 0;
    }
    dp->unsubscribed = 0;
    dp->unknown_source = 0;
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

/* hamd_dataplane_drain callback: an event names who sent the message. */
static void gw_event(void *ud, const struct hamd_dp_event *ev)
{
    const char *identity = ud;
    FUZZ_CHECK(strcmp(ev->account, identity) == 0);
}

/* What a symbols callback saw. */
struct gw_symbols {
    unsigned calls; /* symbols passed */
};

static void gw_symbol(void *ud, const char *vt_symbol)
{
    struct gw_symbols *s = ud;
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(vt_symbol, strlen(vt_symbol)));
    s->calls++;
}

/* SUBSCRIBE / UNSUBSCRIBE, as a gateway decodes them. */
static void gw_symbols_check(const void *body, size_t len)
{
    struct gw_symbols s = {0};
    bool ok = hamd_gw_symbols_decode(body, len, gw_symbol, &s);
    FUZZ_CHECK(ok || s.calls == 0);
    FUZZ_CHECK(s.calls <= HAMD_GW_SYMBOLS_MAX);
}

static void gw_hello_check(const void *body, size_t len)
{
    struct hamd_gw_hello a, b;
    uint8_t wire[GW_WIRE_MAX];
    if (!hamd_gw_hello_decode(body, len, &a))
        return;
    FUZZ_CHECK(hamd_account_id_valid(a.account) && a.pid >= 0);
    size_t n = hamd_gw_hello_encode(&a, wire, sizeof wire);
    FUZZ_CHECK(n > 0 && hamd_gw_hello_decode(wire, n, &b));
    FUZZ_CHECK(strcmp(a.account, b.account) == 0 && a.pid == b.pid &&
               a.proto == b.proto &&
               strcmp(a.gateway_type, b.gateway_type) == 0 &&
               strcmp(a.token, b.token) == 0);
}

static void gw_status_check(const void *body, size_t len)
{
    struct hamd_gw_status a, b;
    uint8_t wire[GW_WIRE_MAX];
    if (!hamd_gw_status_decode(body, len, &a))
        return;
    size_t n = hamd_gw_status_encode(&a, wire, sizeof wire);
    FUZZ_CHECK(n > 0 && hamd_gw_status_decode(wire, n, &b));
    FUZZ_CHECK(a.state == b.state && strcmp(a.detail, b.detail) == 0);
}

static void gw_hb_check(const void *body, size_t len)
{
    int64_t a, b;
    uint8_t wire[GW_WIRE_MAX];
    if (!hamd_gw_hb_decode(body, len, &a))
        return;
    size_t n = hamd_gw_hb_encode(a, wire, sizeof wire);
    FUZZ_CHECK(n > 0 && hamd_gw_hb_decode(wire, n, &b) && a == b);
}

/* Every body through the decoder its type names. */
static void gw_codec_check(const struct gw_msg *m, enum hamd_gw_type type)
{
    for (unsigned i = 1; i < m->n; i++) {
        switch (type) {
        case HAMD_GW_HELLO: gw_hello_check(m->data[i], m->len[i]); break;
        case HAMD_GW_STATUS: gw_status_check(m->data[i], m->len[i]); break;
        case HAMD_GW_HB: gw_hb_check(m->data[i], m->len[i]); break;
        case HAMD_GW_SUBSCRIBE:
        case HAMD_GW_UNSUBSCRIBE:
            gw_symbols_check(m->data[i], m->len[i]);
            break;
        default: break; /* TICK: fuzz_tick.c; STOP has no body to read */
        }
    }
}

/* The bodies of a TICK from a known source are each counted once when
 * its connection is believed; otherwise the message is refused whole. */
static void gw_tick_accounting(struct hamd_dataplane *dp,
                               const struct dp_source *s,
                               const struct gw_msg *m, bool believed)
{
    uint64_t counted = s->st.ticks + s->st.malformed + dp->unsubscribed;
    if (!believed) {
        FUZZ_CHECK(counted == 0 && s->st.auth_failures == 1);
        return;
    }
    FUZZ_CHECK(counted == m->n - 1 && s->st.auth_failures == 0);
    FUZZ_CHECK(s->st.ticks <= HAMD_GW_TICKS_PER_MSG_MAX);
}

/* Moves every contract to sim_b, as a switch of the failover engine does
 * (dataplane.c): its kept bodies are decoded now. */
static void gw_switch_check(struct hamd_dataplane *dp)
{
    const struct dp_source *b = &dp->sources[1];
    for (unsigned i = 0; i < GW_N_CONTRACTS; i++) {
        struct dp_contract *c = hamd_strmap_get(dp->contracts, GW_CONTRACTS[i]);
        unsigned kept = hamd_arb_kept(&c->arb, 1);
        uint64_t published = b->st.published, malformed = b->st.malformed;
        struct dp_replay r = {dp, c, GW_NOW_NS};
        unsigned sent = hamd_arb_switch(&c->arb, &dp->opts.limits, 1,
                                        GW_NOW_NS, dp_replay_emit, &r);
        FUZZ_CHECK(sent == b->st.published - published);
        FUZZ_CHECK(sent + (b->st.malformed - malformed) <= kept);
        FUZZ_CHECK(hamd_arb_kept(&c->arb, 1) == 0);
    }
}

/* ------------------------------------------------------------------------
 * The target
 * ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (gw_dp == NULL)
        gw_dp = gw_dp_new();
    struct hamd_dataplane *dp = gw_dp;
    gw_dp_reset(dp);

    struct fuzz_parts it;
    const uint8_t *id = NULL, *part;
    size_t id_len = 0, len;
    struct gw_msg m = {0};
    char conn_id[HAMD_GWAUTH_CONN_MAX] = "";
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    if (fuzz_parts_next(&it, &part, &len))
        memcpy(conn_id, part, len < sizeof conn_id ? len : sizeof conn_id - 1);
    fuzz_parts_next(&it, &id, &id_len);
    while (m.n < GW_FRAMES_MAX && fuzz_parts_next(&it, &part, &len)) {
        m.data[m.n] = part;
        m.len[m.n] = len;
        m.n++;
    }

    char identity[HAMD_ACCOUNT_ID_MAX] = "";
    if (id != NULL && id_len < sizeof identity)
        memcpy(identity, id, id_len);
    struct dp_source *s = hamd_strmap_get(dp->by_account, identity);
    if (s != NULL && id_len != strlen(identity))
        s = NULL; /* a NUL inside: not that account's identity */

    const char *conn = conn_id;
    bool believed = s != NULL &&
                    hamd_gwauth_message(&s->auth, conn) == HAMD_GWAUTH_PASS;
    dp_ingest_message(dp, id, id_len, &conn, gw_next, &m, GW_NOW_NS);
    hamd_dataplane_drain(dp, gw_event, identity);

    enum hamd_gw_type type =
        m.n > 0 ? hamd_gw_type_parse(m.data[0], m.len[0]) : HAMD_GW_UNKNOWN;
    if (s == NULL)
        FUZZ_CHECK(dp->unknown_source == 1);
    else if (type == HAMD_GW_TICK && m.n >= 2)
        gw_tick_accounting(dp, s, &m, believed);
    if (m.n > 0)
        gw_codec_check(&m, type);
    gw_switch_check(dp);
    return 0;
}
