/* relay_backend: see relay_backend.h. */
#include "relay_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

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

/* TLS on the connected socket under the policy both planes share (amt_tls.h): it
 * decides versions, ciphers, trust, host name and pin inside the handshake. */
static int tls_start(relay_backend *b, const amt_device *d, apr_time_t deadline, apr_pool_t *p,
                     const char **why)
{
    char err[200];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl;
    if (!ctx) {
        *why = "TLS setup failed";
        return -1;
    }
    b->ssl_ctx = ctx;
    b->policy = (amt_tls_policy){.host = d->host, .ca_file = d->tls_ca_file,
                                 .pin = d->tls_pin_set ? d->tls_pin : NULL,
                                 .insecure = d->tls_insecure, .legacy = d->tls_legacy};
    if (amt_tls_configure(ctx, &b->policy, &b->tls, err, sizeof(err)) != 0) {
        *why = apr_pstrdup(p, err);
        return -1;
    }
    /* only an unverified connection: a pin or a CA is verification */
    b->insecure = d->tls_insecure && !d->tls_pin_set && !d->tls_ca_file;
    ssl = SSL_new(ctx);
    if (!ssl) {
        *why = "TLS setup failed";
        return -1;
    }
    b->ssl = ssl;
    SSL_set_fd(ssl, b->fd);
    if (!is_ip(d->host))
        SSL_set_tlsext_host_name(ssl, d->host);
    for (;;) {
        int rc = SSL_connect(ssl), e;
        if (rc == 1)
            break;
        e = SSL_get_error(ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int w = wait_fd(b->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (w <= 0) {
                *why = "TLS handshake with AMT timed out";
                return -1;
            }
            continue;
        }
        {
            unsigned long last = ERR_peek_last_error();
            const char *fallback = apr_psprintf(p, "TLS handshake with AMT failed: %s",
                                                last ? ERR_reason_error_string(last)
                                                     : "connection closed");
            *why = apr_psprintf(p, "TLS to AMT: %s",
                                amt_tls_failure(&b->tls, fallback, err, sizeof(err)));
        }
        ERR_clear_error();
        return -1;
    }
    if (d->tls_pin_set && !b->tls.pin_checked) {
        *why = "AMT certificate was not checked against AmtTLSPin"; /* fail closed */
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
        int refused_plain = !d->tls && APR_STATUS_IS_ECONNREFUSED(rv);
        *why = apr_psprintf(p, "cannot connect to AMT at %s:%d: %s%s%s%s", d->host, port,
                            APR_STATUS_IS_TIMEUP(rv) ? "timed out" : apr_strerror(rv, err, sizeof(err)),
                            refused_plain ? " (" : "", refused_plain ? AMT_TLS_PLAIN_REFUSED_HINT : "",
                            refused_plain ? ")" : "");
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
