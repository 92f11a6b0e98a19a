/* TLS of the admin API (docs/security.md, "TLS on the admin API"), with
 * the OpenSSL libh2o is built against:
 *
 *   - the server's context, from [admin] tls_cert and tls_key, which the
 *     listener hands h2o (admin_conn.c);
 *   - the client's context, which verifies the other members'
 *     certificates against [admin] tls_ca, for forwarding and the
 *     successor probe (admin_http.c);
 *   - a client session over memory buffers (struct admin_tls_pipe): the
 *     daemon's own HTTP client reads and writes its libuv stream, and the
 *     pipe turns those bytes into plaintext and back. So TLS costs
 *     admin_http.c a few calls, not a second I/O model.
 *
 * TLS 1.2 at least. The server asks for no client certificate: the
 * bearer token is what authorises a change.
 */
#ifndef HAMD_ADMIN_TLS_H
#define HAMD_ADMIN_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ADMIN_TLS_ERR_MAX 256 /* bytes of an error message */

/* The server's context from a PEM certificate chain and its key. The key
 * file must not be readable by others, like the token file. Returns NULL
 * with the reason in err (naming the file, never quoting it). */
SSL_CTX *admin_tls_server_new(const char *cert, const char *key, char *err,
                              size_t cap);

/* The client's context: peers are verified against the PEM CAs in ca
 * ("" = the system's trusted CAs). Returns NULL with the reason in err. */
SSL_CTX *admin_tls_client_new(const char *ca, char *err, size_t cap);

/* One client session over memory buffers. */
struct admin_tls_pipe;

/* What a step of the pipe came to. */
enum admin_tls_step {
    ADMIN_TLS_AGAIN,  /* needs more bytes from the network */
    ADMIN_TLS_OK,     /* done (handshake complete, plaintext read) */
    ADMIN_TLS_CLOSED, /* the peer closed the session cleanly */
    ADMIN_TLS_FAILED, /* a TLS error: admin_tls_pipe_error says which */
};

/* A session with ctx to host (a name: SNI, and the certificate must name
 * it; an IP literal: the certificate must hold that address). Returns
 * NULL when out of memory or host is not acceptable. */
struct admin_tls_pipe *admin_tls_pipe_new(SSL_CTX *ctx, const char *host);

/* Takes len bytes that came from the network. Returns 0, -1 when out of
 * memory. */
int admin_tls_pipe_feed(struct admin_tls_pipe *p, const void *in, size_t len);

/* Drives the handshake: OK once it is complete and the peer verified. */
enum admin_tls_step admin_tls_pipe_handshake(struct admin_tls_pipe *p);

/* Encrypts len plaintext bytes (after the handshake). Returns 0 or -1. */
int admin_tls_pipe_write(struct admin_tls_pipe *p, const void *data,
                         size_t len);

/* Decrypts what it can into out (cap bytes): OK with *n > 0 bytes, AGAIN
 * (nothing yet), CLOSED or FAILED. */
enum admin_tls_step admin_tls_pipe_read(struct admin_tls_pipe *p, void *out,
                                        size_t cap, size_t *n);

/* Moves the bytes waiting for the network into a new buffer (*out,
 * malloc'd, *len bytes; NULL and 0 when none). Returns 0, -1 when out of
 * memory. */
int admin_tls_pipe_take(struct admin_tls_pipe *p, char **out, size_t *len);

/* Why the session failed (certificate verification included). */
const char *admin_tls_pipe_error(const struct admin_tls_pipe *p);

/* Frees the session; nulls *p. */
void admin_tls_pipe_destroy(struct admin_tls_pipe **p);

#endif /* HAMD_ADMIN_TLS_H */
