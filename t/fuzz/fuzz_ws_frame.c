/* libFuzzer target: the RFC 6455 decoder (mod_amt_relay/ws_frame.c).
 * Input byte 0 picks the read size the pump would see (1..256), byte 1 the message
 * bound; the rest is the client byte stream. Checks the decoder's own contract:
 * it never consumes more than it was given, data chunks lie inside the input,
 * control payloads are <= 125 bytes, messages never exceed the bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"
#include "ws_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ws_decoder d;
    uint8_t *buf;
    size_t step, off = 0;
    uint64_t msg = 0, max;
    int stop = 0;

    if (size < 2)
        return 0;
    step = (size_t)data[0] + 1;
    max = (uint64_t)data[1] * 64;
    data += 2;
    size -= 2;
    buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    ws_decoder_init(&d, max, 1);
    while (off < size && !stop) {
        size_t chunk = size - off < step ? size - off : step, pos = 0;
        for (;;) {
            ws_event ev;
            size_t used = ws_decode(&d, buf + off + pos, chunk - pos, &ev);
            if (used > chunk - pos)
                abort();
            pos += used;
            if (ev.type == WS_EV_NONE) {
                if (pos != chunk)
                    abort(); /* NONE means everything was consumed */
                break;
            }
            if (ev.type == WS_EV_DATA) {
                if (ev.len && (ev.data < buf + off || ev.data + ev.len > buf + off + pos))
                    abort();
                msg += ev.len;
                if (msg > max)
                    abort();
                if (ev.fin)
                    msg = 0;
            } else if (ev.type == WS_EV_PING || ev.type == WS_EV_PONG) {
                if (ev.len > WS_CONTROL_MAX)
                    abort();
            } else {
                if (ev.type == WS_EV_ERROR && !ws_close_code_valid(ev.close_code))
                    abort();
                stop = 1;
                break;
            }
        }
        off += chunk;
    }
    /* the handshake helpers on the same bytes as a string */
    {
        char s[64], out[64], acc[WS_ACCEPT_LEN + 1];
        size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
        memcpy(s, data, n);
        s[n] = 0;
        (void)ws_key_valid(s);
        (void)ws_header_has_token(s, "upgrade");
        (void)ws_single_subprotocol(s, out, sizeof(out));
        (void)ws_accept_key(s, acc);
        uint8_t cf[2 + WS_CONTROL_MAX];
        size_t cl = ws_close_frame(cf, 1000, s);
        if (cl > sizeof(cf) || ws_utf8_step(0, cf + 4, cl - 4) == WS_UTF8_REJECT) {
            if (ws_utf8_step(0, (const uint8_t *)s, strlen(s)) != WS_UTF8_REJECT)
                abort(); /* a valid reason must stay valid after truncation */
        }
    }
    free(buf);
    return 0;
}
