/* relay_loop: see relay_loop.h. */
#include "relay_loop.h"

#include <string.h>

#include "apr_poll.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "util_filter.h"

#include "relay_glue.h"

APLOG_USE_MODULE(amt_relay);

static uint64_t now_ms(void)
{
    return (uint64_t)(apr_time_now() / 1000);
}

/* Pulls what the client filter chain holds, up to the pump's room, until EAGAIN.
 * Looping to EAGAIN matters: mod_ssl and the core input filter may already hold
 * bytes that poll() will never report (apache-idioms 2.3, verified trap). Bytes
 * are flattened straight into the pump's input buffer.
 * Returns 1 if it stopped for lack of room (the filters may still hold bytes, so
 * the next turn must read again whatever poll says), else 0. *got = bytes taken. */
static int drain_client(request_rec *r, relay_pump *pump, apr_bucket_brigade *bb, apr_size_t *got)
{
    conn_rec *c = r->connection;
    int more = 0;
    *got = 0;
    for (;;) {
        apr_size_t room = relay_pump_client_room(pump), len;
        apr_status_t rv;
        int eos;
        if (room == 0) {
            more = !pump->client_eof;
            break;
        }
        apr_brigade_cleanup(bb);
        rv = ap_get_brigade(c->input_filters, bb, AP_MODE_READBYTES, APR_NONBLOCK_READ, room);
        if (APR_STATUS_IS_EAGAIN(rv))
            break;
        if (rv != APR_SUCCESS) {
            relay_pump_client_eof(pump);
            break;
        }
        if (APR_BRIGADE_EMPTY(bb))
            break; /* success with nothing = would block */
        eos = APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb));
        len = room;
        if (apr_brigade_flatten(bb, (char *)relay_pump_client_space(pump), &len) != APR_SUCCESS) {
            relay_pump_client_eof(pump);
            break;
        }
        relay_pump_client_filled(pump, len);
        *got += len;
        if (eos) {
            relay_pump_client_eof(pump);
            break;
        }
    }
    apr_brigade_cleanup(bb);
    return more;
}

/* Writes the pump's WebSocket frames. The 2.4 core output filter blocks (bounded
 * by Timeout) when the client does not read: that stall is the back-pressure
 * towards AMT, whose socket we then stop reading. */
static void write_client(request_rec *r, relay_pump *pump, apr_bucket_brigade *bb)
{
    conn_rec *c = r->connection;
    size_t len;
    const uint8_t *d = relay_pump_client_out(pump, &len);
    apr_status_t rv;
    if (!len || pump->client_eof)
        return;
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create((const char *)d, len, c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    rv = ap_pass_brigade(c->output_filters, bb);
    apr_brigade_cleanup(bb);
    if (rv != APR_SUCCESS || c->aborted) {
        relay_pump_client_eof(pump);
        return;
    }
    relay_pump_client_sent(pump, len);
}

/* Reads AMT's bytes straight into the pump's buffer. A short read means the socket
 * was drained, so the loop stops there instead of paying for a read that can only
 * say EAGAIN (poll is level-triggered: a byte that arrives meanwhile is reported).
 * Returns 1 if it stopped for lack of room or after a full read (more may be
 * waiting: read again next turn whatever poll says), else 0. */
static int read_amt(relay_pump *pump, relay_backend *be)
{
    while (be->sock) {
        apr_size_t room = relay_pump_amt_room(pump);
        long n;
        if (room == 0)
            return 1;
        n = relay_backend_read(be, relay_pump_amt_space(pump), room);
        if (n > 0) {
            relay_pump_amt_filled(pump, (size_t)n);
            if ((apr_size_t)n < room && !relay_backend_pending(be))
                return 0;
            continue;
        }
        if (n != RELAY_IO_AGAIN)
            relay_pump_amt_eof(pump, n != 0);
        return 0;
    }
    return 0;
}

/* Returns 1 if bytes are still waiting (poll for POLLOUT). */
static int write_amt(relay_pump *pump, relay_backend *be)
{
    while (be->sock) {
        size_t len;
        const uint8_t *d = relay_pump_amt_out(pump, &len);
        long n;
        if (!len)
            return 0;
        n = relay_backend_write(be, d, len);
        if (n > 0) {
            relay_pump_amt_sent(pump, (size_t)n);
            continue;
        }
        if (n == RELAY_IO_AGAIN)
            return 1;
        relay_pump_amt_eof(pump, 1);
        return 0;
    }
    return 0;
}

void relay_loop_run(request_rec *r, relay_pump *pump, relay_backend *be, relay_slot *slot)
{
    conn_rec *c = r->connection;
    apr_socket_t *csock = ap_get_conn_socket(c);
    apr_bucket_brigade *bbin = apr_brigade_create(r->pool, c->bucket_alloc);
    apr_bucket_brigade *bbout = apr_brigade_create(r->pool, c->bucket_alloc);
    int idle_wakeups = 0;
    /* what the last poll said, and whether a side may hold bytes poll cannot see;
       both start "yes" so that the first turn reads both sides */
    int client_readable = 1, client_more = 1, amt_ready = 1, amt_more = 1;

    for (;;) {
        apr_pollfd_t pfd[2];
        apr_int32_t npfd = 0, nready = 0;
        apr_size_t from_client = 0;
        int amt_blocked;
        unsigned timer;
        apr_interval_time_t timeout;

        if (!pump->client_eof && (client_readable || client_more))
            client_more = drain_client(r, pump, bbin, &from_client);
        /* A readable client socket that yields nothing, again and again, is a peer
           that went away in a way the filters do not report as EOF: stop spinning. */
        if (client_readable && !from_client && !pump->client_eof) {
            if (++idle_wakeups > 1000)
                relay_pump_client_eof(pump);
        } else {
            idle_wakeups = 0;
        }
        if (amt_ready || amt_more || relay_backend_pending(be))
            amt_more = read_amt(pump, be);
        relay_pump_run(pump, now_ms());
        amt_blocked = write_amt(pump, be);
        write_client(r, pump, bbout);
        relay_pump_run(pump, now_ms()); /* writes freed room: maybe more to do */
        amt_blocked = write_amt(pump, be) || amt_blocked;
        write_client(r, pump, bbout);

        if (slot) {
            slot->to_amt = pump->amt_bytes_out;
            slot->to_client = pump->client_bytes_out;
        }
        if (be->sock && relay_pump_amt_closable(pump))
            relay_backend_close(be);
        if (relay_pump_done(pump))
            break;

        /* poll: client readable (if we could take bytes), AMT readable/writable */
        if (!pump->client_eof && relay_pump_client_room(pump) > 0) {
            memset(&pfd[npfd], 0, sizeof(pfd[npfd]));
            pfd[npfd].desc_type = APR_POLL_SOCKET;
            pfd[npfd].desc.s = csock;
            pfd[npfd].reqevents = APR_POLLIN;
            pfd[npfd].client_data = (void *)"c";
            npfd++;
        }
        if (be->sock) {
            apr_int16_t ev = 0;
            if (relay_pump_amt_room(pump) > 0)
                ev |= be->want_write ? APR_POLLOUT : APR_POLLIN;
            if (amt_blocked)
                ev |= APR_POLLOUT;
            if (ev) {
                memset(&pfd[npfd], 0, sizeof(pfd[npfd]));
                pfd[npfd].desc_type = APR_POLL_SOCKET;
                pfd[npfd].desc.s = be->sock;
                pfd[npfd].reqevents = ev;
                pfd[npfd].client_data = (void *)"a";
                npfd++;
            }
        }
        timer = relay_pump_next_timer(pump, now_ms());
        timeout = (apr_interval_time_t)timer * 1000;
        if (be->sock && relay_backend_pending(be) && relay_pump_amt_room(pump) > 0)
            timeout = 0; /* TLS bytes already decrypted: poll would not see them */
        if (npfd == 0) {
            /* both sides are waiting on the pump's own timers */
            apr_sleep(timeout > 0 ? (timeout < 50000 ? timeout : 50000) : 1000);
            client_readable = amt_ready = 0;
            continue;
        }
        apr_status_t rv = apr_poll(pfd, npfd, &nready, timeout);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_TIMEUP(rv) && !APR_STATUS_IS_EINTR(rv)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "relay poll failed");
            relay_pump_shutdown(pump, 1011, "relay internal error");
            relay_pump_client_eof(pump);
            continue;
        }
        client_readable = amt_ready = 0;
        for (int i = 0; i < npfd; i++) {
            if (!pfd[i].rtnevents)
                continue;
            if (*(const char *)pfd[i].client_data == 'c')
                client_readable = 1;
            else
                amt_ready = 1;
        }
    }
    if (be->sock)
        relay_backend_close(be);
}
