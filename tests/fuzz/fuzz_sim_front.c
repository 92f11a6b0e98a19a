/* Fuzz target: what a simulated front (`hamd-gw-sim --front`) does with
 * its clients' messages (src/gw-sim/frontin.c, frontsubs.c, symtab.c;
 * the link in frontproto.h): each [routing id][type][body] registers its
 * sender, SUBSCRIBE and UNSUBSCRIBE change who wants what and which
 * contracts the front generates, silent and forgotten clients are
 * dropped. The front's socket (front.c) is not used: the messages are
 * handed over as hamd_gwin_recv would.
 *
 * Input: messages separated by FUZZ_SEP, each
 *   [ctl] [id length][id] (ctl sender 6 only) [type] [body...]
 * ctl bits 0-2, the sender: 0-5 fixed ids, 6 the id in the message, 7 a
 *   new id each time (up to the table's bound);
 * ctl bits 3-4, the frames: 0 the id alone, 1 [type], 2 [type][body],
 *   3 [type][body][more];
 * ctl bits 5-7, the clock after the message: 0 stays, 1-5 that many
 *   seconds on, 6 the sender's connection is gone, 7 the client timeout
 *   on; then silent and forgotten clients are dropped.
 * type: an index into sim_front_types.
 *
 * Checks: a sender is refused exactly when its id is empty, too long or
 * new to a full table; a message counts as bad exactly when its sender
 * was refused or it is not [HB|SUBSCRIBE|UNSUBSCRIBE][body] with a body
 * that decodes; after a SUBSCRIBE each contract it names is wanted by the
 * sender (a valid symbol.EXCHANGE of a served exchange) or refused and
 * counted; after an UNSUBSCRIBE none is wanted; at every step the
 * contracts generated are exactly those some client wants; at the end,
 * once every client timed out, nothing is left (and nothing leaks).
 *
 * The whole tables are checked only when clients were dropped and at the
 * end; after each message, the sender's map and the contracts the
 * message named (a message changes nothing else). Checked after every
 * message, the 256 clients' maps of 64 slots each made 32k slot visits a
 * message, traced by the sanitizers: 16 runs/s instead of thousands. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/strmap.h"
#include "fuzz.h"
#include "gw-sim/feed.h"
#include "gw-sim/frontin.h"
#include "gw-sim/frontproto.h"
#include "hamd/gwproto.h"
#include "hamd/tick.h"

#define SIM_FRONT_START_MS 1000 /* monotonic time an input starts at */
#define SIM_FRONT_WALL_NS 1795340636800000000LL /* wall time at start */
#define SIM_FRONT_STEP_MS 1000  /* one clock step of a message's ctl */
#define SIM_FRONT_FIXED_IDS 6   /* senders 0-5 */
#define SIM_FRONT_ID_OWN 6      /* sender 6: the id is in the message */
#define SIM_FRONT_ID_NEW 7      /* sender 7: a new id each time */
#define SIM_FRONT_CLOCK_GONE 6  /* clock 6: the sender's connection is gone */
#define SIM_FRONT_CLOCK_TIMEOUT 7 /* clock 7: the client timeout passes */
#define SIM_FRONT_ERR_MAX 256   /* params error buffer */
#define SIM_FRONT_ID_BUF 16     /* bytes of a generated id */

/* The front's params: two exchanges served, so a valid contract of
 * another is refused; one contract with a rate of its own. */
static const char sim_front_params[] =
    "{\"seed\": 7, \"rate\": 2, \"exchanges\": [\"SHFE\", \"DCE\"], "
    "\"rates\": {\"rb2601.SHFE\": 1000}}";

/* The type frames a message may have. */
static const char *const sim_front_types[] = {
    "HB", "SUBSCRIBE", "UNSUBSCRIBE", "TICK", "HELLO", "", "subscribe",
    "SUBSCRIBEX"};
#define SIM_FRONT_N_TYPES (sizeof sim_front_types / sizeof *sim_front_types)

/* The contracts a symbols body names, as hamd_gw_symbols_decode calls
 * back with them. */
struct sim_front_named {
    size_t n;                                           /* calls */
    char vt[HAMD_GW_SYMBOLS_MAX][HAMD_VT_SYMBOL_MAX];   /* their symbols */
};

static struct gwsim_params *params; /* made once */
static struct sim_front_named named; /* the current message's contracts */

/* ------------------------------------------------------------------------
 * What the front promises
 * ------------------------------------------------------------------------ */

/* hamd_gw_symbols_decode callback: keeps each contract named. */
static void sim_front_name(void *ud, const char *vt_symbol)
{
    struct sim_front_named *nm = ud;
    FUZZ_CHECK(nm->n < HAMD_GW_SYMBOLS_MAX);
    FUZZ_CHECK(strlen(vt_symbol) < HAMD_VT_SYMBOL_MAX);
    strcpy(nm->vt[nm->n++], vt_symbol);
}

/* True when the front may generate vt_symbol: what frontin.h promises. */
static bool sim_front_servable(const char *vt_symbol)
{
    struct simfeed_symbol feed;
    return simfeed_symbol_init(&feed, params->seed, vt_symbol,
                               gwsim_params_rate(params, vt_symbol),
                               "") == 0 &&
           gwsim_params_serves(params, feed.tmpl.exchange);
}

/* The contracts generated are exactly those some client wants, each a
 * servable one. */
static void sim_front_tables_check(const struct gwsim_frontin *in)
{
    const struct gwsim_frontsubs *cl = in->clients;
    FUZZ_CHECK(cl->count <= GWSIM_FRONT_CLIENTS_MAX);
    FUZZ_CHECK(gwsim_frontsubs_contracts(cl) == in->feeds->count);
    for (size_t c = 0; c < cl->count; c++) {
        size_t cursor = 0;
        const char *vt;
        void *v;
        FUZZ_CHECK(cl->clients[c].id_len > 0 &&
                   cl->clients[c].id_len <= GWSIM_FRONT_ID_MAX);
        while (hamd_strmap_next(cl->clients[c].subs, &cursor, &vt, &v))
            FUZZ_CHECK(gwsim_symtab_find(in->feeds, vt) != NULL);
    }
    for (size_t f = 0; f < in->feeds->count; f++) {
        const char *vt = in->feeds->subs[f].feed.tmpl.vt_symbol;
        bool wanted = false;
        for (size_t c = 0; c < cl->count && !wanted; c++)
            wanted = gwsim_frontsubs_wants(cl, c, vt);
        FUZZ_CHECK(wanted && sim_front_servable(vt));
    }
}

/* What one message may have changed: client c's map, each in a generated
 * contract; each contract the message named generated exactly when some
 * client wants it; only a SUBSCRIBE adds contracts, only an UNSUBSCRIBE
 * removes any (kind HAMD_GW_HB for a message that was bad). */
static void sim_front_step_check(const struct gwsim_frontin *in, long c,
                                 size_t feeds_before, enum hamd_gw_type kind)
{
    const struct gwsim_frontsubs *cl = in->clients;
    FUZZ_CHECK(cl->count <= GWSIM_FRONT_CLIENTS_MAX);
    FUZZ_CHECK(gwsim_frontsubs_contracts(cl) == in->feeds->count);
    if (kind != HAMD_GW_SUBSCRIBE)
        FUZZ_CHECK(in->feeds->count <= feeds_before);
    if (kind != HAMD_GW_UNSUBSCRIBE)
        FUZZ_CHECK(in->feeds->count >= feeds_before);
    if (c >= 0) {
        size_t cursor = 0;
        const char *vt;
        void *v;
        while (hamd_strmap_next(cl->clients[c].subs, &cursor, &vt, &v))
            FUZZ_CHECK(gwsim_symtab_find(in->feeds, vt) != NULL);
    }
    for (size_t i = 0; i < named.n; i++) {
        bool wanted = false;
        for (size_t k = 0; k < cl->count && !wanted; k++)
            wanted = gwsim_frontsubs_wants(cl, k, named.vt[i]);
        FUZZ_CHECK(wanted == (gwsim_symtab_find(in->feeds, named.vt[i]) !=
                              NULL));
        FUZZ_CHECK(!wanted || sim_front_servable(named.vt[i]));
    }
}

/* ------------------------------------------------------------------------
 * One message
 * ------------------------------------------------------------------------ */

/* The index of the client with this id, or -1. */
static long sim_front_find(const struct gwsim_frontsubs *cl, const void *id,
                           size_t len)
{
    for (size_t c = 0; c < cl->count; c++)
        if (cl->clients[c].id_len == len &&
            memcmp(cl->clients[c].id, id, len) == 0)
            return (long)c;
    return -1;
}

/* One message's frames, made as hamd_gwin_recv makes them. */
static void sim_front_msg_init(struct hamd_gwin_msg *m, const char *type,
                               const uint8_t *body, size_t len, int frames)
{
    size_t tlen = strlen(type);
    FUZZ_CHECK(zmq_msg_init_size(&m->type, tlen) == 0);
    memcpy(zmq_msg_data(&m->type), type, tlen);
    FUZZ_CHECK(zmq_msg_init_size(&m->body, frames >= 2 ? len : 0) == 0);
    if (frames >= 2 && len > 0)
        memcpy(zmq_msg_data(&m->body), body, len);
    m->frames = frames;
    m->kind = hamd_gw_type_parse(type, tlen);
}

/* Whether the message must count as bad, and the contracts its body
 * names in `named` (n 0 unless a symbols body decodes). */
static bool sim_front_expect_bad(bool refused, const struct hamd_gwin_msg *m)
{
    named.n = 0;
    if (refused || m == NULL || m->frames != 2)
        return true;
    if (m->kind == HAMD_GW_HB)
        return false;
    if (m->kind != HAMD_GW_SUBSCRIBE && m->kind != HAMD_GW_UNSUBSCRIBE)
        return true;
    bool ok = hamd_gw_symbols_decode(zmq_msg_data((zmq_msg_t *)&m->body),
                                     zmq_msg_size((zmq_msg_t *)&m->body),
                                     sim_front_name, &named);
    FUZZ_CHECK(ok || named.n == 0);
    return !ok;
}

/* After a SUBSCRIBE or UNSUBSCRIBE of client c that decoded. */
static void sim_front_symbols_check(const struct gwsim_frontin *in, long c,
                                    enum hamd_gw_type kind,
                                    uint64_t refused_before)
{
    uint64_t not_wanted = 0;
    for (size_t i = 0; i < named.n; i++) {
        bool wants = gwsim_frontsubs_wants(in->clients, (size_t)c,
                                           named.vt[i]);
        if (kind == HAMD_GW_UNSUBSCRIBE)
            FUZZ_CHECK(!wants);
        else if (wants)
            FUZZ_CHECK(sim_front_servable(named.vt[i]));
        else
            not_wanted++;
    }
    FUZZ_CHECK(in->refused - refused_before ==
               (kind == HAMD_GW_SUBSCRIBE ? not_wanted : 0));
}

/* Reads the sender's id off the message (sender 6) or makes it. Moves
 * *p past what it used. */
static size_t sim_front_id(unsigned sender, const uint8_t **p,
                           const uint8_t *end, uint8_t *buf,
                           const uint8_t **id, unsigned *fresh)
{
    if (sender == SIM_FRONT_ID_OWN) {
        size_t want = *p < end ? **p : 0, len;
        *p += *p < end;
        len = (size_t)(end - *p) < want ? (size_t)(end - *p) : want;
        *id = *p;
        *p += len;
        return len;
    }
    *id = buf;
    if (sender == SIM_FRONT_ID_NEW)
        return (size_t)snprintf((char *)buf, SIM_FRONT_ID_BUF, "new-%u",
                                (*fresh)++);
    return (size_t)snprintf((char *)buf, SIM_FRONT_ID_BUF, "gw-%u", sender);
}

/* Moves the clock as ctl says, then drops the silent and gone clients.
 * Returns how many were dropped. */
static size_t sim_front_clock(struct gwsim_frontin *in, unsigned clock, long c,
                            int64_t *now_ms)
{
    if (clock == SIM_FRONT_CLOCK_GONE && c >= 0)
        gwsim_frontsubs_forget(in->clients, (size_t)c);
    else if (clock == SIM_FRONT_CLOCK_TIMEOUT)
        *now_ms += GWSIM_FRONT_CLIENT_TIMEOUT_MS;
    else if (clock < SIM_FRONT_CLOCK_GONE)
        *now_ms += clock * SIM_FRONT_STEP_MS;
    size_t before = in->clients->count;
    size_t dropped = gwsim_frontin_expire(in, *now_ms);
    FUZZ_CHECK(in->clients->count == before - dropped);
    if (clock == SIM_FRONT_CLOCK_GONE && c >= 0)
        FUZZ_CHECK(dropped >= 1);
    return dropped;
}

/* Hands one message to the front and checks what it did. */
static void sim_front_step(struct gwsim_frontin *in, const uint8_t *p,
                           size_t len, int64_t *now_ms, unsigned *fresh)
{
    const uint8_t *end = p + len;
    unsigned ctl = len > 0 ? *p++ : 0;
    uint8_t idbuf[SIM_FRONT_ID_BUF];
    const uint8_t *id;
    size_t id_len = sim_front_id(ctl & 7, &p, end, idbuf, &id, fresh);
    int frames = (int)((ctl >> 3) & 3);
    const char *type = sim_front_types[(p < end ? *p++ : 0) %
                                       SIM_FRONT_N_TYPES];
    struct hamd_gwin_msg msg, *m = frames == 0 ? NULL : &msg;
    if (m)
        sim_front_msg_init(m, type, p, (size_t)(end - p), frames);

    bool known = sim_front_find(in->clients, id, id_len) >= 0;
    bool refuse = id_len == 0 || id_len > GWSIM_FRONT_ID_MAX ||
                  (!known && in->clients->count == GWSIM_FRONT_CLIENTS_MAX);
    bool bad = sim_front_expect_bad(refuse, m);
    uint64_t bad_before = in->bad, refused_before = in->refused;
    size_t feeds_before = in->feeds->count;
    long c = gwsim_frontin_message(in, id, id_len, m, *now_ms,
                                   SIM_FRONT_WALL_NS +
                                       *now_ms * HAMD_NS_PER_MS);
    FUZZ_CHECK((c < 0) == refuse);
    FUZZ_CHECK(in->bad - bad_before == (bad ? 1u : 0u));
    if (c >= 0) {
        FUZZ_CHECK(sim_front_find(in->clients, id, id_len) == c);
        FUZZ_CHECK(in->clients->clients[c].last_seen_ms == *now_ms);
        if (!bad && m->kind != HAMD_GW_HB)
            sim_front_symbols_check(in, c, m->kind, refused_before);
    }
    if (bad || (m && m->kind == HAMD_GW_HB))
        FUZZ_CHECK(in->refused == refused_before);
    enum hamd_gw_type kind = bad ? HAMD_GW_HB : m->kind;
    if (m)
        hamd_gwin_close(m);
    sim_front_step_check(in, c, feeds_before, kind);
    if (sim_front_clock(in, ctl >> 5, c, now_ms) > 0)
        sim_front_tables_check(in);
}

/* ------------------------------------------------------------------------
 * The target
 * ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (params == NULL) {
        char err[SIM_FRONT_ERR_MAX] = "";
        hamd_log_set_level(HAMD_LOG_ERROR); /* a warning per bad message */
        params = gwsim_params_new(sim_front_params, err, sizeof err);
        FUZZ_CHECK(params != NULL);
    }
    struct gwsim_frontin in;
    FUZZ_CHECK(gwsim_frontin_init(&in, params) == 0);
    int64_t now_ms = SIM_FRONT_START_MS;
    unsigned fresh = 0;
    struct fuzz_parts it;
    const uint8_t *part;
    size_t len;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    while (fuzz_parts_next(&it, &part, &len))
        sim_front_step(&in, part, len, &now_ms, &fresh);
    sim_front_tables_check(&in);
    /* Every client times out: nothing may be left. */
    gwsim_frontin_expire(&in, now_ms + GWSIM_FRONT_CLIENT_TIMEOUT_MS);
    FUZZ_CHECK(in.clients->count == 0 && in.feeds->count == 0 &&
               gwsim_frontsubs_contracts(in.clients) == 0);
    gwsim_frontin_free(&in);
    return 0;
}
