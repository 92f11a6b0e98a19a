/* TLS contexts and the client's memory-buffer session. See admin_tls.h. */
#include "admin/admin_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One client session. */
struct admin_tls_pipe {
    SSL *ssl;                     /* the session */
    BIO *in;                      /* network -> OpenSSL */
    BIO *out;                     /* OpenSSL -> network */
    char error[ADMIN_TLS_ERR_MAX]; /* why it failed */
};

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

/* err = what, then OpenSSL's oldest queued error. Returns NULL. */
static void *tls_fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *tls_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_get_error();
    if (e && n >= 0 && (size_t)n + 3 < cap) {
        memcpy(err + n, ": ", 3);
        ERR_error_string_n(e, err + n + 2, cap - (size_t)n - 2);
    }
    ERR_clear_error();
    return NULL;
}

/* Both sides: TLS 1.2 or later, no compression, no renegotiation. */
static SSL_CTX *ctx_new(const SSL_METHOD *method)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    return ctx;
}

SSL_CTX *admin_tls_server_new(const char *cert, const char *key, char *err,
                              size_t cap)
{
    struct stat st;
    if (stat(key, &st) < 0)
        return tls_fail(err, cap, "[admin] tls_key %s: %s", key,
                        strerror(errno));
    if (!S_ISREG(st.st_mode) || (st.st_mode & S_IROTH))
        return tls_fail(err, cap, "[admin] tls_key %s must be a regular "
                        "file not readable by others (mode %04o; chmod 600 "
                        "it)", key, (unsigned)(st.st_mode & 07777));
    SSL_CTX *ctx = ctx_new(TLS_server_method());
    if (!ctx)
        return tls_fail(err, cap, "TLS: cannot create a server context");
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        SSL_CTX_free(ctx);
        return tls_fail(err, cap, "[admin] tls_cert %s: not a PEM "
                        "certificate chain", cert);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return tls_fail(err, cap, "[admin] tls_key %s: not the PEM private "
                        "key of tls_cert %s", key, cert);
    }
    return ctx;
}

SSL_CTX *admin_tls_client_new(const char *ca, char *err, size_t cap)
{
    SSL_CTX *ctx = ctx_new(TLS_client_method());
    if (!ctx)
        return tls_fail(err, cap, "TLS: cannot create a client context");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int ok = ca && ca[0] ? SSL_CTX_load_verify_locations(ctx, ca, NULL)
                         : SSL_CTX_set_default_verify_paths(ctx);
    if (ok != 1) {
        SSL_CTX_free(ctx);
        return tls_fail(err, cap, "[admin] tls_ca %s: no PEM certificate to "
                        "trust", ca && ca[0] ? ca : "(the system's)");
    }
    return ctx;
}

/* ------------------------------------------------------------------------
 * The client's session
 * ------------------------------------------------------------------------ */

static bool is_ip_literal(const char *host)
{
    unsigned char addr[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, addr) == 1 ||
           inet_pton(AF_INET6, host, addr) == 1;
}

struct admin_tls_pipe *admin_tls_pipe_new(SSL_CTX *ctx, const char *host)
{
    struct admin_tls_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ssl = SSL_new(ctx);
    p->in = BIO_new(BIO_s_mem());
    p->out = BIO_new(BIO_s_mem());
    if (!p->ssl || !p->in || !p->out) {
        BIO_free(p->in);
        BIO_free(p->out);
        admin_tls_pipe_destroy(&p);
        return NULL;
    }
    SSL_set_bio(p->ssl, p->in, p->out); /* the session owns them now */
    SSL_set_connect_state(p->ssl);
    /* The certificate must name what was asked for: an address, or a
     * name (then also sent as SNI). OpenSSL checks it while verifying. */
    bool named = is_ip_literal(host)
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p->ssl),
                                                     host) == 1
                     : SSL_set_tlsext_host_name(p->ssl, host) == 1 &&
                           SSL_set1_host(p->ssl, host) == 1;
    if (!named)
        admin_tls_pipe_destroy(&p);
    return p;
}

int admin_tls_pipe_feed(struct admin_tls_pipe *p, const void *in, size_t len)
{
    return len == 0 || BIO_write(p->in, in, (int)len) == (int)len ? 0 : -1;
}

/* Maps SSL_get_error of rc to a step, recording why a failure failed. */
static enum admin_tls_step tls_step(struct admin_tls_pipe *p, int rc)
{
    int e = SSL_get_error(p->ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return ADMIN_TLS_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN)
        return ADMIN_TLS_CLOSED;
    long v = SSL_get_verify_result(p->ssl);
    unsigned long ossl = ERR_get_error();
    if (v != X509_V_OK)
        snprintf(p->error, sizeof p->error, "certificate not trusted: %s",
                 X509_verify_cert_error_string(v));
    else if (ossl)
        ERR_error_string_n(ossl, p->error, sizeof p->error);
    else
        snprintf(p->error, sizeof p->error, "TLS error %d", e);
    ERR_clear_error();
    return ADMIN_TLS_FAILED;
}

enum admin_tls_step admin_tls_pipe_handshake(struct admin_tls_pipe *p)
{
    int rc = SSL_do_handshake(p->ssl);
    return rc == 1 ? ADMIN_TLS_OK : tls_step(p, rc);
}

int admin_tls_pipe_write(struct admin_tls_pipe *p, const void *data,
                         size_t len)
{
    /* The memory BIO takes everything: one call writes it all. */
    return len == 0 || SSL_write(p->ssl, data, (int)len) == (int)len ? 0 : -1;
}

enum admin_tls_step admin_tls_pipe_read(struct admin_tls_pipe *p, void *out,
                                        size_t cap, size_t *n)
{
    *n = 0;
    int rc = SSL_read(p->ssl, out, (int)cap);
    if (rc > 0) {
        *n = (size_t)rc;
        return ADMIN_TLS_OK;
    }
    return tls_step(p, rc);
}

int admin_tls_pipe_take(struct admin_tls_pipe *p, char **out, size_t *len)
{
    size_t pending = BIO_ctrl_pending(p->out);
    *out = NULL;
    *len = 0;
    if (pending == 0)
        return 0;
    char *buf = malloc(pending);
    if (!buf)
        return -1;
    int n = BIO_read(p->out, buf, (int)pending);
    if (n <= 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}

const char *admin_tls_pipe_error(const struct admin_tls_pipe *p)
{
    return p->error[0] ? p->error : "TLS error";
}

void admin_tls_pipe_destroy(struct admin_tls_pipe **pp)
{
    struct admin_tls_pipe *p = *pp;
    if (!p)
        return;
    *pp = NULL;
    SSL_free(p->ssl); /* frees its BIOs */
    free(p);
}
