/* libFuzzer target: a whole relay stream (mod_amt_relay/relay_pump.c) driven by
 * hostile bytes from both sides, in a hostile order, with hostile timing.
 * Byte 0: bits 0-1 dialect/mode (plain SOL, plain KVM, p=2 SOL, p=2 KVM). Then
 * operations of [op][len][len bytes]:
 *   op % 5 == 0  client bytes in (raw WebSocket bytes, up to the pump's room)
 *   op % 5 == 1  AMT bytes in (up to the room)
 *   op % 5 == 2  the client reads len * 64 bytes of what the pump sends it
 *   op % 5 == 3  AMT takes len * 64 bytes of what the pump sends it
 *   op % 5 == 4  len * 10 ms pass
 * and the pump runs after each one. Checks, besides ASan/UBSan:
 *   - what the client receives is a well-formed server frame sequence (RFC 6455
 *     5.2: FIN set, no RSV bits, unmasked, known opcode, minimal length form,
 *     control frames <= 125 bytes), and nothing follows a close frame;
 *   - buffers never exceed their capacity (bounded memory per stream).
 * (Where the password may appear is fuzz_amt_redir's check: here both peers'
 * payloads pass through, so any byte string can legitimately come out.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay_pump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PW[] = "Zq9!secret-pw";

/* Streaming checker of the frames the client receives. */
typedef struct {
    uint8_t buf[70000 + 16];
    size_t len;
    int closed;
} frame_check;

static void check_frames(frame_check *fc, const uint8_t *d, size_t n)
{
    while (n) {
        size_t take = sizeof(fc->buf) - fc->len < n ? sizeof(fc->buf) - fc->len : n;
        memcpy(fc->buf + fc->len, d, take);
        fc->len += take;
        d += take;
        n -= take;
        for (;;) {
            size_t h = 2, l;
            uint8_t op;
            if (fc->len < 2)
                break;
            if (fc->closed)
                abort(); /* bytes after a close frame */
            op = fc->buf[0] & 0x0F;
            if ((fc->buf[0] & 0xF0) != 0x80 || (fc->buf[1] & 0x80))
                abort(); /* FIN always, no RSV, never masked */
            if (op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
                abort();
            l = fc->buf[1] & 0x7F;
            if (l == 126) {
                if (fc->len < 4)
                    break;
                l = (size_t)(fc->buf[2] << 8 | fc->buf[3]);
                h = 4;
                if (l < 126)
                    abort(); /* not the minimal form */
            } else if (l == 127) {
                abort(); /* frames here never need the 64-bit form */
            }
            if (op >= 8 && l > 125)
                abort();
            if (h + l > sizeof(fc->buf))
                abort();
            if (fc->len < h + l)
                break;
            if (op == 8)
                fc->closed = 1;
            memmove(fc->buf, fc->buf + h + l, fc->len - h - l);
            fc->len -= h + l;
        }
    }
}

static void check_bounds(const relay_pump *p)
{
    const relay_buf *b[5] = { &p->cin, &p->upay, &p->toamt, &p->ain, &p->cout };
    for (int i = 0; i < 5; i++)
        if (b[i]->off + b[i]->len > b[i]->cap)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static relay_pump p;
    static frame_check fc;
    relay_limits lim = { 4096, 8192, 60000, 20000, 1500, 2000 };
    amt_creds cr = { amt_s("admin"), amt_s(PW), 0 };
    uint64_t now = 1000;
    size_t off = 1;

    if (size < 1)
        return 0;
    if (relay_pump_init(&p, (data[0] & 2) ? RELAY_P2 : RELAY_PLAIN,
                        (data[0] & 1) ? AMT_MODE_KVM : AMT_MODE_SOL, cr, &lim, now) != 0)
        return 0;
    memset(&fc, 0, sizeof(fc));
    relay_pump_run(&p, now);
    while (off + 2 <= size && !relay_pump_done(&p)) {
        uint8_t op = data[off] % 5;
        size_t len = data[off + 1], n, room;
        const uint8_t *arg = data + off + 2;
        off += 2;
        if (op <= 1) {
            if (len > size - off)
                len = size - off;
            off += len;
            if (op == 0) {
                room = relay_pump_client_room(&p);
                n = len < room ? len : room;
                memcpy(relay_pump_client_space(&p), arg, n);
                relay_pump_client_filled(&p, n);
            } else {
                room = relay_pump_amt_room(&p);
                n = len < room ? len : room;
                memcpy(relay_pump_amt_space(&p), arg, n);
                relay_pump_amt_filled(&p, n);
            }
        } else if (op == 2) {
            const uint8_t *d = relay_pump_client_out(&p, &n);
            if (n > len * 64 + 1)
                n = len * 64 + 1;
            check_frames(&fc, d, n);
            relay_pump_client_sent(&p, n);
        } else if (op == 3) {
            (void)relay_pump_amt_out(&p, &n);
            if (n > len * 64 + 1)
                n = len * 64 + 1;
            relay_pump_amt_sent(&p, n);
        } else {
            now += len * 10;
            /* a held BUSY: the new connection works or fails as the input says */
            if (relay_pump_amt_reconnect_due(&p, now))
                relay_pump_amt_reconnected(&p, now, len & 1);
        }
        relay_pump_run(&p, now);
        check_bounds(&p);
    }
    /* the client drains what is left: it must still be a valid sequence */
    {
        size_t n;
        const uint8_t *d = relay_pump_client_out(&p, &n);
        check_frames(&fc, d, n);
        relay_pump_client_sent(&p, n);
    }
    relay_pump_free(&p);
    return 0;
}
