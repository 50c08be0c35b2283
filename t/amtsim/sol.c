/* Serial-over-LAN session (docs/redirection-protocol.md §5): 0x20/0x21 start, 0x29
 * controls, 0x28/0x2A data, 0x2B heartbeats (sent on a timer, never echoed),
 * 0x22/0x23 stop, RxTimeout watchdog, and the bulk-output knob.
 * Entered with the 0x20 type byte already consumed. */
#include "amtsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RXBUF (65536 + 16)
#define FIRST_GAP_MS 150 /* amtterm loses messages that share a read (§10.3) */

struct sol {
    struct conn *c;
    uint32_t seq;        /* AMT-side sequence number, incremented on every send */
    unsigned max_tx;
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static int send_short(struct sol *s, uint8_t type)
{
    uint8_t m[8] = { type, 0, 0, 0 };
    put32(m + 4, s->seq++);
    return conn_write(s->c, m, sizeof m);
}

/* Host output as 0x2A messages of at most MaxTxBuffer bytes. */
static int send_data(struct sol *s, const char *p, size_t n)
{
    uint8_t m[10 + 4096];
    while (n) {
        size_t chunk = n;
        if (chunk > s->max_tx)
            chunk = s->max_tx;
        if (chunk > 4096)
            chunk = 4096;
        m[0] = 0x2A, m[1] = m[2] = m[3] = 0;
        put32(m + 4, s->seq++);
        m[8] = (uint8_t)chunk, m[9] = (uint8_t)(chunk >> 8);
        memcpy(m + 10, p, chunk);
        if (conn_write(s->c, m, 10 + chunk))
            return -1;
        p += chunk;
        n -= chunk;
    }
    return 0;
}

/* One line of bulk output: "amtsim bulk NNNNNNNNNN ABC..01234\r\n" (82 bytes). */
#define BULK_LINE "amtsim bulk 0000000000 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234\r\n"
#define BULK_LINE_LEN (sizeof(BULK_LINE) - 1)
#define BULK_DIGITS_AT 12
#define BULK_LINES_PER_MSG 49  /* 4018 bytes: one 0x2A message of at most 4 KB */
#define BULK_MSGS_PER_WRITE 16

/* Writes BULK_MSGS_PER_WRITE messages of numbered lines in one conn_write. The
 * template is formatted once; each line only gets its 10 counter digits. */
static int send_bulk(struct sol *s, unsigned long *line)
{
    static _Thread_local uint8_t buf[BULK_MSGS_PER_WRITE * (10 + BULK_LINES_PER_MSG * BULK_LINE_LEN)];
    /* as many whole lines as the client's MaxTxBuffer allows, at least one */
    size_t per = s->max_tx / BULK_LINE_LEN, off = 0;
    if (per > BULK_LINES_PER_MSG)
        per = BULK_LINES_PER_MSG;
    if (per == 0)
        per = 1;
    for (int m = 0; m < BULK_MSGS_PER_WRITE; m++) {
        size_t len = per * BULK_LINE_LEN;
        uint8_t *h = buf + off;
        h[0] = 0x2A, h[1] = h[2] = h[3] = 0;
        put32(h + 4, s->seq++);
        h[8] = (uint8_t)len, h[9] = (uint8_t)(len >> 8);
        off += 10;
        for (size_t i = 0; i < per; i++, off += BULK_LINE_LEN) {
            unsigned long v = (*line)++;
            memcpy(buf + off, BULK_LINE, BULK_LINE_LEN);
            for (int d = BULK_DIGITS_AT + 9; d >= BULK_DIGITS_AT; d--, v /= 10)
                buf[off + (size_t)d] = (uint8_t)('0' + v % 10);
        }
    }
    return conn_write(s->c, buf, off);
}

/* length of the complete message at p, 0 if more bytes are needed, -1 if unknown */
static long msg_len(const uint8_t *p, size_t have)
{
    switch (p[0]) {
    case 0x28:
        return have < 10 ? 0 : 10 + (long)le16(p + 8);
    case 0x2B: case 0x24: case 0x25: case 0x22:
        return 8;
    case 0x27:
        return 14;
    case 0x12:
        return 4;
    default:
        return -1;
    }
}

void sol_run(struct conn *c)
{
    struct device *d = c->dev;
    uint8_t start[24];
    start[0] = 0x20;
    if (conn_read_full(c, start + 1, 23, 5000))
        return;
    struct sol s = { .c = c, .seq = 1 };
    s.max_tx = le16(start + 8) ? le16(start + 8) : 1000;
    unsigned rx_timeout = le16(start + 14), heartbeat = le16(start + 18);
    logmsg(d, "SOL start: MaxTx %u TxTO %u RxTO %u HB %u", s.max_tx, le16(start + 10), rx_timeout, heartbeat);

    /* 23-byte reply: byte 4 = 1 (9front checks it); the rest UNCONFIRMED, zero */
    uint8_t rep[23] = { 0x21, 0, 0, 0, 1 };
    if (conn_write(c, rep, sizeof rep))
        return;
    sleep_ms(FIRST_GAP_MS);
    pthread_mutex_lock(&d->lock);
    uint8_t status = d->power_state == 2 ? 0x04 : 0x00;
    pthread_mutex_unlock(&d->lock);
    uint8_t ctl[10] = { 0x29, 0, 0, 0, 0, 0, 0, 0, 0x03, status }; /* RTS+DTR, power bit */
    put32(ctl + 4, s.seq++);
    if (conn_write(c, ctl, sizeof ctl))
        return;
    sleep_ms(FIRST_GAP_MS);
    char out[8192];
    pthread_mutex_lock(&d->lock);
    size_t n = console_banner(d, out, sizeof out);
    pthread_mutex_unlock(&d->lock);
    if (send_data(&s, out, n))
        return;

    uint8_t *rx = malloc(RXBUF);
    if (!rx)
        return;
    size_t have = 0;
    double last_rx = now_s(), next_hb = heartbeat ? now_s() + heartbeat / 1000.0 : 0, next_ping = now_s();
    unsigned long bulk_line = 0;
    bool ending = false;
    while (!g_stop) {
        pthread_mutex_lock(&d->lock);
        bool bulk = d->knobs.sol_bulk, down = d->knobs.down;
        int ping_ms = d->knobs.sol_ping_ms;
        pthread_mutex_unlock(&d->lock);
        if (down)
            break;
        double now = now_s();
        if (rx_timeout && !ending && now - last_rx > rx_timeout / 1000.0) {
            logmsg(d, "SOL RxTimeout (%u ms) expired, closing", rx_timeout);
            break;
        }
        if (heartbeat && now >= next_hb) {
            if (send_short(&s, 0x2B))
                break;
            next_hb = now + heartbeat / 1000.0;
        }
        if (ping_ms && !ending && now >= next_ping) {
            /* AMT's own keep-alive (9front's and amtterm's clients expect it) */
            if (send_short(&s, 0x24))
                break;
            pthread_mutex_lock(&d->lock);
            d->sol_pings++;
            pthread_mutex_unlock(&d->lock);
            next_ping = now + ping_ms / 1000.0;
        }
        if (bulk && !ending) {
            /* continuous host output for throughput benchmarks: a batch of 0x2A
               messages per write, so that the simulator is not the bottleneck of a
               proxy benchmark (the relay is what is being measured) */
            if (send_bulk(&s, &bulk_line))
                break;
        }
        int wait = bulk ? 0 : ping_ms && ping_ms < 200 ? ping_ms : 200;
        long r = conn_read(c, rx + have, RXBUF - have, wait);
        if (r == CONN_TIMEOUT)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
        last_rx = now_s();
        bool quit = false;
        size_t off = 0;
        while (!quit && off < have) {
            long ml = msg_len(rx + off, have - off);
            if (ml < 0) {
                logmsg(d, "SOL: unknown message 0x%02x, closing", rx[off]);
                quit = true;
                break;
            }
            if (ml == 0 || (size_t)ml > have - off)
                break;
            const uint8_t *m = rx + off;
            switch (m[0]) {
            case 0x28: {
                pthread_mutex_lock(&d->lock);
                size_t on = console_input(d, m + 10, le16(m + 8), out, sizeof out);
                pthread_mutex_unlock(&d->lock);
                if (on && send_data(&s, out, on))
                    quit = true;
                break;
            }
            case 0x24: /* keep-alive ping: answer with pong */
                if (send_short(&s, 0x25))
                    quit = true;
                break;
            case 0x22: { /* end SOL: 0x23 echoing the client's sequence */
                uint8_t e[8] = { 0x23, 0, 0, 0 };
                memcpy(e + 4, m + 4, 4);
                if (conn_write(c, e, sizeof e))
                    quit = true;
                ending = true;
                break;
            }
            case 0x12:
                quit = true;
                break;
            default: /* 0x2B, 0x25, 0x27: liveness only, never echoed */
                break;
            }
            off += (size_t)ml;
        }
        memmove(rx, rx + off, have - off);
        have -= off;
        if (quit)
            break;
    }
    free(rx);
}
