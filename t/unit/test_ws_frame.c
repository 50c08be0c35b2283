/* Unit tests: RFC 6455 decoder/encoder and handshake helpers (mod_amt_relay). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws_frame.h"
#include "ws_handshake.h"

static const uint8_t MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Collected result of decoding a whole buffer, fed in pieces of `step` bytes. */
typedef struct {
    uint8_t data[70000];
    size_t data_len;
    int messages;       /* completed data messages */
    int last_opcode;
    int pings, pongs, closes;
    uint16_t code;      /* close code (peer's or error) */
    int error;
    char ping[126];
    size_t ping_len;
    char reason[126];
} result;

static void run(const uint8_t *wire, size_t len, size_t step, uint64_t max, result *r)
{
    ws_decoder d;
    uint8_t *buf = malloc(len ? len : 1);
    memcpy(buf, wire, len);
    memset(r, 0, sizeof(*r));
    ws_decoder_init(&d, max, 1);
    for (size_t off = 0; off < len && !r->error && !r->closes;) {
        size_t chunk = len - off < step ? len - off : step;
        size_t pos = 0;
        for (;;) {
            ws_event ev;
            size_t used = ws_decode(&d, buf + off + pos, chunk - pos, &ev);
            pos += used;
            if (ev.type == WS_EV_NONE)
                break;
            if (ev.type == WS_EV_DATA) {
                memcpy(r->data + r->data_len, ev.data, ev.len);
                r->data_len += ev.len;
                r->last_opcode = ev.opcode;
                if (ev.fin)
                    r->messages++;
            } else if (ev.type == WS_EV_PING) {
                r->pings++;
                memcpy(r->ping, ev.data, ev.len);
                r->ping_len = ev.len;
            } else if (ev.type == WS_EV_PONG) {
                r->pongs++;
            } else if (ev.type == WS_EV_CLOSE) {
                r->closes++;
                r->code = ev.close_code;
                memcpy(r->reason, ev.data, ev.len);
                r->reason[ev.len] = 0;
                break;
            } else {
                r->error = 1;
                r->code = ev.close_code;
                break;
            }
        }
        off += chunk;
    }
    free(buf);
}

static size_t frame(uint8_t *out, int b0, const void *payload, size_t len)
{
    size_t n = ws_frame_client(out, b0 & 0x0F, (b0 & 0x80) != 0, MASK, payload, len);
    out[0] = (uint8_t)b0; /* lets tests set RSV bits */
    return n;
}

int main(void)
{
    static uint8_t wire[200000];
    static result r;
    size_t n;

    /* single frames, every split */
    n = frame(wire, 0x82, "hello", 5);
    for (size_t step = 1; step <= n; step++) {
        run(wire, n, step, 1 << 20, &r);
        if (r.messages != 1 || r.data_len != 5 || memcmp(r.data, "hello", 5) != 0)
            break;
        if (step == n)
            ok(1, "masked binary frame decoded at every split size");
    }
    if (r.messages != 1)
        ok(0, "masked binary frame decoded at every split size");
    is_int(r.last_opcode, WS_OP_BINARY, "opcode binary");

    /* 16-bit and 64-bit lengths */
    {
        static uint8_t big[70000];
        for (size_t i = 0; i < sizeof(big); i++)
            big[i] = (uint8_t)(i * 7);
        n = frame(wire, 0x82, big, 300);
        run(wire, n, 1000, 1 << 20, &r);
        ok(r.data_len == 300 && memcmp(r.data, big, 300) == 0, "16-bit length frame");
        n = frame(wire, 0x82, big, sizeof(big));
        run(wire, n, 4096, 1 << 20, &r);
        ok(r.data_len == sizeof(big) && memcmp(r.data, big, sizeof(big)) == 0 && r.messages == 1,
           "64-bit length frame in 4 KiB reads");
    }

    /* fragmentation with interleaved control frames */
    n = frame(wire, 0x02, "ab", 2);
    n += frame(wire + n, 0x89, "p1", 2);
    n += frame(wire + n, 0x00, "cd", 2);
    n += frame(wire + n, 0x8A, "", 0);
    n += frame(wire + n, 0x00, "", 0);
    n += frame(wire + n, 0x80, "ef", 2);
    for (size_t step = 1; step <= n; step += 3) {
        run(wire, n, step, 1 << 20, &r);
        if (r.messages != 1 || r.data_len != 6 || r.pings != 1 || r.pongs != 1)
            break;
    }
    ok(r.messages == 1 && r.data_len == 6 && memcmp(r.data, "abcdef", 6) == 0,
       "fragmented message reassembled");
    ok(r.pings == 1 && r.ping_len == 2 && memcmp(r.ping, "p1", 2) == 0, "ping between fragments delivered");
    is_int(r.pongs, 1, "pong between fragments delivered");

    n = frame(wire, 0x81, "", 0);
    run(wire, n, 10, 100, &r);
    is_int(r.messages, 1, "empty final frame is a message");

    /* protocol errors -> 1002 */
    {
        uint8_t unmasked[] = { 0x82, 0x02, 'h', 'i' };
        run(unmasked, sizeof(unmasked), 4, 100, &r);
        ok(r.error && r.code == 1002, "unmasked client frame -> 1002");
    }
    n = frame(wire, 0xC2, "x", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "RSV1 without extension -> 1002");
    n = frame(wire, 0x83, "x", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "reserved opcode 3 -> 1002");
    n = frame(wire, 0x8B, "x", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "reserved control opcode 0xB -> 1002");
    n = frame(wire, 0x09, "x", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "fragmented ping -> 1002");
    {
        uint8_t p[126];
        memset(p, 'a', sizeof(p));
        n = frame(wire, 0x89, p, 126);
        run(wire, n, 200, 1000, &r);
        ok(r.error && r.code == 1002, "126-byte ping -> 1002");
    }
    n = frame(wire, 0x80, "x", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "continuation without a message -> 1002");
    n = frame(wire, 0x02, "a", 1);
    n += frame(wire + n, 0x82, "b", 1);
    run(wire, n, 16, 100, &r);
    ok(r.error && r.code == 1002, "new message inside a fragmented one -> 1002");
    {
        uint8_t nm[] = { 0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e' };
        run(nm, sizeof(nm), 64, 100, &r);
        ok(r.error && r.code == 1002, "non-minimal 16-bit length -> 1002");
        uint8_t top[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
        run(top, sizeof(top), 64, (uint64_t)-1, &r);
        ok(r.error && r.code == 1002, "64-bit length with top bit -> 1002");
    }

    /* size bound -> 1009, also across fragments, decided from the header */
    {
        uint8_t p[200];
        memset(p, 'z', sizeof(p));
        n = frame(wire, 0x82, p, 101);
        run(wire, 8, 8, 100, &r); /* header only */
        ok(r.error && r.code == 1009, "oversize frame -> 1009 before its payload arrives");
        n = frame(wire, 0x02, p, 60);
        n += frame(wire + n, 0x80, p, 60);
        run(wire, n, 1000, 100, &r);
        ok(r.error && r.code == 1009, "oversize fragmented message -> 1009");
        n = frame(wire, 0x82, p, 100);
        run(wire, n, 1000, 100, &r);
        ok(!r.error && r.messages == 1, "message of exactly the limit accepted");
    }

    /* UTF-8 */
    {
        const char euro[] = "\xe2\x82\xac";
        n = frame(wire, 0x01, euro, 1);
        n += frame(wire + n, 0x80, euro + 1, 2);
        run(wire, n, 1, 100, &r);
        ok(!r.error && r.messages == 1 && r.last_opcode == WS_OP_TEXT, "UTF-8 split across fragments ok");
        n = frame(wire, 0x81, "\xc0\xaf", 2);
        run(wire, n, 64, 100, &r);
        ok(r.error && r.code == 1007, "overlong UTF-8 -> 1007");
        n = frame(wire, 0x81, "\xed\xa0\x80", 3);
        run(wire, n, 64, 100, &r);
        ok(r.error && r.code == 1007, "UTF-16 surrogate -> 1007");
        n = frame(wire, 0x81, "\xe2\x82", 2);
        run(wire, n, 64, 100, &r);
        ok(r.error && r.code == 1007, "text ending inside a sequence -> 1007");
        n = frame(wire, 0x82, "\xff\xfe", 2);
        run(wire, n, 64, 100, &r);
        ok(!r.error && r.messages == 1, "binary is not UTF-8 checked");
        is_int(ws_utf8_step(0, (const uint8_t *)"\xf4\x90\x80\x80", 4), WS_UTF8_REJECT, "> U+10FFFF rejected");
        is_int(ws_utf8_step(0, (const uint8_t *)"\xf0\x9f\x98\x80", 4), WS_UTF8_ACCEPT, "emoji accepted");
    }

    /* close frames */
    {
        uint8_t c[2 + WS_CONTROL_MAX];
        size_t cl = ws_close_frame(c, 1000, "bye");
        n = frame(wire, 0x88, c + 2, cl - 2);
        run(wire, n, 3, 100, &r);
        ok(r.closes == 1 && r.code == 1000 && strcmp(r.reason, "bye") == 0, "close 1000 with reason parsed");
        n = frame(wire, 0x88, "", 0);
        run(wire, n, 3, 100, &r);
        ok(r.closes == 1 && r.code == 1005, "empty close -> 1005 (no status)");
        n = frame(wire, 0x88, "\x03", 1);
        run(wire, n, 3, 100, &r);
        ok(r.error && r.code == 1002, "1-byte close payload -> 1002");
        n = frame(wire, 0x88, "\x03\xed", 2); /* 1005 */
        run(wire, n, 3, 100, &r);
        ok(r.error && r.code == 1002, "close code 1005 on the wire -> 1002");
        n = frame(wire, 0x88, "\x03\xe8\xc0", 3);
        run(wire, n, 3, 100, &r);
        ok(r.error && r.code == 1007, "close reason not UTF-8 -> 1007");
        n = frame(wire, 0x88, "\x0f\xa0", 2); /* 4000 */
        n += frame(wire + n, 0x82, "x", 1);
        run(wire, n, 100, 100, &r);
        ok(r.closes == 1 && r.code == 4000 && r.data_len == 0, "close 4000 accepted, nothing after it");

        char longr[300];
        memset(longr, 'r', sizeof(longr));
        longr[299] = 0;
        memcpy(longr + 121, "\xe2\x82\xac", 3); /* a euro sign across the 123-byte cut */
        cl = ws_close_frame(c, 1011, longr);
        is_int(cl, 4 + 121, "long reason cut at a UTF-8 boundary");
        is_int(ws_utf8_step(0, c + 4, cl - 4), WS_UTF8_ACCEPT, "cut reason is valid UTF-8");
        is_int(c[1], cl - 2, "close length byte");
        ok(ws_close_code_valid(1000) && ws_close_code_valid(1013) && !ws_close_code_valid(1006) &&
           !ws_close_code_valid(999) && !ws_close_code_valid(5000), "close code validity");
    }

    /* encoder */
    {
        uint8_t h[10];
        is_int(ws_frame_header(h, WS_OP_BINARY, 1, 125), 2, "header 7-bit");
        ok(h[0] == 0x82 && h[1] == 125, "header bytes 7-bit");
        is_int(ws_frame_header(h, WS_OP_BINARY, 1, 126), 4, "header 16-bit");
        ok(h[1] == 126 && h[2] == 0 && h[3] == 126, "header bytes 16-bit");
        is_int(ws_frame_header(h, WS_OP_TEXT, 0, 65536), 10, "header 64-bit");
        ok(h[0] == 0x01 && h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0, "header bytes 64-bit");
    }

    /* handshake */
    {
        char acc[WS_ACCEPT_LEN + 1];
        is_int(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc), 0, "accept key computed");
        is_str(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 1.3 example accept key");
        ok(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="), "valid key");
        ok(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="), "short key refused");
        ok(!ws_key_valid("dGhlIHNhbXBsZSBub25jZR=="), "key with stray bits refused");
        ok(!ws_key_valid(NULL), "NULL key refused");
        ok(ws_header_has_token("keep-alive, Upgrade", "upgrade"), "Connection token found");
        ok(!ws_header_has_token("keep-alive, Upgraded", "upgrade"), "token prefix not matched");
        /* the relay's default Origin rule: same host (and port) as the request */
        ok(ws_origin_matches_host("https://amt.example", "amt.example"), "origin = Host, default port");
        ok(ws_origin_matches_host("https://AMT.example", "amt.EXAMPLE:443"), "case and explicit default port");
        ok(ws_origin_matches_host("http://127.0.0.1:8529", "127.0.0.1:8529"), "explicit port matches");
        ok(ws_origin_matches_host("https://[::1]:8443", "[::1]:8443"), "IPv6 literal");
        ok(!ws_origin_matches_host("https://evil.example", "amt.example"), "another host refused");
        ok(!ws_origin_matches_host("https://amt.example.evil", "amt.example"), "suffix trick refused");
        ok(!ws_origin_matches_host("http://amt.example:8080", "amt.example"), "another port refused");
        ok(!ws_origin_matches_host("https://amt.example", "amt.example:8443"), "port on Host only refused");
        ok(!ws_origin_matches_host("null", "amt.example"), "Origin null refused");
        ok(!ws_origin_matches_host("file://amt.example", "amt.example"), "non-http scheme refused");
        ok(!ws_origin_matches_host("https://amt.example/x", "amt.example"), "origin with a path refused");
        ok(!ws_origin_matches_host("https://u@amt.example", "amt.example"), "user info refused");
        ok(!ws_origin_matches_host("https://amt.example:0", "amt.example:0"), "port 0 refused");
        ok(!ws_origin_matches_host("https://amt.example:99999", "amt.example:99999"), "port > 65535 refused");
        ok(!ws_origin_matches_host("https://", ""), "empty hosts refused");
        ok(!ws_origin_matches_host("https://amt.example", NULL), "no Host refused");
        char tok[64];
        is_int(ws_single_subprotocol(" eyJ.a-b_c.sig ", tok, sizeof(tok)), 0, "single subprotocol");
        is_str(tok, "eyJ.a-b_c.sig", "subprotocol trimmed");
        is_int(ws_single_subprotocol("a, b", tok, sizeof(tok)), -2, "two subprotocols refused");
        is_int(ws_single_subprotocol("", tok, sizeof(tok)), -1, "empty subprotocol refused");
        is_int(ws_single_subprotocol("a b", tok, sizeof(tok)), -3, "space inside refused");
        is_int(ws_single_subprotocol("abcdef", tok, 4), -3, "too long refused");
    }
    return tap_done();
}
