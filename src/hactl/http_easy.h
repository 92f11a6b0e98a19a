/* One libcurl easy transfer set up the way hactl's HTTP client
 * (hactl/http.c) wants it: no proxy, no signals, the request body copied,
 * the answer collected into a capped buffer. Only hactl links libcurl;
 * the daemon has its own small client (admin_http.c). */
#ifndef HACTL_HTTP_EASY_H
#define HACTL_HTTP_EASY_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/* An answer body as it arrives. */
struct hamd_http_body {
    char *data;    /* bytes so far, NUL-terminated (malloc), NULL if none */
    size_t len;    /* bytes in data */
    size_t cap;    /* bytes allocated for data */
    size_t max;    /* most bytes accepted; more aborts the transfer */
    bool overflow; /* the answer went over max */
};

/* One request. */
struct hamd_http_req {
    const char *url;             /* http[s]://host:port/path?query */
    const char *method;          /* GET, POST, PUT, DELETE */
    struct curl_slist *headers;  /* kept by the caller until done */
    const char *body;            /* request body, NULL for none */
    size_t body_len;             /* bytes of body */
    unsigned timeout_ms;         /* the whole transfer */
    unsigned connect_timeout_ms; /* connecting */
    const char *cacert;          /* https: PEM CAs to verify the server
                                    with; NULL = the system's */
};

/* Sets easy handle e up for r: the answer goes into *out (zeroed by the
 * caller, max set), libcurl's message into error (CURL_ERROR_SIZE bytes),
 * and priv becomes its CURLOPT_PRIVATE. Returns 0, or -1 when libcurl
 * refused an option. */
int hamd_http_easy_setup(CURL *e, const struct hamd_http_req *r,
                         struct hamd_http_body *out, char *error, void *priv);

#endif /* HACTL_HTTP_EASY_H */
