/* libhamd-client: the object, its options, its own thread and its
 * counters (include/hamd/client.h). The sockets are client_io.c's, the
 * decisions client_core.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "common/clock.h"

#define HAMD_CLIENT_EXPORT __attribute__((visibility("default")))

#ifndef HAMD_CLIENT_VERSION
#define HAMD_CLIENT_VERSION "0.0.0"
#endif

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

/* Copies n strings of src into dst; each at most max_len bytes (0: any)
 * and, when nonempty is set, not empty. Returns 0 or -1 (errno set). */
static int strings_copy(char **dst, const char *const *src, size_t n,
                        size_t max_len, bool nonempty)
{
    for (size_t i = 0; i < n; i++) {
        if (!src || !src[i] || (nonempty && !src[i][0]) ||
            (max_len && strlen(src[i]) > max_len)) {
            errno = EINVAL;
            return -1;
        }
        if (!(dst[i] = strdup(src[i])))
            return -1;
    }
    return 0;
}

/* The CURVE keys: all three valid Z85 keys, or none. Returns 0 or -1. */
static int curve_copy(struct client_conf *conf,
                      const struct hamd_client_opts *o)
{
    const char *keys[] = {o->server_key, o->client_public_key,
                          o->client_secret_key};
    char *dst[] = {conf->server_key, conf->client_public,
                   conf->client_secret};
    unsigned given = 0;
    for (size_t i = 0; i < 3; i++)
        given += keys[i] != NULL;
    if (given == 0)
        return 0;
    for (size_t i = 0; i < 3; i++) {
        if (!hamd_curve_key_valid(keys[i]))
            return -1;
        memcpy(dst[i], keys[i], HAMD_CURVE_Z85_LEN + 1);
    }
    conf->curve = true;
    return 0;
}

static void conf_free(struct client_conf *conf)
{
    for (unsigned i = 0; i < conf->n_endpoints; i++)
        free(conf->endpoints[i]);
    for (unsigned i = 0; i < conf->n_snapshots; i++)
        free(conf->snapshots[i]);
    for (unsigned i = 0; i < conf->n_prefixes; i++)
        free(conf->prefixes[i]);
    explicit_bzero(conf, sizeof *conf); /* the secret key too */
}

/* Checks and copies the caller's options. Returns 0 or -1 (errno). */
static int conf_copy(struct client_conf *conf,
                     const struct hamd_client_opts *o)
{
    if (!o->on_tick || o->n_endpoints == 0 ||
        o->n_endpoints > HAMD_CLIENT_ENDPOINTS_MAX ||
        o->n_snapshot_endpoints > HAMD_CLIENT_ENDPOINTS_MAX ||
        o->n_prefixes > HAMD_CLIENT_PREFIXES_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (curve_copy(conf, o) < 0) {
        errno = EINVAL;
        return -1;
    }
    conf->cb = *o;
    if (conf->cb.hb_timeout_ms == 0)
        conf->cb.hb_timeout_ms = HAMD_CLIENT_HB_TIMEOUT_MS_DEFAULT;
    conf->cb.endpoints = conf->cb.snapshot_endpoints = conf->cb.prefixes = NULL;
    conf->cb.server_key = conf->cb.client_public_key = NULL;
    conf->cb.client_secret_key = NULL;
    /* The hub answers no snapshot request with a prefix of
     * HAMD_VT_SYMBOL_MAX bytes or more (docs/protocol.md §7). */
    int rc = 0;
    conf->n_endpoints = (unsigned)o->n_endpoints;
    rc |= strings_copy(conf->endpoints, o->endpoints, o->n_endpoints, 0, true);
    conf->n_snapshots = (unsigned)o->n_snapshot_endpoints;
    rc |= strings_copy(conf->snapshots, o->snapshot_endpoints,
                       o->n_snapshot_endpoints, 0, true);
    static const char *const everything[] = {""};
    size_t n_prefixes = o->n_prefixes ? o->n_prefixes : 1;
    conf->n_prefixes = (unsigned)n_prefixes;
    rc |= strings_copy(conf->prefixes, o->n_prefixes ? o->prefixes : everything,
                       n_prefixes, HAMD_VT_SYMBOL_MAX - 1, false);
    return rc;
}

/* ------------------------------------------------------------------------
 * The core's decisions, to the caller's callbacks
 * ------------------------------------------------------------------------ */

static void sink_tick(void *ud, const struct hamd_tick *t, unsigned flags)
{
    struct hamd_client *self = ud;
    self->delivered++;
    self->conf.cb.on_tick(self->conf.cb.ud, t, flags);
}

static void sink_gap(void *ud, const char *vt, uint64_t term,
                     uint64_t expected, uint64_t got)
{
    struct hamd_client *self = ud;
    if (self->conf.cb.on_gap)
        self->conf.cb.on_gap(self->conf.cb.ud, vt, term, expected, got);
}

static void sink_leader(void *ud, uint64_t term, uint32_t node)
{
    struct hamd_client *self = ud;
    if (self->conf.cb.on_leader)
        self->conf.cb.on_leader(self->conf.cb.ud, term, node);
}

static void sink_notice(void *ud, enum hamd_client_notice what,
                        const char *text)
{
    struct hamd_client *self = ud;
    if (self->conf.cb.on_notice)
        self->conf.cb.on_notice(self->conf.cb.ud, what, text);
}

void client_stats_publish(struct hamd_client *self)
{
    pthread_mutex_lock(&self->stats_lock);
    self->stats = *ccore_stats(self->core);
    pthread_mutex_unlock(&self->stats_lock);
}

/* ------------------------------------------------------------------------
 * Public interface
 * ------------------------------------------------------------------------ */

/* err as the caller can read it: ZeroMQ's own ENOCOMPATPROTO (a transport
 * it has, but not for this socket: "udp://") is EPROTONOSUPPORT, as an
 * unknown one is; strerror() knows no ZeroMQ errno. */
static int errno_plain(int err)
{
    return err == ENOCOMPATPROTO ? EPROTONOSUPPORT : err;
}

HAMD_CLIENT_EXPORT hamd_client_t *hamd_client_new(const struct hamd_client_opts *opts)
{
    struct hamd_client *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->stats_lock, NULL);
    zmq_msg_init(&self->topic);
    zmq_msg_init(&self->body);
    if (!opts || conf_copy(&self->conf, opts) < 0) {
        int err = opts ? errno : EINVAL;
        hamd_client_destroy(&self);
        errno = err;
        return NULL;
    }
    const struct ccore_opts co = {
        .hb_timeout_ns = (int64_t)self->conf.cb.hb_timeout_ms * HAMD_NS_PER_MS,
        .n_endpoints = self->conf.n_endpoints,
        .n_prefixes = self->conf.n_prefixes,
        .snapshots = self->conf.n_snapshots > 0,
    };
    const struct ccore_sink sink = {sink_tick, sink_gap, sink_leader,
                                    sink_notice, self};
    self->core = ccore_new(&co, &sink, hamd_mono_ns());
    if (!self->core || client_io_open(self) < 0) {
        int err = self->core ? errno_plain(errno) : ENOMEM;
        hamd_client_destroy(&self);
        errno = err;
        return NULL;
    }
    return self;
}

/* The client whose poll step this thread runs (its callbacks included),
 * or NULL. */
static __thread const struct hamd_client *stepping;

/* One poll step, marked as this thread's. */
static int client_step(struct hamd_client *self, int timeout_ms)
{
    const struct hamd_client *outer = stepping; /* a callback may poll
                                                   another client */
    stepping = self;
    int rc = client_io_poll(self, timeout_ms);
    stepping = outer;
    return rc;
}

/* True when the caller is one of this client's callbacks: the client is
 * in use below it (a poll step), so it is neither freed, nor polled nor
 * started there. */
static bool in_callback(const struct hamd_client *self)
{
    return stepping == self;
}

static void *client_thread(void *arg)
{
    struct hamd_client *self = arg;
    while (!atomic_load(&self->stop))
        client_step(self, CLIENT_THREAD_POLL_MS);
    return NULL;
}

HAMD_CLIENT_EXPORT int hamd_client_start(hamd_client_t *self)
{
    if (!self) { /* what hamd_client_destroy leaves */
        errno = EINVAL;
        return -1;
    }
    if (in_callback(self)) {
        errno = EDEADLK;
        return -1;
    }
    if (self->started) {
        errno = EALREADY;
        return -1;
    }
    int rc = pthread_create(&self->thread, NULL, client_thread, self);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    self->started = true;
    return 0;
}

HAMD_CLIENT_EXPORT int hamd_client_poll(hamd_client_t *self, int timeout_ms)
{
    if (!self) {
        errno = EINVAL;
        return -1;
    }
    if (self->started) {
        errno = EBUSY;
        return -1;
    }
    if (in_callback(self)) {
        errno = EDEADLK;
        return -1;
    }
    return client_step(self, timeout_ms);
}

HAMD_CLIENT_EXPORT void hamd_client_stats(hamd_client_t *self,
                                          struct hamd_client_stats *out)
{
    if (!out)
        return;
    if (!self) { /* what hamd_client_destroy leaves: nothing counted */
        memset(out, 0, sizeof *out);
        return;
    }
    pthread_mutex_lock(&self->stats_lock);
    *out = self->stats;
    pthread_mutex_unlock(&self->stats_lock);
}

HAMD_CLIENT_EXPORT bool hamd_client_tick_extra_int(const struct hamd_tick *tick,
                                                   const char *key, int64_t *out)
{
    return tick && key && out && hamd_tick_extra_int(tick, key, out);
}

HAMD_CLIENT_EXPORT const char *hamd_client_version(void)
{
    return HAMD_CLIENT_VERSION;
}

HAMD_CLIENT_EXPORT void hamd_client_destroy(hamd_client_t **self_p)
{
    struct hamd_client *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    if (in_callback(self)) {
        errno = EDEADLK; /* refused, the client left as it was */
        return;
    }
    if (self->started) {
        atomic_store(&self->stop, true);
        pthread_join(self->thread, NULL);
    }
    client_io_close(self);
    ccore_destroy(&self->core);
    zmq_msg_close(&self->topic);
    zmq_msg_close(&self->body);
    conf_free(&self->conf);
    pthread_mutex_destroy(&self->stats_lock);
    free(self);
    *self_p = NULL;
}
