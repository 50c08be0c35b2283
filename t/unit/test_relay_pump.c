/* Unit tests: relay_pump (stream logic without sockets) — the fault behaviours of
 * the relay: close codes, close handshake both ways, AMT leaving, back-pressure,
 * idle timeouts, keep-alive pings, both dialects. */
#include <stdlib.h>
#include <string.h>

#include "relay_pump.h"
#include "tap.h"

static const uint8_t MASK[4] = { 1, 2, 3, 4 };

static size_t hex(const char *h, uint8_t *out)
{
    size_t n = 0;
    while (*h) {
        unsigned v;
        while (*h == ' ')
            h++;
        if (!*h)
            break;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static relay_limits LIM = { 4096, 8192, 10000, 3000, 1500, 0 }; /* no BUSY wait */

static void amt(relay_pump *p, const char *hx, uint64_t now)
{
    uint8_t m[600];
    size_t n = hex(hx, m);
    relay_pump_amt_in(p, m, n);
    relay_pump_run(p, now);
}

static void client(relay_pump *p, int op, const void *d, size_t n, uint64_t now)
{
    uint8_t f[9000];
    size_t fl = ws_frame_client(f, op, 1, MASK, d, n);
    relay_pump_client_in(p, f, fl);
    relay_pump_run(p, now);
}

/* Takes what the pump wants to send to AMT. */
static size_t to_amt(relay_pump *p, uint8_t *out)
{
    size_t n;
    const uint8_t *d = relay_pump_amt_out(p, &n);
    memcpy(out, d, n);
    relay_pump_amt_sent(p, n);
    return n;
}

/* Parses the first frame the pump wants to send to the client; consumes all. */
typedef struct { int op; uint8_t data[9000]; size_t len; int frames; uint16_t code; } cframe;
static void to_client(relay_pump *p, cframe *f)
{
    size_t n, pos = 0;
    const uint8_t *d = relay_pump_client_out(p, &n);
    memset(f, 0, sizeof(*f));
    while (pos + 2 <= n) {
        size_t l = d[pos + 1] & 0x7F, h = 2;
        if (l == 126) { l = (size_t)(d[pos + 2] << 8 | d[pos + 3]); h = 4; }
        if (!f->frames || (d[pos] & 0x0F) == 8) {
            f->op = d[pos] & 0x0F;
            memcpy(f->data, d + pos + h, l);
            f->len = l;
            if (f->op == 8 && l >= 2)
                f->code = (uint16_t)(d[pos + h] << 8 | d[pos + h + 1]);
        }
        f->frames++;
        pos += h + l;
    }
    relay_pump_client_sent(p, n);
}

static const char *T_A5 =
    "14 01 00 00 04 4E 00 00 00 27 44 69 67 65 73 74 3A 35 36 41 42 43 37 42 45 32 32 34 45 46 36 32"
    "30 43 36 39 45 42 38 38 46 30 31 30 37 31 44 43 38 20 66 56 4E 75 65 79 45 41 41 41 41 41 41 41"
    "41 41 63 4F 38 57 71 4A 38 73 2B 57 64 79 46 55 49 59 04 61 75 74 68";

/* A plain SOL stream through the whole AMT handshake, with the given limits. */
static void sol_up_with(relay_pump *p, uint8_t *buf, const relay_limits *lim)
{
    amt_creds cr = { amt_s("admin"), amt_s("P@ssw0rd"), 0 };
    relay_pump_init(p, RELAY_PLAIN, AMT_MODE_SOL, cr, lim, 0);
    relay_pump_run(p, 0);
    to_amt(p, buf);
    amt(p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 1);
    to_amt(p, buf);
    amt(p, "14 00 00 00 00 02 00 00 00 03 04", 2);
    to_amt(p, buf);
    amt(p, T_A5, 3);
    to_amt(p, buf);
    amt(p, "14 00 00 00 04 00 00 00 00", 4);
    to_amt(p, buf);
    amt(p, "21 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", 5);
}

static void sol_up(relay_pump *p, uint8_t *buf)
{
    sol_up_with(p, buf, &LIM);
}

/* Splits everything the pump wants to send to the client into frames: payload
 * lengths into lens[], payloads concatenated into pay. Returns the frame count, or
 * -1 if a header does not use the minimal length form (RFC 6455 5.2). */
static int frames_of(relay_pump *p, size_t *lens, int max, uint8_t *pay, size_t *paylen)
{
    size_t n, pos = 0;
    int k = 0;
    const uint8_t *d = relay_pump_client_out(p, &n);
    *paylen = 0;
    while (pos + 2 <= n && k < max) {
        size_t l = d[pos + 1] & 0x7F, h = 2;
        if (l == 126) {
            l = (size_t)(d[pos + 2] << 8 | d[pos + 3]);
            h = 4;
            if (l < 126)
                return -1;
        } else if (l == 127) {
            return -1; /* never needed: coalesced frames stay under 64 KB */
        }
        if (d[pos] != (0x80 | WS_OP_BINARY))
            return -1;
        memcpy(pay + *paylen, d + pos + h, l);
        *paylen += l;
        lens[k++] = l;
        pos += h + l;
    }
    relay_pump_client_sent(p, n);
    return pos == n ? k : -1;
}

/* One 0x2A message carrying len bytes of fill, appended at m. Returns its size. */
static size_t sol_msg(uint8_t *m, uint32_t seq, size_t len, uint8_t fill)
{
    memset(m, 0, 10);
    m[0] = 0x2A;
    m[4] = (uint8_t)seq;
    m[8] = (uint8_t)len, m[9] = (uint8_t)(len >> 8);
    memset(m + 10, fill, len);
    return 10 + len;
}

int main(void)
{
    static relay_pump p;
    static uint8_t buf[20000];
    static cframe f;
    size_t n;

    /* ---- plain SOL: data both ways, ping, client-initiated close ---- */
    sol_up(&p, buf);
    ok(amt_client_running(&p.cl), "plain SOL handshake completes through the pump");
    client(&p, WS_OP_BINARY, "ls\r", 3, 10);
    n = to_amt(&p, buf);
    ok(n == 13 && buf[0] == 0x28 && buf[8] == 3 && !memcmp(buf + 10, "ls\r", 3), "client bytes -> 0x28");
    amt(&p, "2A 00 00 00 02 00 00 00 02 00 68 69", 11);
    to_client(&p, &f);
    ok(f.op == WS_OP_BINARY && f.len == 2 && !memcmp(f.data, "hi", 2), "0x2A payload -> binary frame");
    client(&p, WS_OP_TEXT, "x", 1, 12);
    n = to_amt(&p, buf);
    ok(n == 11 && buf[10] == 'x', "text frames are accepted as terminal input");
    client(&p, WS_OP_PING, "k", 1, 13);
    to_client(&p, &f);
    ok(f.op == WS_OP_PONG && f.len == 1 && f.data[0] == 'k', "ping answered with pong");
    relay_pump_run(&p, 2100);
    n = to_amt(&p, buf);
    ok(n == 8 && buf[0] == 0x2B, "SOL heartbeat to AMT every 2 s");
    {
        uint8_t cl[4] = { 0x03, 0xE8, 'b', 'y' };
        client(&p, WS_OP_CLOSE, cl, 4, 2200);
    }
    to_client(&p, &f);
    ok(f.op == WS_OP_CLOSE && f.code == 1000, "client close 1000 echoed");
    n = to_amt(&p, buf);
    ok(n == 8 && buf[0] == 0x22, "AMT SOL ended with 0x22");
    ok(!relay_pump_done(&p), "waits for AMT's 0x23");
    amt(&p, "23 00 00 00 00 00 00 00", 2300);
    n = to_amt(&p, buf);
    ok(n == 4 && buf[0] == 0x12, "then 0x12");
    ok(relay_pump_done(&p), "stream done");
    is_int(p.end_code, 1000, "end code logged");
    relay_pump_free(&p);

    /* ---- AMT does not answer 0x22: bounded wait ---- */
    sol_up(&p, buf);
    client(&p, WS_OP_CLOSE, "\x03\xe8", 2, 10);
    relay_pump_run(&p, 1000);
    ok(!relay_pump_done(&p), "still waiting for 0x23 at 1 s");
    relay_pump_run(&p, 1600);
    to_amt(&p, buf);
    to_client(&p, &f);
    ok(relay_pump_done(&p), "gives up on 0x23 after close_wait");
    relay_pump_free(&p);

    /* ---- AMT leaves ---- */
    sol_up(&p, buf);
    amt(&p, "2A 00 00 00 02 00 00 00 03 00 62 79 65", 10);
    relay_pump_amt_eof(&p, 0);
    relay_pump_run(&p, 11);
    to_client(&p, &f);
    ok(f.frames == 2 && f.op == WS_OP_CLOSE && f.code == 1000, "AMT EOF: pending data, then close 1000");
    ok(strstr(p.end_reason, "AMT closed") != NULL, "reason says AMT closed the session");
    client(&p, WS_OP_CLOSE, "\x03\xe8", 2, 20);
    ok(relay_pump_done(&p), "done after the client's close");
    relay_pump_free(&p);

    sol_up(&p, buf);
    relay_pump_amt_eof(&p, 1);
    relay_pump_run(&p, 11);
    to_client(&p, &f);
    ok(f.op == WS_OP_CLOSE && f.code == 1011, "AMT connection error -> 1011");
    relay_pump_run(&p, 11 + 1500);
    ok(relay_pump_done(&p), "done within close_wait even if the client never answers");
    relay_pump_free(&p);

    /* ---- AMT refuses ---- */
    {
        amt_creds cr = { amt_s("admin"), amt_s("P@ssw0rd"), 0 };
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &LIM, 0);
        relay_pump_run(&p, 0);
        to_amt(&p, buf);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 1);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1013 && strstr((char *)f.data + 2, "busy"), "BUSY -> close 1013 'busy'");
        ok(relay_pump_amt_closable(&p), "AMT connection closed at once");
        relay_pump_free(&p);
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &LIM, 0);
        relay_pump_run(&p, 0);
        to_amt(&p, buf);
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 1);
        amt(&p, "14 00 00 00 00 02 00 00 00 03 04", 2);
        amt(&p, T_A5, 3);
        amt(&p, "14 01 00 00 04 00 00 00 00", 4);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1011 && strstr((char *)f.data + 2, "authentication"),
           "auth failure -> close 1011 with reason");
        relay_pump_free(&p);
        /* a type-1-only offer on plain TCP: refused, the password stays home */
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &LIM, 0);
        relay_pump_run(&p, 0);
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 1);
        amt(&p, "14 00 00 00 00 01 00 00 00 01", 2);
        n = to_amt(&p, buf);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1011 && strstr((char *)f.data + 2, "only over TLS") &&
           !memmem(buf, n, "P@ssw0rd", 8), "plain-only AMT without TLS -> close 1011, no password sent");
        relay_pump_free(&p);
        /* KVM: raw RFB after 0x41 (type 1 over a TLS connection, to keep it short) */
        cr.plain_ok = 1;
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &LIM, 0);
        relay_pump_run(&p, 0);
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 1);
        amt(&p, "14 00 00 00 00 01 00 00 00 01", 2);
        amt(&p, "14 00 00 00 01 00 00 00 00", 3);
        to_amt(&p, buf);
        amt(&p, "41 00 00 00 00 00 00 00 52 46 42 20 30 30 34 2E 30 30 30 0A", 4);
        to_client(&p, &f);
        ok(f.op == WS_OP_BINARY && f.len == 12 && !memcmp(f.data, "RFB 004.000\n", 12), "KVM plain: raw RFB to the client");
        client(&p, WS_OP_BINARY, "RFB 003.008\n", 12, 5);
        n = to_amt(&p, buf);
        ok(n == 12 && !memcmp(buf, "RFB 003.008\n", 12), "KVM plain: raw RFB to AMT");
        relay_pump_client_eof(&p);
        relay_pump_run(&p, 6);
        ok(relay_pump_done(&p) && p.end_code == 1006, "client vanishing ends the stream (1006 logged)");
        relay_pump_free(&p);
    }


    /* ---- AMT BUSY at the start is asked again for lim.busy_wait_ms ---- */
    {
        amt_creds cr = { amt_s("admin"), amt_s("P@ssw0rd"), 0 };
        relay_limits hold = LIM;
        uint8_t start[16];
        size_t sn;
        hold.busy_wait_ms = 1000;
        /* plain: BUSY, a new connection 250 ms later, then AMT takes the session */
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &hold, 0);
        relay_pump_run(&p, 0);
        sn = to_amt(&p, start);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 10);
        relay_pump_client_out(&p, &n);
        ok(n == 0 && relay_pump_amt_closable(&p) && !relay_pump_done(&p),
           "plain BUSY held: nothing to the client, the AMT connection is to be dropped");
        ok(!relay_pump_amt_reconnect_due(&p, 259) && relay_pump_amt_reconnect_due(&p, 260) &&
           relay_pump_next_timer(&p, 10) == 250, "asked again after 250 ms (the loop's timer says so)");
        relay_pump_amt_eof(&p, 0); /* the old connection's EOF changes nothing */
        relay_pump_run(&p, 260);
        relay_pump_amt_reconnected(&p, 260, 1);
        relay_pump_run(&p, 260);
        n = to_amt(&p, buf);
        ok(n == sn && !memcmp(buf, start, sn), "the session start goes out again on the new connection");
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 270);
        n = to_amt(&p, buf);
        ok(n == 9 && buf[0] == 0x13 && p.state == PUMP_OPEN && p.amt_busy_retries == 1,
           "then AMT takes it: the handshake goes on (1 BUSY counted for the log)");
        relay_pump_free(&p);

        /* plain: BUSY until the wait is over -> 1013 as before, after about busy_wait_ms */
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_KVM, cr, &hold, 0);
        relay_pump_run(&p, 0);
        uint64_t t = 0;
        int asked = 0;
        for (; t <= 3000 && p.state == PUMP_OPEN; t += 10) {
            if (relay_pump_amt_reconnect_due(&p, t)) {
                relay_pump_amt_reconnected(&p, t, 1);
                relay_pump_run(&p, t);
            }
            if (to_amt(&p, buf) == sn) {
                asked++;
                amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", t);
            } else {
                relay_pump_run(&p, t);
            }
        }
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1013 && strstr((char *)f.data + 2, "busy") && t >= 1000 &&
           t <= 1100 && asked == 5, "BUSY for longer than busy_wait_ms: close 1013 after it, AMT asked 5 times");
        if (t < 1000 || t > 1100 || asked != 5)
            fprintf(stderr, "# closed at t=%llu after %d starts\n", (unsigned long long)t, asked);
        relay_pump_free(&p);

        /* plain: the new connection fails -> 1011 with a reason */
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_SOL, cr, &hold, 0);
        relay_pump_run(&p, 0);
        to_amt(&p, buf);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 1);
        relay_pump_amt_reconnected(&p, 251, 0);
        relay_pump_run(&p, 251);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1011 && strstr((char *)f.data + 2, "unreachable"),
           "AMT unreachable when asked again -> close 1011 with a reason");
        relay_pump_free(&p);

        /* the client leaves during the wait: no new connection, the stream just ends */
        relay_pump_init(&p, RELAY_PLAIN, AMT_MODE_SOL, cr, &hold, 0);
        relay_pump_run(&p, 0);
        to_amt(&p, buf);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 1);
        relay_pump_client_eof(&p);
        relay_pump_run(&p, 300);
        ok(!relay_pump_amt_reconnect_due(&p, 300) && relay_pump_done(&p),
           "client gone while waiting: not asked again, the stream is over");
        relay_pump_free(&p);

        /* busy_wait_ms = 0: the first BUSY is the answer (the test above with LIM) */

        /* p=2: the browser never sees the held BUSY; its start is replayed */
        relay_pump_init(&p, RELAY_P2, AMT_MODE_KVM, cr, &hold, 0);
        n = hex("10 01 00 00 4B 56 4D 52", start);
        client(&p, WS_OP_BINARY, start, n, 1);
        to_amt(&p, buf);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 2);
        relay_pump_client_out(&p, &n);
        ok(n == 0 && relay_pump_amt_closable(&p), "p=2 BUSY held: nothing forwarded to the browser");
        n = hex("13 00 00 00 00 00 00 00 00", buf); /* an eager client's auth query waits */
        client(&p, WS_OP_BINARY, buf, n, 3);
        relay_pump_amt_out(&p, &n);
        ok(n == 0, "p=2: client bytes wait while AMT is asked again");
        relay_pump_amt_reconnected(&p, 252, 1);
        relay_pump_run(&p, 252);
        n = to_amt(&p, buf);
        ok(n == 17 && !memcmp(buf, start, 8) && buf[8] == 0x13,
           "p=2: the start is replayed first on the new connection, then the client's bytes");
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 260);
        to_client(&p, &f);
        ok(f.len == 13 && f.data[0] == 0x11 && f.data[1] == 0, "p=2: the browser sees AMT's OK");
        relay_pump_free(&p);

        /* p=2: a client that sent more than the start before the BUSY sees it itself */
        relay_pump_init(&p, RELAY_P2, AMT_MODE_KVM, cr, &hold, 0);
        n = hex("10 01 00 00 4B 56 4D 52 13 00 00 00 00 00 00 00 00", buf);
        client(&p, WS_OP_BINARY, buf, n, 1);
        n = to_amt(&p, buf);
        amt(&p, "11 02 00 00 01 00 02 00 55 55 00 00 00", 2);
        to_client(&p, &f);
        ok(n == 17 && f.frames == 2 && f.op == WS_OP_CLOSE && f.code == 1013,
           "p=2 client ran ahead: BUSY forwarded, then close 1013 (nothing to replay safely)");
        relay_pump_free(&p);
    }

    /* ---- liveness check for a newcomer: a ping now; a client that is gone ends
       the stream without a close frame, and the AMT session is still ended ---- */
    sol_up(&p, buf);
    to_client(&p, &f);
    ok(relay_pump_ping(&p) == 1, "a liveness ping is queued on demand");
    to_client(&p, &f);
    ok(f.op == WS_OP_PING && f.len == 9, "and goes out as a WebSocket ping");
    relay_pump_client_gone(&p, "client did not answer a liveness check");
    relay_pump_run(&p, 20);
    to_amt(&p, buf);
    relay_pump_client_out(&p, &n);
    ok(buf[0] == 0x22 && n == 0 && p.end_code == 1006 && strstr(p.end_reason, "liveness"),
       "a client given up on: no close frame, AMT asked to end, logged 1006 with the reason");
    ok(relay_pump_ping(&p) == 0, "no ping for a client that is gone");
    relay_pump_free(&p);

    /* ---- WebSocket protocol errors ---- */
    sol_up(&p, buf);
    {
        uint8_t unmasked[] = { 0x82, 0x01, 'a' };
        relay_pump_client_in(&p, unmasked, 3);
        relay_pump_run(&p, 10);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1002, "unmasked frame -> close 1002");
        relay_pump_run(&p, 10);
        to_amt(&p, buf);
        ok(buf[0] == 0x22, "and the AMT session is ended");
    }
    relay_pump_free(&p);
    sol_up(&p, buf);
    {
        static uint8_t big[5000];
        client(&p, WS_OP_BINARY, big, sizeof(big), 10);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1009, "message over AmtRelayMaxMessage -> 1009");
    }
    relay_pump_free(&p);

    /* ---- back-pressure: AMT not reading -> client room shrinks to 0 ---- */
    sol_up(&p, buf);
    {
        static uint8_t chunk[1000];
        size_t rounds = 0;
        while (relay_pump_client_room(&p) > 0 && rounds < 1000) {
            uint8_t fr[1100];
            size_t fl = ws_frame_client(fr, WS_OP_BINARY, 1, MASK, chunk, sizeof(chunk));
            size_t room = relay_pump_client_room(&p);
            relay_pump_client_in(&p, fr, fl < room ? fl : room);
            relay_pump_run(&p, 10);
            rounds++;
        }
        ok(relay_pump_client_room(&p) == 0 && rounds < 100, "client input stops when AMT does not drain");
        n = to_amt(&p, buf);
        relay_pump_run(&p, 11);
        ok(n > 0 && relay_pump_client_room(&p) > 0, "draining AMT reopens the client side");
        /* the other way: client does not read */
        size_t fed = 0;
        while (relay_pump_amt_room(&p) > 0 && fed < 100000) {
            uint8_t m[1010];
            memcpy(m, "\x2A\x00\x00\x00\x05\x00\x00\x00\xE8\x03", 10);
            memset(m + 10, 'z', 1000);
            size_t room = relay_pump_amt_room(&p);
            relay_pump_amt_in(&p, m, room < sizeof(m) ? room : sizeof(m));
            relay_pump_run(&p, 12);
            fed += 1010;
        }
        ok(relay_pump_amt_room(&p) == 0 && fed < 40000, "AMT input stops when the client does not read");
        to_client(&p, &f);
        relay_pump_run(&p, 13);
        ok(relay_pump_amt_room(&p) > 0, "client reading reopens the AMT side");
    }
    relay_pump_free(&p);

    /* ---- idle timeouts and keep-alive ---- */
    sol_up(&p, buf);
    relay_pump_run(&p, 3100);
    to_client(&p, &f);
    ok(f.op == WS_OP_PING, "ping after ping_ms of client silence");
    amt(&p, "2B 00 00 00 09 00 00 00", 9000);
    to_client(&p, &f);
    relay_pump_run(&p, 10001);
    to_client(&p, &f);
    ok(f.op == WS_OP_CLOSE && f.code == 1001 && strstr((char *)f.data + 2, "idle"), "client idle -> 1001");
    relay_pump_free(&p);
    sol_up(&p, buf);
    client(&p, WS_OP_BINARY, "a", 1, 9000);
    relay_pump_run(&p, 10006);
    to_client(&p, &f);
    ok(f.op == WS_OP_CLOSE && f.code == 1011 && strstr((char *)f.data + 2, "AMT"), "AMT idle -> 1011");
    relay_pump_free(&p);

    /* AMT that we stopped reading (the client is slow: every buffer towards it is
       full) is not idle; a client that then takes nothing is given up on */
    sol_up(&p, buf);
    {
        uint8_t m[2010];
        uint32_t seq = 1;
        size_t ml = sol_msg(m, seq, 2000, 'x'), off = 0;
        for (int guard = 0; relay_pump_amt_room(&p) > 0 && guard < 100; guard++) {
            size_t take = ml - off < relay_pump_amt_room(&p) ? ml - off : relay_pump_amt_room(&p);
            relay_pump_amt_in(&p, m + off, take);
            relay_pump_run(&p, 6);
            off += take;
            if (off == ml)
                ml = sol_msg(m, ++seq, 2000, 'x'), off = 0;
        }
        ok(relay_pump_amt_room(&p) == 0, "a client that reads nothing fills every buffer: AMT is no longer read");
        client(&p, WS_OP_BINARY, "a", 1, 9000);
        to_amt(&p, buf);
        relay_pump_run(&p, 10010);
        size_t len;
        const uint8_t *d = relay_pump_client_out(&p, &len);
        ok(p.state == PUMP_OPEN && len > 0 && d[0] == (0x80 | WS_OP_BINARY),
           "10 s of AMT silence while back-pressured is not 'AMT idle'");
        relay_pump_client_stalled(&p);
        relay_pump_client_out(&p, &len);
        ok(p.end_code == 1006 && strstr(p.end_reason, "stopped reading") && len == 0,
           "client stalled: logged 1006 'client stopped reading', its output dropped");
        relay_pump_run(&p, 10011);
        n = to_amt(&p, buf);
        ok(n > 0 && buf[0] == 0x22, "and the SOL session with AMT is ended (0x22)");
    }
    relay_pump_free(&p);

    /* ---- p=2 ---- */
    {
        amt_creds cr = { amt_s("admin"), amt_s("P@ssw0rd"), 0 };
        relay_pump_init(&p, RELAY_P2, AMT_MODE_KVM, cr, &LIM, 0);
        n = hex("10 01 00 00 4B 56 4D 52", buf);
        client(&p, WS_OP_BINARY, buf, n, 1);
        n = to_amt(&p, buf);
        ok(n == 8 && buf[0] == 0x10, "p=2: 0x10 passed");
        amt(&p, "11 00 00 00 01 00 02 00 55 55 00 00 00", 2);
        to_client(&p, &f);
        ok(f.len == 13 && f.data[0] == 0x11, "p=2: 0x11 passed");
        n = hex("13 00 00 00 04 08 00 00 00 00 00 00 00 00 00 00 00", buf);
        client(&p, WS_OP_BINARY, buf, n, 3);
        n = to_amt(&p, buf);
        ok(n == 41 && buf[9] == 5 && !memcmp(buf + 10, "admin", 5), "p=2: empty request gets the real user");
        relay_pump_free(&p);
        relay_pump_init(&p, RELAY_P2, AMT_MODE_SOL, cr, &LIM, 0);
        n = hex("10 01 00 00 4B 56 4D 52", buf);
        client(&p, WS_OP_BINARY, buf, n, 1);
        to_client(&p, &f);
        ok(f.op == WS_OP_CLOSE && f.code == 1008, "p=2: KVM start on a SOL stream -> 1008");
        is_int(relay_pump_amt_out(&p, &n) != NULL && n == 0, 1, "nothing reached AMT");
        relay_pump_free(&p);
    }
    /* ---- coalescing: SOL messages that arrive together leave as one frame ---- */
    {
        static uint8_t in[200000], pay[200000];
        size_t lens[8], pl, il;
        int k;
        sol_up(&p, buf);
        il = sol_msg(in, 2, 2, 'a');
        il += sol_msg(in + il, 3, 2, 'b');
        il += sol_msg(in + il, 4, 2, 'c');
        relay_pump_amt_in(&p, in, il);
        relay_pump_run(&p, 10);
        k = frames_of(&p, lens, 8, pay, &pl);
        ok(k == 1 && pl == 6 && !memcmp(pay, "aabbcc", 6), "three 0x2A in one read -> one 6-byte frame (2-byte header)");
        il = sol_msg(in, 5, 60, 'x');
        il += sol_msg(in + il, 6, 65, 'y');
        relay_pump_amt_in(&p, in, il);
        relay_pump_run(&p, 11);
        k = frames_of(&p, lens, 8, pay, &pl);
        ok(k == 1 && lens[0] == 125 && pay[59] == 'x' && pay[60] == 'y', "125 bytes coalesced keep the short header");
        il = sol_msg(in, 7, 60, 'x');
        il += sol_msg(in + il, 8, 66, 'y');
        relay_pump_amt_in(&p, in, il);
        relay_pump_run(&p, 12);
        k = frames_of(&p, lens, 8, pay, &pl);
        ok(k == 1 && lens[0] == 126, "126 bytes coalesced use the 16-bit length");
        /* a ping that arrives with AMT data is answered after the data frame, never inside it */
        il = sol_msg(in, 9, 10, 'z');
        relay_pump_amt_in(&p, in, il);
        {
            uint8_t f2[64];
            size_t fl = ws_frame_client(f2, WS_OP_PING, 1, MASK, (const uint8_t *)"q", 1);
            relay_pump_client_in(&p, f2, fl);
        }
        relay_pump_run(&p, 13);
        {
            size_t on;
            const uint8_t *d = relay_pump_client_out(&p, &on);
            /* the client's input is handled first in a run, so the pong leads */
            ok(on == 2 + 1 + 2 + 10 && d[0] == 0x8A && d[2] == 'q' && d[3] == 0x82 && d[4] == 10 && d[5] == 'z',
               "pong and data frame stay separate frames");
            relay_pump_client_sent(&p, on);
        }
        relay_pump_free(&p);

        relay_limits big = LIM;
        big.buf_size = 200000;
        sol_up_with(&p, buf, &big);
        il = 0;
        for (int i = 0; i < 20; i++)
            il += sol_msg(in + il, (uint32_t)(10 + i), 4000, (uint8_t)('A' + i));
        relay_pump_amt_in(&p, in, il);
        relay_pump_run(&p, 10);
        k = frames_of(&p, lens, 8, pay, &pl);
        ok(k == 2 && lens[0] <= 65535 && lens[0] + lens[1] == 80000 && pay[0] == 'A' && pay[79999] == 'T' &&
           pay[4000] == 'B', "80000 bytes -> two frames of at most 65535, in order");
        relay_pump_free(&p);
    }
    return tap_done();
}
