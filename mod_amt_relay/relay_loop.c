/* relay_loop: see relay_loop.h. */
#include "relay_loop.h"

#include <string.h>

#include "apr_poll.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_ssl.h"
#include "util_filter.h"

#include "relay_client_health.h"
#include "relay_glue.h"
#include "relay_revoke.h"
#include "relay_server_state.h"

APLOG_USE_MODULE(amt_relay);

static uint64_t now_ms(void)
{
    return (uint64_t)(apr_time_now() / 1000);
}

/* Pulls what the client filter chain holds, up to the pump's room, until EAGAIN.
 * Looping to EAGAIN matters: mod_ssl and the core input filter may already hold
 * bytes that poll() will never report. Bytes
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

/* Most bytes handed to the core output filter in one call. The core turns a
 * brigade of FlushMaxThreshold bytes (64 KB by default) or more into a blocking
 * write; staying below it keeps every client write non-blocking while still writing
 * in large pieces. TLS records add a few bytes each, hence the margin there. */
static apr_size_t client_chunk(conn_rec *c)
{
    core_server_config *conf = ap_get_core_module_config(c->base_server->module_config);
    apr_size_t t = conf && conf->flush_max_threshold ? conf->flush_max_threshold : 65536;
    apr_size_t margin = ap_ssl_conn_is_ssl(c) ? 4096 : 1;
    return t > 2 * margin ? t - margin : t / 2;
}

/* Splits len into equal pieces of at most chunk: 64 KB + 1 byte goes out as two
 * halves rather than a large write and a 1-byte one (small writes cost the receiver
 * buffer space far beyond their size). */
static apr_size_t client_piece(apr_size_t len, apr_size_t chunk)
{
    apr_size_t pieces = (len + chunk - 1) / chunk;
    return pieces > 1 ? (len + pieces - 1) / pieces : len;
}

/* Asks the last filter (the core) to write what it holds without blocking, as
 * mod_proxy's tunnel does in 2.4 (a NULL brigade). Returns 1 while bytes remain. */
static int push_client_pending(conn_rec *c, relay_pump *pump)
{
    ap_filter_t *f = c->output_filters;
    while (f->next)
        f = f->next;
    if (f->frec->filter_func.out_func(f, NULL) != APR_SUCCESS || c->aborted) {
        relay_pump_client_eof(pump);
        return 0;
    }
    return c->data_in_output_filters ? 1 : 0;
}

/* Writes the pump's WebSocket frames without ever blocking: bytes go down the chain
 * without a FLUSH bucket (which would make the core write block), then the core is
 * asked to write them out. While it still holds some (the client is slower than AMT),
 * nothing new is passed: the pump's client buffer fills, AMT stops being read
 * (back-pressure), and the client's own input keeps flowing to AMT meanwhile.
 * What the core holds is pushed again only once poll says the socket is writable
 * (writable): pushing on every wake-up would trickle tiny segments into a nearly
 * full socket, which costs the receiver far more buffer space than their size.
 * Returns 1 while bytes wait in the filters (poll for POLLOUT). */
static int write_client(request_rec *r, relay_pump *pump, apr_bucket_brigade *bb, apr_size_t chunk,
                        int writable)
{
    conn_rec *c = r->connection;
    for (;;) {
        size_t len;
        const uint8_t *d;
        apr_status_t rv;
        if (pump->client_eof)
            return 0;
        if (c->data_in_output_filters && (!writable || push_client_pending(c, pump)))
            return 1;
        d = relay_pump_client_out(pump, &len);
        if (!len)
            return 0;
        len = client_piece(len, chunk);
        apr_brigade_cleanup(bb);
        /* transient: the core copies whatever it cannot write now (at most a chunk) */
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create((const char *)d, len, c->bucket_alloc));
        rv = ap_pass_brigade(c->output_filters, bb);
        apr_brigade_cleanup(bb);
        if (rv != APR_SUCCESS || c->aborted) {
            relay_pump_client_eof(pump);
            return 0;
        }
        relay_pump_client_sent(pump, len);
        /* the push right after writes what the core kept (it keeps a brigade under
           4 KB without even trying to write it) */
        writable = 1;
    }
}

/* Before the handler returns: a last blocking flush of what the core still holds
 * (the close frame, typically), bounded by the server's Timeout. */
static void flush_client(conn_rec *c, apr_bucket_brigade *bb)
{
    if (c->aborted || !c->data_in_output_filters)
        return;
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    ap_pass_brigade(c->output_filters, bb);
    apr_brigade_cleanup(bb);
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

/* How often a stream looks whether the server is stopping (ms). */
#define STOP_CHECK_MS 1000

/* The pump held a BUSY answer and it is time to ask AMT again: a new connection
 * (the old one was closed when the pump made it closable). Blocks for at most the
 * connect timeout, as the first connection did before the upgrade. */
static void reconnect_amt(request_rec *r, relay_pump *pump, relay_backend *be, const amt_device *dev,
                          apr_interval_time_t connect_timeout)
{
    const char *why = NULL;
    int ok;
    if (be->sock)
        relay_backend_close(be);
    ok = relay_backend_connect(be, dev, connect_timeout, r->pool, &why) == 0;
    if (!ok)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "relay: AMT was busy, asking again failed: %s",
                      why ? why : "?");
    relay_pump_amt_reconnected(pump, now_ms(), ok);
}

void relay_loop_run(request_rec *r, relay_pump *pump, relay_backend *be, relay_slot *slot,
                    const amt_device *dev, apr_interval_time_t connect_timeout)
{
    conn_rec *c = r->connection;
    apr_socket_t *csock = ap_get_conn_socket(c);
    apr_bucket_brigade *bbin = apr_brigade_create(r->pool, c->bucket_alloc);
    apr_bucket_brigade *bbout = apr_brigade_create(r->pool, c->bucket_alloc);
    int idle_wakeups = 0;
    /* what the last poll said, and whether a side may hold bytes poll cannot see;
       both start "yes" so that the first turn reads both sides */
    int client_readable = 1, client_more = 1, amt_ready = 1, amt_more = 1;
    /* whether the core still holds client output, whether the last poll said the
       client socket drained; a client that takes nothing for the idle time (the
       server's Timeout if that is off) is given up on */
    int client_pending = 0, client_drained = 0, client_writable;
    client_watch watch = { pump->lim.idle_ms ? pump->lim.idle_ms
                                             : (uint64_t)apr_time_as_msec(r->server->timeout), 0, -1 };
    apr_size_t chunk = client_chunk(c);
    int stopping = 0;
    uint64_t next_stop_check = now_ms() + STOP_CHECK_MS;
    const char *pid_file = relay_watched_pid_file(r->pool);
    client_probe probe = { slot ? slot->probe_at : 0, 0, 0, -1, 0 };
    relay_revoke_watch revoke;
    int revoked = 0;
    relay_revoke_init(&revoke, now_ms());

    for (;;) {
        apr_pollfd_t pfd[2];
        apr_int32_t npfd = 0, nready = 0;
        apr_size_t from_client = 0;
        int amt_blocked;
        unsigned timer;
        apr_interval_time_t timeout;
        int client_acked = relay_watch_acked(&watch, csock); /* before this turn writes more */

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
        relay_probe_start(&probe, slot, pump, now_ms());
        if (from_client)
            probe.heard = 1;
        if (!stopping && now_ms() >= next_stop_check) {
            next_stop_check = now_ms() + STOP_CHECK_MS;
            if (relay_server_stopping(pid_file, r->pool)) {
                stopping = 1;
                ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "relay: the server is stopping, "
                              "ending the stream");
                relay_pump_shutdown(pump, WS_CLOSE_GOING_AWAY, "server shutting down");
            }
        }
        if (!revoked && !stopping) {
            const char *why = relay_revoke_check(&revoke, r, slot, now_ms());
            if (why) {
                revoked = 1; /* the stream's end line says why (close 1008) */
                relay_pump_shutdown(pump, WS_CLOSE_POLICY, why);
            }
        }
        if (relay_pump_amt_reconnect_due(pump, now_ms())) {
            reconnect_amt(r, pump, be, dev, connect_timeout);
            amt_ready = amt_more = 1;
        }
        if (amt_ready || amt_more || relay_backend_pending(be))
            amt_more = read_amt(pump, be);
        relay_pump_run(pump, now_ms());
        amt_blocked = write_amt(pump, be);
        client_writable = client_drained || !client_pending;
        if (write_client(r, pump, bbout, chunk, client_writable))
            client_writable = 0; /* the socket just refused more */
        relay_pump_run(pump, now_ms()); /* writes freed room: maybe more to do */
        amt_blocked = write_amt(pump, be) || amt_blocked;
        client_pending = write_client(r, pump, bbout, chunk, client_writable);
        if (relay_watch_update(&watch, csock, client_pending, client_drained || client_acked, now_ms())) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "relay: client read nothing for %"
                          APR_UINT64_T_FMT " ms, giving up on it", (apr_uint64_t)watch.stall_ms);
            c->aborted = 1; /* nothing more goes to this socket, not even at teardown */
            relay_pump_client_stalled(pump);
            client_pending = 0;
            continue; /* the pump now ends the AMT session */
        }
        if (relay_probe_update(&probe, slot, csock, now_ms())) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "relay: client did not answer a liveness "
                          "check within %d ms, giving up on it", PROBE_ANSWER_MS);
            c->aborted = 1;
            relay_pump_client_gone(pump, "client did not answer a liveness check (another "
                                   "client asked for the device)");
            client_pending = 0;
            continue;
        }

        if (slot) {
            slot->to_amt = pump->amt_bytes_out;
            slot->to_client = pump->client_bytes_out;
        }
        if (be->sock && relay_pump_amt_closable(pump))
            relay_backend_close(be);
        if (relay_pump_done(pump) && !client_pending)
            break;

        /* poll: client readable (if we could take bytes) or writable (if the core
           holds bytes for it), AMT readable/writable */
        if (!pump->client_eof && (relay_pump_client_room(pump) > 0 || client_pending)) {
            memset(&pfd[npfd], 0, sizeof(pfd[npfd]));
            pfd[npfd].desc_type = APR_POLL_SOCKET;
            pfd[npfd].desc.s = csock;
            pfd[npfd].reqevents = (relay_pump_client_room(pump) > 0 ? APR_POLLIN : 0) |
                                  (client_pending ? APR_POLLOUT : 0);
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
        timeout = relay_watch_timeout(&watch, timeout, now_ms());
        if (!stopping && timeout > (apr_interval_time_t)STOP_CHECK_MS * 1000)
            timeout = (apr_interval_time_t)STOP_CHECK_MS * 1000; /* also: notice probes and
                                                                    revocations (relay_revoke.h) */
        if (probe.active && timeout > 50000)
            timeout = 50000; /* acknowledgements wake no poll: look at the queue often */
        if (npfd == 0) {
            /* both sides are waiting on the pump's own timers */
            apr_sleep(timeout > 0 ? (timeout < 50000 ? timeout : 50000) : 1000);
            client_readable = amt_ready = client_drained = 0;
            continue;
        }
        apr_status_t rv = apr_poll(pfd, npfd, &nready, timeout);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_TIMEUP(rv) && !APR_STATUS_IS_EINTR(rv)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "relay poll failed");
            relay_pump_shutdown(pump, 1011, "relay internal error");
            relay_pump_client_eof(pump);
            continue;
        }
        client_readable = amt_ready = client_drained = 0;
        for (int i = 0; i < npfd; i++) {
            if (!pfd[i].rtnevents)
                continue;
            if (*(const char *)pfd[i].client_data != 'c')
                amt_ready = 1;
            else {
                client_drained = (pfd[i].rtnevents & APR_POLLOUT) != 0;
                client_readable = (pfd[i].rtnevents & ~APR_POLLOUT) != 0;
            }
        }
    }
    if (be->sock)
        relay_backend_close(be);
    flush_client(c, bbout);
}
