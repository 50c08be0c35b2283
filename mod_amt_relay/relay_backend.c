/* relay_backend: see relay_backend.h. */
#include "relay_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "apr_portable.h"
#include "apr_strings.h"

static int wait_fd(int fd, short events, apr_time_t deadline)
{
    for (;;) {
        apr_time_t left = deadline - apr_time_now();
        struct pollfd pfd = { fd, events, 0 };
        int rc;
        if (left <= 0)
            return 0;
        rc = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (rc > 0)
            return 1;
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int pin_matches(SSL *ssl, const unsigned char pin[32])
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = 0;
    if (!cert)
        return 0;
    if (X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32)
        ok = CRYPTO_memcmp(md, pin, 32) == 0;
    X509_free(cert);
    return ok;
}

static int tls_start(relay_backend *b, const amt_device *d, apr_time_t deadline, apr_pool_t *p,
                     const char **why)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl;
    if (!ctx) {
        *why = "TLS setup failed";
        return -1;
    }
    b->ssl_ctx = ctx;
    /* old AMT firmware speaks TLS 1.0 only (amt-redirection 1.1); allow it, with
       OpenSSL's default security level governing what else is acceptable */
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    if (d->tls_pin_set) {
        /* the pin is the trust anchor: chain checks are irrelevant for a
           self-signed AMT certificate, the digest comparison below decides */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else if (d->tls_ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, d->tls_ca_file, NULL) != 1) {
            *why = apr_psprintf(p, "cannot load AmtTLSCA %s", d->tls_ca_file);
            return -1;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else if (d->tls_insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        b->insecure = 1;
    } else {
        *why = "no AmtTLSCA / AmtTLSPin for this device";
        return -1;
    }
    ssl = SSL_new(ctx);
    if (!ssl) {
        *why = "TLS setup failed";
        return -1;
    }
    b->ssl = ssl;
    SSL_set_fd(ssl, b->fd);
    if (!is_ip(d->host))
        SSL_set_tlsext_host_name(ssl, d->host);
    if (d->tls_ca_file && !d->tls_pin_set) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        if (is_ip(d->host))
            X509_VERIFY_PARAM_set1_ip_asc(vp, d->host);
        else
            X509_VERIFY_PARAM_set1_host(vp, d->host, 0);
    }
    for (;;) {
        int rc = SSL_connect(ssl), err;
        if (rc == 1)
            break;
        err = SSL_get_error(ssl, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(b->fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w <= 0) {
                *why = "TLS handshake with AMT timed out";
                return -1;
            }
            continue;
        }
        if (SSL_get_verify_result(ssl) != X509_V_OK) {
            *why = apr_psprintf(p, "AMT certificate not trusted: %s",
                                X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
        } else {
            unsigned long e = ERR_peek_last_error();
            *why = apr_psprintf(p, "TLS handshake with AMT failed: %s",
                                e ? ERR_reason_error_string(e) : "connection closed");
        }
        ERR_clear_error();
        return -1;
    }
    if (d->tls_pin_set && !pin_matches(ssl, d->tls_pin)) {
        *why = "AMT certificate does not match AmtTLSPin";
        return -1;
    }
    return 0;
}

int relay_backend_connect(relay_backend *b, const amt_device *d, apr_interval_time_t timeout,
                          apr_pool_t *p, const char **why)
{
    apr_sockaddr_t *sa;
    apr_status_t rv;
    apr_os_sock_t fd;
    int port = amt_device_redir_port(d);
    apr_time_t deadline = apr_time_now() + timeout;
    char err[120];

    memset(b, 0, sizeof(*b));
    b->fd = -1;
    rv = apr_sockaddr_info_get(&sa, d->host, APR_UNSPEC, (apr_port_t)port, 0, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot resolve AMT host %s", d->host);
        return -1;
    }
    rv = apr_socket_create(&b->sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, p);
    if (rv != APR_SUCCESS) {
        *why = "cannot create a socket";
        return -1;
    }
    apr_socket_opt_set(b->sock, APR_TCP_NODELAY, 1);
    apr_socket_opt_set(b->sock, APR_SO_KEEPALIVE, 1);
    apr_socket_timeout_set(b->sock, timeout);
    rv = apr_socket_connect(b->sock, sa);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot connect to AMT at %s:%d: %s", d->host, port,
                            APR_STATUS_IS_TIMEUP(rv) ? "timed out" : apr_strerror(rv, err, sizeof(err)));
        relay_backend_close(b);
        return -1;
    }
    /* from here on the socket is non-blocking; the pump polls it */
    apr_socket_timeout_set(b->sock, 0);
    apr_os_sock_get(&fd, b->sock);
    b->fd = fd;
    if (d->tls && tls_start(b, d, deadline, p, why) != 0) {
        relay_backend_close(b);
        return -1;
    }
    return 0;
}

long relay_backend_read(relay_backend *b, void *buf, size_t len)
{
    b->want_write = 0;
    if (b->ssl) {
        int rc = SSL_read(b->ssl, buf, (int)(len > 1 << 30 ? 1 << 30 : len));
        if (rc > 0)
            return rc;
        switch (SSL_get_error(b->ssl, rc)) {
        case SSL_ERROR_WANT_READ:
            return RELAY_IO_AGAIN;
        case SSL_ERROR_WANT_WRITE:
            b->want_write = 1;
            return RELAY_IO_AGAIN;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        default:
            ERR_clear_error();
            /* AMT often drops TCP without close_notify: treat as EOF, not an error */
            return rc == 0 ? 0 : RELAY_IO_ERROR;
        }
    } else {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_recv(b->sock, buf, &n);
        if (n > 0)
            return (long)n;
        if (APR_STATUS_IS_EAGAIN(rv))
            return RELAY_IO_AGAIN;
        if (rv == APR_EOF || rv == APR_SUCCESS)
            return 0;
        return RELAY_IO_ERROR;
    }
}

long relay_backend_write(relay_backend *b, const void *buf, size_t len)
{
    if (!len)
        return 0;
    if (b->ssl) {
        int rc = SSL_write(b->ssl, buf, (int)(len > 1 << 30 ? 1 << 30 : len));
        if (rc > 0)
            return rc;
        switch (SSL_get_error(b->ssl, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return RELAY_IO_AGAIN;
        default:
            ERR_clear_error();
            return RELAY_IO_ERROR;
        }
    } else {
        apr_size_t n = len;
        apr_status_t rv = apr_socket_send(b->sock, buf, &n);
        if (n > 0)
            return (long)n;
        return APR_STATUS_IS_EAGAIN(rv) ? RELAY_IO_AGAIN : RELAY_IO_ERROR;
    }
}

int relay_backend_pending(relay_backend *b)
{
    return b->ssl ? SSL_pending(b->ssl) > 0 : 0;
}

void relay_backend_close(relay_backend *b)
{
    if (b->ssl) {
        SSL_shutdown(b->ssl); /* best effort close_notify; never wait for the reply */
        SSL_free(b->ssl);
        b->ssl = NULL;
    }
    if (b->ssl_ctx) {
        SSL_CTX_free(b->ssl_ctx);
        b->ssl_ctx = NULL;
    }
    if (b->sock) {
        apr_socket_close(b->sock);
        b->sock = NULL;
    }
    b->fd = -1;
}
