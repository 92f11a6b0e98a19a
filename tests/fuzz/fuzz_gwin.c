/* Fuzz target: what a C gateway reads from the hub
 * (src/gw-common/gwin.c), then does with it as hamd-gw-sim and
 * hamd-gw-replay do (src/gw-sim/sim_hub.c, src/gw-replay/replay_hub.c):
 * STOP, SUBSCRIBE and UNSUBSCRIBE bodies, anything else counted bad.
 *
 * Input: frames separated by FUZZ_SEP, each led by a byte whose bit 0
 * says another frame of the same message follows (the last frame ends its
 * message whatever it says). They are sent over an inproc PAIR and read
 * back with hamd_gwin_recv.
 *
 * Checks: every message sent is received once, with its frame count, its
 * first frame as type and its second as body, the type parsed as
 * hamd_gw_type_parse does; nothing is left afterwards; a symbols body that
 * does not decode calls back for nothing, one that does only with valid
 * vt_symbols, at most HAMD_GW_SYMBOLS_MAX. */
#include <string.h>
#include <zmq.h>

#include "fuzz.h"
#include "gw-common/gwin.h"
#include "hamd/tick.h"

#define GWIN_MSGS_MAX 4096     /* messages of one input, at most */
#define GWIN_ENDPOINT "inproc://fuzz-gwin"
#define GWIN_MORE 0x01         /* a frame's lead byte: more follow */

/* What one message was sent as. */
struct gwin_sent {
    const uint8_t *type;  /* first frame */
    size_t type_len;      /* its bytes */
    const uint8_t *body;  /* second frame, or NULL */
    size_t body_len;      /* its bytes */
    int frames;           /* frames in all */
};

static void *gwin_hub, *gwin_gw; /* the PAIR's two ends, made once */
static struct gwin_sent sent[GWIN_MSGS_MAX];

static void gwin_open(void)
{
    void *ctx = zmq_ctx_new();
    FUZZ_CHECK(ctx != NULL);
    gwin_gw = zmq_socket(ctx, ZMQ_PAIR);
    gwin_hub = zmq_socket(ctx, ZMQ_PAIR);
    int hwm = 0; /* no limit: an input's frames all wait in the pipe */
    FUZZ_CHECK(zmq_setsockopt(gwin_gw, ZMQ_RCVHWM, &hwm, sizeof hwm) == 0 &&
               zmq_setsockopt(gwin_hub, ZMQ_SNDHWM, &hwm, sizeof hwm) == 0);
    FUZZ_CHECK(zmq_bind(gwin_gw, GWIN_ENDPOINT) == 0 &&
               zmq_connect(gwin_hub, GWIN_ENDPOINT) == 0);
}

static void gwin_symbol(void *ud, const char *vt_symbol)
{
    FUZZ_CHECK(hamd_tick_vt_symbol_valid(vt_symbol, strlen(vt_symbol)));
    (*(unsigned *)ud)++;
}

/* What the gateways do with a message. */
static void gwin_handle(const struct hamd_gwin_msg *m)
{
    if ((m->kind != HAMD_GW_SUBSCRIBE && m->kind != HAMD_GW_UNSUBSCRIBE) ||
        m->frames != 2)
        return;
    unsigned calls = 0;
    bool ok = hamd_gw_symbols_decode(zmq_msg_data((zmq_msg_t *)&m->body),
                                     zmq_msg_size((zmq_msg_t *)&m->body),
                                     gwin_symbol, &calls);
    FUZZ_CHECK(ok || calls == 0);
    FUZZ_CHECK(calls <= HAMD_GW_SYMBOLS_MAX);
}

static bool frame_is(zmq_msg_t *f, const uint8_t *p, size_t len)
{
    return zmq_msg_size(f) == len && memcmp(zmq_msg_data(f), p, len) == 0;
}

/* Sends the input's frames; returns the messages sent. */
static size_t gwin_send(const uint8_t *data, size_t size)
{
    struct fuzz_parts it;
    const uint8_t *p;
    size_t len, n = 0;
    bool more = false;
    fuzz_parts_init(&it, data, size, FUZZ_SEP, FUZZ_SEP_LEN);
    while (n < GWIN_MSGS_MAX && fuzz_parts_next(&it, &p, &len)) {
        more = len > 0 && (p[0] & GWIN_MORE) && !it.done;
        p += len > 0;
        len -= len > 0;
        struct gwin_sent *s = &sent[n];
        if (s->frames == 0) {
            s->type = p;
            s->type_len = len;
            s->body = NULL;
        } else if (s->frames == 1) {
            s->body = p;
            s->body_len = len;
        }
        s->frames++;
        FUZZ_CHECK(zmq_send(gwin_hub, p, len, more ? ZMQ_SNDMORE : 0) ==
                   (int)len);
        if (!more)
            n++;
    }
    return n; /* the last frame ended its message */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (gwin_hub == NULL)
        gwin_open();
    memset(sent, 0, sizeof sent);
    size_t n = gwin_send(data, size);
    struct hamd_gwin_msg m;
    for (size_t i = 0; i < n; i++) {
        const struct gwin_sent *s = &sent[i];
        FUZZ_CHECK(hamd_gwin_recv(gwin_gw, &m) == 1);
        FUZZ_CHECK(m.frames == s->frames && frame_is(&m.type, s->type,
                                                     s->type_len));
        FUZZ_CHECK(m.kind == hamd_gw_type_parse(s->type, s->type_len));
        FUZZ_CHECK(s->body == NULL ? zmq_msg_size(&m.body) == 0
                                   : frame_is(&m.body, s->body, s->body_len));
        gwin_handle(&m);
        hamd_gwin_close(&m);
    }
    FUZZ_CHECK(hamd_gwin_recv(gwin_gw, &m) == 0);
    return 0;
}
