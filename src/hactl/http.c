/* hactl's HTTP client: see http.h. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hactl/http.h"
#include "hactl/http_easy.h"
#include "hactl/util.h"

#define HTTP_URL_MAX 2048            /* bytes of a request URL */
#define HTTP_AUTH_MAX 300            /* bytes of the Authorization line */
#define HTTP_POLL_MS 100             /* curl_multi_poll wake-up */
#define HTTP_CONNECT_SHARE 2         /* connect timeout = timeout / this */
#define HTTP_LEADER_WAIT_MS 3000     /* a write every node refused with
                                        "no leader" (an election under way)
                                        is asked again for this long:
                                        elections take 0.2 - 1 s at the
                                        defaults (docs/configuration.md),
                                        a loaded host's a few; a change
                                        "no leader" refused was never
                                        submitted, so asking again cannot
                                        apply it twice */
#define HTTP_LEADER_RETRY_MS 200     /* ... one round of the nodes this
                                        often */

/* One transfer of hactl_http_many. */
struct http_xfer {
    CURL *easy;                  /* its handle */
    struct curl_slist *headers;  /* its headers */
    struct hactl_resp *out;      /* where the answer goes */
    struct hamd_http_body answer; /* the body, handed to out at the end */
    char curl_error[CURL_ERROR_SIZE]; /* libcurl's message */
};

/* ------------------------------------------------------------------------
 * Transfers
 * ------------------------------------------------------------------------ */

static void http_global_init(void)
{
    static bool done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        atexit(curl_global_cleanup);
        done = true;
    }
}

void hactl_resp_free(struct hactl_resp *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static int xfer_setup(const struct hactl *ctl, struct http_xfer *x,
                      const char *admin, const char *method, const char *path,
                      const char *body)
{
    char url[HTTP_URL_MAX], auth[HTTP_AUTH_MAX];
    snprintf(url, sizeof url, "%s://%s%s", ctl->tls ? "https" : "http", admin,
             path);
    x->easy = curl_easy_init();
    if (!x->easy)
        return -1;
    x->headers = curl_slist_append(NULL, "Expect:");
    if (body)
        x->headers = curl_slist_append(x->headers, "Content-Type: application/json");
    if (ctl->token[0] && strcmp(method, "GET") != 0) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", ctl->token);
        x->headers = curl_slist_append(x->headers, auth);
        explicit_bzero(auth, sizeof auth);
    }
    if (!x->headers)
        return -1;
    unsigned timeout = ctl->timeout_ms ? ctl->timeout_ms : HACTL_TIMEOUT_MS_DEFAULT;
    const struct hamd_http_req req = {
        .url = url,
        .method = method,
        .headers = x->headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = timeout,
        .connect_timeout_ms = timeout / HTTP_CONNECT_SHARE + 1,
        .cacert = ctl->cacert[0] ? ctl->cacert : NULL,
    };
    x->answer.max = HACTL_HTTP_REPLY_MAX;
    return hamd_http_easy_setup(x->easy, &req, &x->answer, x->curl_error, x);
}

static void xfer_done(struct http_xfer *x, CURLcode result)
{
    struct hactl_resp *r = x->out;
    if (result == CURLE_OK) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
        if (x->answer.data)
            r->json = json_loadb(x->answer.data, x->answer.len, 0, NULL);
    } else {
        snprintf(r->error, sizeof r->error, "%s",
                 x->curl_error[0] ? x->curl_error : curl_easy_strerror(result));
        r->not_sent = result == CURLE_COULDNT_CONNECT ||
                      result == CURLE_COULDNT_RESOLVE_HOST;
    }
}

static void run_multi(CURLM *multi)
{
    int running = 1;
    while (running) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(multi, NULL, 0, HTTP_POLL_MS, NULL);
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct http_xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            xfer_done(x, msg->data.result);
    }
}

void hactl_http_many(const struct hactl *ctl, const unsigned *idx, unsigned n,
                     const char *method, const char *path, const char *body,
                     struct hactl_resp *out)
{
    http_global_init();
    struct http_xfer x[HACTL_MAX_NODES];
    memset(x, 0, sizeof x);
    CURLM *multi = curl_multi_init();
    for (unsigned i = 0; i < n && i < HACTL_MAX_NODES; i++) {
        memset(&out[i], 0, sizeof out[i]);
        x[i].out = &out[i];
        if (!ctl->nodes[idx[i]].admin[0]) {
            snprintf(out[i].error, sizeof out[i].error, "no admin address");
            out[i].not_sent = true;
            continue;
        }
        if (!multi || xfer_setup(ctl, &x[i], ctl->nodes[idx[i]].admin, method,
                                 path, body) < 0 ||
            curl_multi_add_handle(multi, x[i].easy) != CURLM_OK)
            snprintf(out[i].error, sizeof out[i].error, "cannot set up the request");
    }
    if (multi)
        run_multi(multi);
    for (unsigned i = 0; i < n && i < HACTL_MAX_NODES; i++) {
        if (x[i].easy && multi)
            curl_multi_remove_handle(multi, x[i].easy);
        curl_easy_cleanup(x[i].easy);
        curl_slist_free_all(x[i].headers);
        out[i].body = x[i].answer.data;
        out[i].len = x[i].answer.len;
    }
    curl_multi_cleanup(multi);
}

void hactl_http_all(const struct hactl *ctl, const char *method,
                    const char *path, const char *body, struct hactl_resp *out)
{
    unsigned idx[HACTL_MAX_NODES];
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        idx[i] = i;
    hactl_http_many(ctl, idx, ctl->n_nodes, method, path, body, out);
}

void hactl_http_one(const struct hactl *ctl, unsigned idx, const char *method,
                    const char *path, const char *body, struct hactl_resp *out)
{
    hactl_http_many(ctl, &idx, 1, method, path, body, out);
}

/* ------------------------------------------------------------------------
 * Reads and writes, leader first
 * ------------------------------------------------------------------------ */

/* True when a read got no answer, or one from a node that knows no
 * leader. */
static bool read_retryable(const struct hactl_resp *r)
{
    return r->status == 0 || r->status == 503;
}

/* Sends the request to the nodes in order until one answers with
 * something retry does not accept. *out keeps the last answer, but never
 * trades an answer for a node that could not be asked: a node that said
 * "no leader" before the next could not be reached is what the operator
 * must see (exit 1, not 3: docs/hactl.md), and what makes a write wait
 * for an election. Returns the index of the node that answered, or -1. */
static int send_in_order(const struct hactl *ctl, const unsigned *order,
                         unsigned n, const char *method, const char *path,
                         const char *body, struct hactl_resp *out,
                         bool (*retry)(const struct hactl_resp *r))
{
    int answered = -1;
    memset(out, 0, sizeof *out);
    snprintf(out->error, sizeof out->error, "no node given");
    for (unsigned k = 0; k < n; k++) {
        struct hactl_resp r;
        hactl_http_one(ctl, order[k], method, path, body, &r);
        bool again = retry(&r);
        if (r.status == 0 && answered >= 0 && again) {
            hactl_resp_free(&r);
            continue; /* keep the answer we have over no answer */
        }
        hactl_resp_free(out);
        *out = r; /* a write's timeout stops here: it may be applied */
        if (r.status != 0)
            answered = (int)order[k];
        if (!again)
            break;
    }
    return answered;
}

int hactl_http_read(const struct hactl *ctl, const char *path,
                    struct hactl_resp *out)
{
    unsigned order[HACTL_MAX_NODES];
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        order[i] = i;
    return send_in_order(ctl, order, ctl->n_nodes, "GET", path, NULL, out,
                         read_retryable);
}

/* True when the answer was "no leader": nothing was submitted, and an
 * election may end soon. */
static bool no_leader(const struct hactl_resp *r)
{
    const char *err = json_string_value(json_object_get(r->json, "error"));
    return r->status == 503 && err && strcmp(err, "no leader") == 0;
}

/* True when a write surely did not reach a leader, so another node may
 * be asked: no connection, or "no leader" before anything was
 * submitted. */
static bool write_retryable(const struct hactl_resp *r)
{
    return r->not_sent || no_leader(r);
}

/* Orders the nodes for a request the leader should answer: the
 * publisher first (every node's /readyz, at once), then the others that
 * answered, then the rest (a node that did not answer the probe may
 * answer now). Returns how many entries of order it filled. */
static unsigned leader_first(const struct hactl *ctl,
                             unsigned order[HACTL_MAX_NODES])
{
    struct hactl_resp ready[HACTL_MAX_NODES];
    unsigned n = 0;
    hactl_http_all(ctl, "GET", "/readyz", NULL, ready);
    for (unsigned pass = 0; pass < 3; pass++)
        for (unsigned i = 0; i < ctl->n_nodes; i++)
            if ((pass == 0 && ready[i].status == 200) ||
                (pass == 1 && ready[i].status != 0 && ready[i].status != 200) ||
                (pass == 2 && ready[i].status == 0))
                order[n++] = i;
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        hactl_resp_free(&ready[i]);
    return n;
}

int hactl_http_read_leader(const struct hactl *ctl, const char *path,
                           struct hactl_resp *out)
{
    unsigned order[HACTL_MAX_NODES];
    unsigned n = leader_first(ctl, order);
    return send_in_order(ctl, order, n, "GET", path, NULL, out,
                         read_retryable);
}

int hactl_http_write(const struct hactl *ctl, const char *method,
                     const char *path, const char *body,
                     struct hactl_resp *out)
{
    unsigned order[HACTL_MAX_NODES];
    int answered = -1;
    for (unsigned waited_ms = 0;; waited_ms += HTTP_LEADER_RETRY_MS) {
        unsigned n = leader_first(ctl, order);
        answered = send_in_order(ctl, order, n, method, path, body, out,
                                 write_retryable);
        if (!no_leader(out) || waited_ms >= HTTP_LEADER_WAIT_MS)
            break;
        if (waited_ms == 0 && !ctl->json)
            fprintf(stderr, "hactl: no leader (an election?): asking again "
                            "for up to %d s\n", HTTP_LEADER_WAIT_MS / 1000);
        hactl_sleep_ms(HTTP_LEADER_RETRY_MS);
    }
    return answered;
}

int hactl_http_write_json(const struct hactl *ctl, const char *what,
                          const char *method, const char *path,
                          const json_t *body, struct hactl_resp *out)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    hactl_http_write(ctl, method, path, text, out);
    free(text);
    return hactl_http_check(what, out);
}

/* ------------------------------------------------------------------------
 * Answers
 * ------------------------------------------------------------------------ */

int hactl_http_check(const char *what, const struct hactl_resp *r)
{
    if (r->status >= 200 && r->status < 300)
        return HACTL_OK;
    if (r->status == 0) {
        fprintf(stderr, "hactl: %s: no node answered (%s)\n", what,
                r->error[0] ? r->error : "no node given");
        return HACTL_UNREACHABLE;
    }
    const char *err = json_string_value(json_object_get(r->json, "error"));
    const char *field = json_string_value(json_object_get(r->json, "field"));
    if (field && field[0])
        fprintf(stderr, "hactl: %s: %s (field %s)\n", what,
                err ? err : "request failed", field);
    else
        fprintf(stderr, "hactl: %s: %s (HTTP %ld)\n", what,
                err ? err : "request failed", r->status);
    return r->status < 500 ? HACTL_REJECTED : HACTL_FAIL;
}

void hactl_print_raw(const struct hactl_resp *r)
{
    if (!r->body)
        return;
    fwrite(r->body, 1, r->len, stdout);
    if (r->len == 0 || r->body[r->len - 1] != '\n')
        putchar('\n');
}

void hactl_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
}

int hactl_need_nodes(const struct hactl *ctl, const char *cmd)
{
    for (unsigned i = 0; i < ctl->n_nodes; i++)
        if (ctl->nodes[i].admin[0])
            return HACTL_OK;
    fprintf(stderr, "hactl %s: no node to ask: give -c CONFIG or -H HOST:PORT\n",
            cmd);
    return HACTL_USAGE;
}
