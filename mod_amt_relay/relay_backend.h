/* relay_backend: the connection to the device's redirection port, TCP or TLS
 * (16994/16995). TLS is OpenSSL directly on the socket, under the TLS-to-AMT policy
 * WS-Man uses too (amt_tls.h): AmtTLSCA (chain + host/IP) and/or AmtTLSPin, or, only
 * on an explicit AmtTLSInsecure, no verification, which is logged on every
 * connection. */
#ifndef RELAY_BACKEND_H
#define RELAY_BACKEND_H

#include "apr_network_io.h"
#include "apr_pools.h"
#include "amt_device.h"
#include "amt_tls.h"

typedef struct relay_backend {
    apr_socket_t *sock;
    int fd;
    void *ssl_ctx;  /* SSL_CTX * */
    void *ssl;      /* SSL * */
    int want_write; /* TLS: the last read needs the socket writable */
    int insecure;   /* connected without verification (for the log) */
    amt_tls_policy policy; /* the device's TLS settings, for the handshake */
    amt_tls_conn tls;      /* what the handshake did (negotiated version, verdicts) */
} relay_backend;

enum { RELAY_IO_AGAIN = -1, RELAY_IO_ERROR = -2 };

/* Connects (and completes the TLS handshake) within timeout. On failure returns
 * non-zero with a reason for the client and the log in *why (no secrets). */
int relay_backend_connect(relay_backend *b, const amt_device *d, apr_interval_time_t timeout,
                          apr_pool_t *p, const char **why);
/* > 0 bytes, 0 = orderly EOF, RELAY_IO_AGAIN, RELAY_IO_ERROR. Non-blocking. */
long relay_backend_read(relay_backend *b, void *buf, size_t len);
long relay_backend_write(relay_backend *b, const void *buf, size_t len);
/* TLS: decrypted bytes already buffered (poll would not report them). */
int relay_backend_pending(relay_backend *b);
void relay_backend_close(relay_backend *b);

#endif
