/* hactl's HTTP client for the nodes' admin APIs (libcurl): one request,
 * the same request to every node at once (curl multi, so one dead node
 * costs one timeout, not one per node), reads from whichever node
 * answers, writes sent to the leader (or a node that forwards them), and
 * the mapping of answers to exit codes and error messages. */
#ifndef HACTL_HTTP_H
#define HACTL_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "hactl/hactl.h"

#define HACTL_HTTP_ERROR_MAX 256          /* bytes of a transport error */
#define HACTL_HTTP_REPLY_MAX (64u << 20)  /* bytes of an answer body */

/* One node's answer. */
struct hactl_resp {
    long status;                      /* HTTP status; 0 = no answer */
    char *body;                       /* body, NUL-terminated (malloc) */
    size_t len;                       /* bytes in body */
    json_t *json;                     /* body parsed, NULL if not JSON */
    bool not_sent;                    /* no connection: surely not sent */
    char error[HACTL_HTTP_ERROR_MAX]; /* why there is no answer */
};

/* Releases what *r holds and zeroes it. */
void hactl_resp_free(struct hactl_resp *r);

/* Sends the same request to nodes idx[0..n) at once and fills out[i] for
 * idx[i]. body (JSON text) may be NULL. The bearer token goes with every
 * request that is not a GET. Waits at most ctl->timeout_ms. */
void hactl_http_many(const struct hactl *ctl, const unsigned *idx, unsigned n,
                     const char *method, const char *path, const char *body,
                     struct hactl_resp *out);

/* The same request to every node; out has ctl->n_nodes entries. */
void hactl_http_all(const struct hactl *ctl, const char *method,
                    const char *path, const char *body, struct hactl_resp *out);

/* One request to node idx. */
void hactl_http_one(const struct hactl *ctl, unsigned idx, const char *method,
                    const char *path, const char *body, struct hactl_resp *out);

/* A read: asks the nodes in turn until one answers with anything but
 * 503 (it knows no leader), and keeps that answer (or the last one) in
 * *out. Returns the index of the node that answered, or -1 when none
 * did. */
int hactl_http_read(const struct hactl *ctl, const char *path,
                    struct hactl_resp *out);

/* A read that must see every committed write, the first step of a
 * read-modify-write: asks the publishing leader first (as a write does),
 * since a follower may not have applied the last change yet. Returns the
 * index of the node that answered, or -1. */
int hactl_http_read_leader(const struct hactl *ctl, const char *path,
                           struct hactl_resp *out);

/* A write: finds the publishing leader (every node's /readyz, at once)
 * and sends it there, else to a node that answered (it forwards). It
 * tries another node only when the change was surely not submitted: the
 * node could not be connected to, or answered 503 "no leader". A timeout
 * is not retried, since the node may still apply the change. Returns the
 * index of the node that answered, or -1. */
int hactl_http_write(const struct hactl *ctl, const char *method,
                     const char *path, const char *body,
                     struct hactl_resp *out);

/* A write of body (NULL: none) as compact JSON through hactl_http_write,
 * checked with hactl_http_check(what). The answer stays in *out (free
 * it). Returns an enum hactl_exit. */
int hactl_http_write_json(const struct hactl *ctl, const char *what,
                          const char *method, const char *path,
                          const json_t *body, struct hactl_resp *out);

/* Maps an answer to an exit code (enum hactl_exit): 2xx ok, 4xx rejected,
 * 5xx failed, none unreachable. For anything but 2xx it prints
 * "hactl: WHAT: ERROR (field F)" to stderr, with the API's error. */
int hactl_http_check(const char *what, const struct hactl_resp *r);

/* Prints the body as it came (for --json), ending with a newline. */
void hactl_print_raw(const struct hactl_resp *r);

/* Prints a JSON value compactly on one line (for --json). */
void hactl_print_json(const json_t *v);

/* Fails with a usage message when no node is known. Returns 0 or
 * HACTL_USAGE. */
int hactl_need_nodes(const struct hactl *ctl, const char *cmd);

#endif /* HACTL_HTTP_H */
