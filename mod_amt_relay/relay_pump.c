/* relay_pump: see relay_pump.h. */
#include "relay_pump.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room kept free in cout for control frames (pong, close), so that a client that
 * does not read can never stop the relay from telling it why it is closing. */
#define CTL_RESERVE (2 * (WS_CONTROL_MAX + 4))

/* ---- linear buffers (compacted lazily; no ring arithmetic to get wrong) -------- */

static uint8_t *rb_data(const relay_buf *b)
{
    return b->p + b->off;
}

/* Free space counts the consumed head too: rb_tail moves the data down first. */
static size_t rb_free(const relay_buf *b)
{
    return b->cap - b->len;
}

static uint8_t *rb_tail(relay_buf *b)
{
    if (b->off) {
        memmove(b->p, b->p + b->off, b->len);
        b->off = 0;
    }
    return b->p + b->len;
}

static int rb_append(relay_buf *b, const void *d, size_t n)
{
    if (n > rb_free(b))
        return -1;
    memcpy(rb_tail(b), d, n);
    b->len += n;
    return 0;
}

static void rb_consume(relay_buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (!b->len)
        b->off = 0;
}

/* ---- setup ---------------------------------------------------------------------- */

int relay_pump_init(relay_pump *p, relay_dialect dialect, amt_mode mode, amt_creds creds,
                    const relay_limits *lim, uint64_t now_ms)
{
    relay_buf *bufs[5];
    memset(p, 0, sizeof(*p));
    p->dialect = dialect;
    p->mode = mode;
    p->lim = *lim;
    if (p->lim.buf_size < AMT_AUTH_MSG_MAX + CTL_RESERVE + 64)
        p->lim.buf_size = AMT_AUTH_MSG_MAX + CTL_RESERVE + 64;
    bufs[0] = &p->cin; bufs[1] = &p->upay; bufs[2] = &p->toamt; bufs[3] = &p->ain; bufs[4] = &p->cout;
    for (int i = 0; i < 5; i++) {
        bufs[i]->p = malloc(p->lim.buf_size);
        bufs[i]->cap = p->lim.buf_size;
        if (!bufs[i]->p) {
            relay_pump_free(p);
            return -1;
        }
    }
    ws_decoder_init(&p->dec, lim->max_message, 1);
    if (dialect == RELAY_PLAIN)
        amt_client_init(&p->cl, mode, creds);
    else
        amt_icpt_init(&p->ic, mode, creds);
    rfb_watch_init(&p->rw);
    p->now = now_ms;
    p->last_client_rx = p->last_amt_rx = now_ms;
    p->next_ping = now_ms + (lim->ping_ms ? lim->ping_ms : 30000);
    return 0;
}

void relay_pump_free(relay_pump *p)
{
    relay_buf *bufs[5] = { &p->cin, &p->upay, &p->toamt, &p->ain, &p->cout };
    /* Wiped before free: toamt has carried the login to AMT (in p=2 the digest response,
       in plain mode possibly a type-1 message with the password in clear), and the
       client buffers carried keystrokes. The plain client wipes its own queue as it
       hands it over (amt_client_take_out). See docs/security-model.md. */
    for (int i = 0; i < 5; i++) {
        if (bufs[i]->p)
            OPENSSL_cleanse(bufs[i]->p, bufs[i]->cap);
        free(bufs[i]->p);
        bufs[i]->p = NULL;
        bufs[i]->cap = bufs[i]->len = bufs[i]->off = 0;
    }
    OPENSSL_cleanse(&p->cl.auth, sizeof(p->cl.auth));
    OPENSSL_cleanse(&p->ic.auth, sizeof(p->ic.auth));
}

/* ---- output helpers -------------------------------------------------------------------- */

/* ---- coalesced data frames --------------------------------------------------------
 * AMT delivers SOL output in messages of at most a few KB. Sending each as its own
 * WebSocket frame makes the client pay per-message costs (an event per frame in a
 * browser) for what is one byte stream, so consecutive payloads produced in one run
 * share one binary frame of up to COALESCE_MAX bytes. The 4-byte header form (126,
 * 16-bit length) is reserved up front; a frame that stays under 126 bytes is moved
 * back by two bytes on closing, because RFC 6455 5.2 wants the minimal length form. */
#define COALESCE_MAX 65535u
#define COALESCE_HDR 4u

static size_t frame_payload(const relay_pump *p)
{
    return p->cout.len - p->frame_at - COALESCE_HDR;
}

static void frame_close(relay_pump *p)
{
    uint8_t *h;
    size_t n;
    if (!p->frame_open)
        return;
    p->frame_open = 0;
    h = rb_data(&p->cout) + p->frame_at;
    n = frame_payload(p);
    if (n < 126) {
        memmove(h + 2, h + COALESCE_HDR, n);
        p->cout.len -= COALESCE_HDR - 2;
    }
    ws_frame_header(h, WS_OP_BINARY, 1, n);
}

/* Appends data payload to the open frame, opening one if needed. The caller has
 * checked the room (n plus a header plus CTL_RESERVE). */
static void frame_append(relay_pump *p, const uint8_t *d, size_t n)
{
    if (p->frame_open && frame_payload(p) + n > COALESCE_MAX)
        frame_close(p);
    if (!p->frame_open) {
        rb_tail(&p->cout);
        p->frame_at = p->cout.len;
        p->cout.len += COALESCE_HDR;
        p->frame_open = 1;
    }
    rb_append(&p->cout, d, n);
    p->client_bytes_out += n;
}

static int emit_frame(relay_pump *p, int opcode, const uint8_t *d, size_t n, int control)
{
    uint8_t h[10];
    size_t hl;
    if (p->client_eof || p->close_sent)
        return control ? -1 : 0; /* nothing goes after a close */
    frame_close(p); /* frames never interleave */
    hl = ws_frame_header(h, opcode, 1, n);
    if (rb_free(&p->cout) < hl + n + (control ? 0 : CTL_RESERVE))
        return -1;
    rb_append(&p->cout, h, hl);
    if (n)
        rb_append(&p->cout, d, n);
    if (!control)
        p->client_bytes_out += n;
    return 0;
}

static void set_end(relay_pump *p, uint16_t code, const char *reason)
{
    if (p->end_reason[0])
        return; /* the first cause is the one worth logging */
    p->end_code = code;
    snprintf(p->end_reason, sizeof(p->end_reason), "%s", reason ? reason : "");
}

static void take_client_out(relay_pump *p)
{
    if (p->dialect == RELAY_PLAIN && p->cl.out_len && rb_free(&p->toamt) >= p->cl.out_len) {
        size_t n = amt_client_take_out(&p->cl, rb_tail(&p->toamt), rb_free(&p->toamt));
        p->toamt.len += n;
    }
}

/* The WebSocket side is going away: end the AMT session politely (SOL: 0x22, wait
 * for 0x23 up to close_wait_ms, 0x12; otherwise just close the TCP connection). */
static void stop_amt(relay_pump *p)
{
    if (p->amt_stopping)
        return;
    p->amt_stopping = 1;
    p->amt_deadline = p->now + p->lim.close_wait_ms;
    if (p->amt_eof || p->amt_waiting) {
        p->amt_finished = 1; /* no AMT session to end */
        p->amt_waiting = 0;
        return;
    }
    if (p->dialect == RELAY_PLAIN) {
        if (!amt_client_stop(&p->cl))
            p->amt_finished = 1;
        take_client_out(p);
    } else {
        /* p=2: the browser owns the protocol (and its sequence numbers); once it has
           gone, closing TCP is how AMT learns the session ended (3.3) */
        p->amt_finished = 1;
    }
}

/* Server-initiated close: send close(code, reason), wait for the client's close. */
static void start_close(relay_pump *p, uint16_t code, const char *reason)
{
    uint8_t f[2 + WS_CONTROL_MAX];
    size_t n;
    set_end(p, code, reason);
    if (!p->close_sent && !p->client_eof) {
        n = ws_close_frame(f, code, reason);
        frame_close(p);
        /* CTL_RESERVE guarantees the room */
        if (rb_free(&p->cout) >= n)
            rb_append(&p->cout, f, n);
        p->close_sent = 1;
        p->close_deadline = p->now + p->lim.close_wait_ms;
    }
    if (p->state == PUMP_OPEN)
        p->state = PUMP_ENDING;
    stop_amt(p);
}

void relay_pump_shutdown(relay_pump *p, uint16_t code, const char *reason)
{
    start_close(p, code, reason);
}

/* ---- input ------------------------------------------------------------------------ */

size_t relay_pump_client_room(const relay_pump *p)
{
    if (p->client_eof || p->close_received)
        return 0;
    return p->cin.cap - p->cin.len;
}

uint8_t *relay_pump_client_space(relay_pump *p)
{
    return rb_tail(&p->cin);
}

void relay_pump_client_filled(relay_pump *p, size_t n)
{
    if (n > relay_pump_client_room(p))
        n = relay_pump_client_room(p);
    p->cin.len += n;
    if (n)
        p->client_rx_pending = 1; /* stamped with the time of the next run */
}

void relay_pump_client_in(relay_pump *p, const uint8_t *data, size_t len)
{
    if (len > relay_pump_client_room(p))
        len = relay_pump_client_room(p);
    memcpy(relay_pump_client_space(p), data, len);
    relay_pump_client_filled(p, len);
}

void relay_pump_client_eof(relay_pump *p)
{
    if (p->client_eof)
        return;
    p->client_eof = 1;
    p->cout.len = p->cout.off = 0; /* nobody to write to */
    p->frame_open = 0;
    set_end(p, WS_CLOSE_ABNORMAL, "client disconnected without a close frame");
    if (p->state == PUMP_OPEN)
        p->state = PUMP_ENDING;
    stop_amt(p);
}

void relay_pump_client_stalled(relay_pump *p)
{
    relay_pump_client_gone(p, "client stopped reading (AmtRelayIdleTimeout)");
}

void relay_pump_client_gone(relay_pump *p, const char *reason)
{
    set_end(p, WS_CLOSE_ABNORMAL, reason);
    relay_pump_client_eof(p);
}

int relay_pump_ping(relay_pump *p)
{
    if (p->state != PUMP_OPEN || p->client_eof || p->close_sent)
        return 0;
    return emit_frame(p, WS_OP_PING, (const uint8_t *)"amt-relay", 9, 1) == 0;
}

size_t relay_pump_amt_room(const relay_pump *p)
{
    if (p->amt_waiting)
        return 0; /* what the dropped connection still says is not wanted */
    if (p->amt_eof || p->amt_finished)
        return p->amt_eof ? 0 : (p->amt_stopping ? p->ain.cap - p->ain.len : 0);
    return p->ain.cap - p->ain.len;
}

uint8_t *relay_pump_amt_space(relay_pump *p)
{
    return rb_tail(&p->ain);
}

void relay_pump_amt_filled(relay_pump *p, size_t n)
{
    size_t room = p->ain.cap - p->ain.len;
    if (n > room)
        n = room;
    p->ain.len += n;
    p->amt_bytes_in += n;
    if (n)
        p->amt_rx_pending = 1;
}

void relay_pump_amt_in(relay_pump *p, const uint8_t *data, size_t len)
{
    size_t room = p->ain.cap - p->ain.len;
    if (len > room)
        len = room;
    memcpy(relay_pump_amt_space(p), data, len);
    relay_pump_amt_filled(p, len);
}

void relay_pump_amt_eof(relay_pump *p, int error)
{
    if (p->amt_eof || p->amt_waiting)
        return; /* a connection that is being dropped after a BUSY may end as it likes */
    p->amt_eof = error ? 2 : 1;
}

/* ---- AMT busy at the session start ----------------------------------------------------
 * Asked again every BUSY_RETRY_MS until lim.busy_wait_ms has passed since the first
 * BUSY (busy_until); the answer after that goes to the client as it is (1013). */
#define BUSY_RETRY_MS 250u

static int hold_busy(const relay_pump *p)
{
    return p->lim.busy_wait_ms && p->state == PUMP_OPEN && !p->amt_stopping &&
           (!p->busy_until || p->now < p->busy_until);
}

static void amt_busy(relay_pump *p)
{
    uint64_t left;
    if (!p->busy_until)
        p->busy_until = p->now + p->lim.busy_wait_ms; /* never 0: busy_wait_ms > 0 here */
    left = p->busy_until - p->now;
    p->amt_retry_at = p->now + (left < BUSY_RETRY_MS ? left : BUSY_RETRY_MS);
    p->amt_waiting = 1;
    p->amt_busy_retries++;
    p->ain.len = p->ain.off = 0;
    p->toamt.len = p->toamt.off = 0;
}

int relay_pump_amt_reconnect_due(const relay_pump *p, uint64_t now_ms)
{
    return p->amt_waiting && p->state == PUMP_OPEN && now_ms >= p->amt_retry_at;
}

void relay_pump_amt_reconnected(relay_pump *p, uint64_t now_ms, int ok)
{
    p->amt_waiting = 0;
    p->last_amt_rx = now_ms;
    if (!ok) {
        p->now = now_ms;
        p->amt_eof = 2;
        start_close(p, WS_CLOSE_INTERNAL, "AMT busy, then unreachable when asked again");
        return;
    }
    if (p->dialect == RELAY_PLAIN) {
        amt_client_restart(&p->cl);
        take_client_out(p);
    } else {
        p->toamt.len += amt_icpt_restart(&p->ic, rb_tail(&p->toamt), rb_free(&p->toamt));
    }
}

/* ---- the work ------------------------------------------------------------------------ */

static void client_frames(relay_pump *p)
{
    while (p->cin.len && !p->close_received && !p->client_eof) {
        ws_event ev;
        size_t room = rb_free(&p->upay), n = p->cin.len, used;
        if (room == 0)
            return; /* back-pressure: AMT has not taken the previous payload yet */
        if (n > room)
            n = room; /* a DATA chunk never exceeds the input given, so it will fit */
        used = ws_decode(&p->dec, rb_data(&p->cin), n, &ev);
        rb_consume(&p->cin, used);
        switch (ev.type) {
        case WS_EV_NONE:
            if (!used)
                return;
            break;
        case WS_EV_DATA:
            p->client_bytes_in += ev.len;
            if (!p->close_sent && p->state == PUMP_OPEN)
                rb_append(&p->upay, ev.data, ev.len);
            break;
        case WS_EV_PING:
            emit_frame(p, WS_OP_PONG, ev.data, ev.len, 1);
            break;
        case WS_EV_PONG:
            break;
        case WS_EV_CLOSE: {
            p->close_received = 1;
            if (!p->close_sent) {
                uint8_t f[2 + WS_CONTROL_MAX];
                /* echo the code (RFC 6455 5.5.1); a close without one gets none */
                uint16_t code = ev.close_code == WS_CLOSE_NO_STATUS ? 0 : ev.close_code;
                size_t fl = ws_close_frame(f, code, NULL);
                frame_close(p);
                rb_append(&p->cout, f, fl);
                p->close_sent = 1;
            }
            set_end(p, ev.close_code, "client closed the WebSocket");
            if (p->state == PUMP_OPEN)
                p->state = PUMP_ENDING;
            stop_amt(p);
            return;
        }
        case WS_EV_ERROR:
            start_close(p, ev.close_code, ev.reason);
            p->close_received = 1; /* a broken stream will not carry a close */
            p->close_deadline = p->now;
            return;
        }
    }
}

/* Plain KVM only: with p=2 the browser speaks AMT's protocol and handles RFB itself. */
static int watch_rfb(const relay_pump *p)
{
    return p->dialect == RELAY_PLAIN && p->mode == AMT_MODE_KVM && rfb_watch_active(&p->rw);
}

static void client_to_amt(relay_pump *p)
{
    take_client_out(p);
    /* while a BUSY is held, client bytes wait: after the restart they must follow
       the session start that is sent again */
    while (p->upay.len && !p->amt_eof && !p->amt_stopping && !p->amt_waiting) {
        size_t used, olen = 0;
        size_t room = rb_free(&p->toamt);
        if (p->dialect == RELAY_PLAIN) {
            if (p->cl.out_len)
                return; /* protocol bytes first, so messages never interleave */
            used = amt_client_from_user(&p->cl, rb_data(&p->upay), p->upay.len, rb_tail(&p->toamt),
                                        room, &olen);
            if (watch_rfb(p))
                rfb_watch_client(&p->rw, rb_data(&p->upay), used);
        } else {
            amt_result res;
            used = amt_icpt_from_client(&p->ic, rb_data(&p->upay), p->upay.len, rb_tail(&p->toamt),
                                        room, &olen, &res);
            if (res == AMT_R_FAIL) {
                start_close(p, p->ic.fail_code, p->ic.fail_reason);
                return;
            }
        }
        p->toamt.len += olen;
        rb_consume(&p->upay, used);
        if (!used)
            return;
    }
}

static void amt_to_client(relay_pump *p)
{
    while (p->ain.len) {
        const uint8_t *u = NULL;
        size_t ul = 0, used, room;
        amt_result res;
        size_t f = rb_free(&p->cout);
        room = f > CTL_RESERVE + 10 ? f - CTL_RESERVE - 10 : 0;
        if (room > COALESCE_MAX)
            room = COALESCE_MAX; /* one payload always fits one coalesced frame */
        if (p->close_sent || p->client_eof)
            room = 0; /* the client is gone: only the AMT goodbye still matters */
        if (p->dialect == RELAY_PLAIN) {
            /* after a close, keep parsing AMT's bytes (for 0x23) but drop payload */
            size_t eff = room ? room : (p->amt_stopping ? p->ain.len : 0);
            p->cl.hold_busy = hold_busy(p);
            used = amt_client_from_amt(&p->cl, rb_data(&p->ain), p->ain.len, eff, &u, &ul, &res);
            take_client_out(p);
        } else {
            size_t eff = room ? room : (p->amt_stopping ? p->ain.len : 0);
            p->ic.hold_busy = hold_busy(p);
            used = amt_icpt_from_amt(&p->ic, rb_data(&p->ain), p->ain.len, eff, &u, &ul, &res);
        }
        if (res == AMT_R_BUSY) {
            frame_close(p); /* what was coalesced before the BUSY goes out as one frame */
            amt_busy(p);
            return;
        }
        if (ul && room && watch_rfb(p) && rfb_watch_server(&p->rw, u, ul) < 0) {
            /* withheld: noVNC would misbehave on it (see rfb_watch.h) */
            rb_consume(&p->ain, used);
            start_close(p, WS_CLOSE_INTERNAL, p->rw.reason);
            p->ain.len = p->ain.off = 0;
            return;
        }
        if (ul && room)
            frame_append(p, u, ul);
        rb_consume(&p->ain, used);
        if (res == AMT_R_FAIL) {
            frame_close(p);
            if (p->dialect == RELAY_PLAIN)
                start_close(p, p->cl.fail_code, p->cl.fail_reason);
            else
                start_close(p, p->ic.fail_code, p->ic.fail_reason);
            p->amt_finished = 1;
            p->ain.len = p->ain.off = 0;
            return;
        }
        if (res == AMT_R_DONE) {
            frame_close(p);
            if (p->amt_stopping)
                p->amt_finished = 1; /* 0x23 arrived and 0x12 is queued */
            else
                start_close(p, WS_CLOSE_NORMAL, "AMT ended the SOL session");
            p->amt_finished = 1;
            p->ain.len = p->ain.off = 0;
            return;
        }
        if (!used)
            break;
    }
    frame_close(p); /* what is in cout may be written now */
}

static void timers(relay_pump *p)
{
    uint64_t now = p->now;
    if (p->dialect == RELAY_PLAIN && !p->amt_stopping) {
        amt_client_tick(&p->cl, now);
        take_client_out(p);
    }
    if (p->state == PUMP_OPEN) {
        if (p->lim.idle_ms && now - p->last_client_rx >= p->lim.idle_ms) {
            start_close(p, WS_CLOSE_GOING_AWAY, "idle timeout: nothing from the client");
        } else if (p->lim.idle_ms && now - p->last_amt_rx >= p->lim.idle_ms) {
            start_close(p, WS_CLOSE_INTERNAL, "idle timeout: nothing from AMT");
        } else if (p->lim.ping_ms && now >= p->next_ping) {
            /* keep-alive for NATs and proxies; any client byte (the pong) refreshes
               last_client_rx */
            if (now - p->last_client_rx >= p->lim.ping_ms)
                relay_pump_ping(p);
            p->next_ping = now + p->lim.ping_ms;
        }
    }
    if (p->amt_stopping && !p->amt_finished && now >= p->amt_deadline)
        p->amt_finished = 1; /* AMT did not answer 0x22 in time: just close */
}

static void amt_gone(relay_pump *p)
{
    int running;
    if (!p->amt_eof || p->ain.len || p->close_sent || p->client_eof)
        return;
    if (p->dialect == RELAY_PLAIN)
        running = amt_client_running(&p->cl) || p->cl.state == AMT_C_DONE;
    else
        running = p->ic.direct;
    if (p->amt_eof == 2)
        start_close(p, WS_CLOSE_INTERNAL, "connection to AMT lost");
    else if (running)
        start_close(p, WS_CLOSE_NORMAL, "AMT closed the session");
    else
        start_close(p, WS_CLOSE_INTERNAL, "AMT closed the connection during the redirection handshake");
}

void relay_pump_run(relay_pump *p, uint64_t now_ms)
{
    p->now = now_ms;
    if (p->client_rx_pending)
        p->last_client_rx = now_ms;
    if (p->amt_rx_pending)
        p->last_amt_rx = now_ms;
    p->client_rx_pending = p->amt_rx_pending = 0;
    /* A side whose buffer is full is not being read (back-pressure from the other
       side), so its silence is ours, not its own: it is not idle. */
    if (p->cin.len == p->cin.cap)
        p->last_client_rx = now_ms;
    if (p->ain.len == p->ain.cap || p->amt_waiting)
        p->last_amt_rx = now_ms;
    if (p->state == PUMP_DONE)
        return;
    for (int round = 0; round < 64; round++) {
        size_t before = p->cin.len + p->upay.len + p->ain.len + p->toamt.len + p->cout.len;
        client_frames(p);
        client_to_amt(p);
        amt_to_client(p);
        client_to_amt(p); /* the plain client may have started running */
        size_t after = p->cin.len + p->upay.len + p->ain.len + p->toamt.len + p->cout.len;
        if (after == before)
            break;
    }
    amt_gone(p);
    timers(p);
    if (p->amt_eof)
        p->amt_finished = 1;
    if (p->state == PUMP_ENDING) {
        int ws_over = p->client_eof || (p->close_sent && p->close_received) ||
                      (p->close_sent && now_ms >= p->close_deadline);
        if (ws_over && p->amt_finished)
            p->state = PUMP_DONE;
    }
}

/* ---- output --------------------------------------------------------------------------- */

const uint8_t *relay_pump_client_out(const relay_pump *p, size_t *len)
{
    *len = p->cout.len;
    return rb_data(&p->cout);
}

void relay_pump_client_sent(relay_pump *p, size_t n)
{
    rb_consume(&p->cout, n);
}

const uint8_t *relay_pump_amt_out(const relay_pump *p, size_t *len)
{
    *len = p->amt_eof ? 0 : p->toamt.len;
    return rb_data(&p->toamt);
}

void relay_pump_amt_sent(relay_pump *p, size_t n)
{
    rb_consume(&p->toamt, n);
    p->amt_bytes_out += n;
}

int relay_pump_amt_closable(const relay_pump *p)
{
    return p->amt_eof || p->amt_waiting || (p->amt_finished && p->toamt.len == 0);
}

int relay_pump_done(const relay_pump *p)
{
    return p->state == PUMP_DONE && (p->client_eof || p->cout.len == 0) &&
           relay_pump_amt_closable(p);
}

unsigned relay_pump_next_timer(const relay_pump *p, uint64_t now_ms)
{
    uint64_t next = now_ms + 60000, t;
    if (p->state == PUMP_OPEN) {
        if (p->lim.idle_ms) {
            t = p->last_client_rx + p->lim.idle_ms;
            if (t < next) next = t;
            t = p->last_amt_rx + p->lim.idle_ms;
            if (t < next) next = t;
        }
        if (p->lim.ping_ms && p->next_ping < next)
            next = p->next_ping;
        if (p->amt_waiting && p->amt_retry_at < next)
            next = p->amt_retry_at;
        if (p->dialect == RELAY_PLAIN && p->cl.state == AMT_C_SOL_RUN) {
            t = p->cl.next_heartbeat_ms ? p->cl.next_heartbeat_ms : now_ms + 1;
            if (t < next) next = t;
        }
    } else {
        if (p->close_sent && !p->close_received && p->close_deadline < next)
            next = p->close_deadline;
        if (p->amt_stopping && !p->amt_finished && p->amt_deadline < next)
            next = p->amt_deadline;
    }
    return next > now_ms ? (unsigned)(next - now_ms) : 0;
}
