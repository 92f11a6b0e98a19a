/* libcurl easy set-up of hactl's HTTP client: see http_easy.h. */
#include "hactl/http_easy.h"

#include <stdlib.h>
#include <string.h>

/* CURLOPT_WRITEFUNCTION: appends to the body, growing it geometrically so
 * a large answer costs few reallocations. Returning less than given
 * aborts the transfer. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct hamd_http_body *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > b->max) {
        b->overflow = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int hamd_http_easy_setup(CURL *e, const struct hamd_http_req *r,
                         struct hamd_http_body *out, char *error, void *priv)
{
    CURLcode rc = curl_easy_setopt(e, CURLOPT_URL, r->url);
    rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (r->body) {
        rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
        rc |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, r->body);
    }
    rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                           (long)r->connect_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, priv);
    /* https: the server's certificate must chain to cacert and name the
     * host asked for (libcurl's defaults, said out loud). */
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (r->cacert)
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, r->cacert);
    return rc == CURLE_OK ? 0 : -1;
}
