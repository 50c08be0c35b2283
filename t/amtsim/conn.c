/* One client connection, plain TCP or TLS, with the stream fault knobs
 * (slow reader, drop after N bytes) applied at this single choke point. */
#include "amtsim.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

long conn_read(struct conn *c, void *buf, size_t n, int timeout_ms)
{
    if (n == 0)
        return CONN_ERR;
    if (c->dev && c->dev->knobs.slow_reader) {
        /* a device that drains its socket slowly: small reads with pauses */
        sleep_ms(20);
        if (n > 64)
            n = 64;
    }
    if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int r;
        do {
            r = poll(&p, 1, timeout_ms);
        } while (r < 0 && errno == EINTR && !g_stop);
        if (g_stop)
            return CONN_ERR;
        if (r == 0)
            return CONN_TIMEOUT;
        if (r < 0)
            return CONN_ERR;
    }
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, (int)(n > 65536 ? 65536 : n));
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        return e == SSL_ERROR_ZERO_RETURN ? CONN_EOF : CONN_ERR;
    }
    ssize_t r;
    do {
        r = recv(c->fd, buf, n, 0);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? CONN_ERR : (long)r;
}

/* Read exactly n bytes; returns 0 on success, CONN_* otherwise. */
int conn_read_full(struct conn *c, void *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    while (got < n) {
        long r = conn_read(c, (char *)buf + got, n - got, timeout_ms);
        if (r <= 0)
            return r == 0 ? CONN_ERR : (int)r;
        got += (size_t)r;
    }
    return 0;
}

static int raw_write(struct conn *c, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        if (c->ssl) {
            int r = SSL_write(c->ssl, p, (int)(n > 65536 ? 65536 : n));
            if (r <= 0)
                return -1;
            p += r;
            n -= (size_t)r;
        } else {
            ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return -1;
            p += r;
            n -= (size_t)r;
        }
    }
    return 0;
}

/* Each call is one write on the wire (one TLS record / one send), which the
 * redirection code relies on to keep messages in separate segments. */
int conn_write(struct conn *c, const void *buf, size_t n)
{
    long limit = c->dev ? c->dev->knobs.drop_after : 0;
    if (c->count_drop && limit > 0 && c->sent + (long)n >= limit) {
        size_t part = (size_t)(limit - c->sent);
        if (part)
            raw_write(c, buf, part);
        c->sent = limit;
        logmsg(c->dev, "drop-after %ld reached, dropping stream", limit);
        shutdown(c->fd, SHUT_RDWR);
        return -1;
    }
    if (raw_write(c, buf, n))
        return -1;
    c->sent += (long)n;
    return 0;
}

void conn_close(struct conn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        server_track(c->fd, false);
        close(c->fd);
        c->fd = -1;
    }
}
