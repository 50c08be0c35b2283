/* ws_frame: RFC 6455 frame codec (see ws_frame.h). */
#include "ws_frame.h"

#include <string.h>

enum { ST_HDR = 0, ST_PAYLOAD, ST_DEAD };

void ws_decoder_init(ws_decoder *d, uint64_t max_message, int require_mask)
{
    memset(d, 0, sizeof(*d));
    d->max_message = max_message;
    d->require_mask = require_mask;
    d->validate_utf8 = 1;
    d->state = ST_HDR;
    d->hdr_need = 2;
}

/* UTF-8 state: bits 0..3 continuation bytes still needed, bits 8..15 the lowest and
 * bits 16..23 the highest allowed value of the next byte. The bounds encode the
 * overlong / surrogate / > U+10FFFF exclusions of RFC 3629 on the first
 * continuation byte, so no table is needed. */
#define U8(need, lo, hi) ((uint32_t)(need) | ((uint32_t)(lo) << 8) | ((uint32_t)(hi) << 16))

uint32_t ws_utf8_step(uint32_t state, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = p[i];
        if (state == WS_UTF8_REJECT)
            return state;
        if ((state & 0xF) == 0) {
            if (b < 0x80)
                continue;
            else if (b >= 0xC2 && b <= 0xDF) state = U8(1, 0x80, 0xBF);
            else if (b == 0xE0)              state = U8(2, 0xA0, 0xBF);
            else if (b == 0xED)              state = U8(2, 0x80, 0x9F);
            else if (b >= 0xE1 && b <= 0xEF) state = U8(2, 0x80, 0xBF);
            else if (b == 0xF0)              state = U8(3, 0x90, 0xBF);
            else if (b >= 0xF1 && b <= 0xF3) state = U8(3, 0x80, 0xBF);
            else if (b == 0xF4)              state = U8(3, 0x80, 0x8F);
            else return WS_UTF8_REJECT;
        } else {
            uint8_t lo = (state >> 8) & 0xFF, hi = (state >> 16) & 0xFF;
            uint32_t need = (state & 0xF) - 1;
            if (b < lo || b > hi)
                return WS_UTF8_REJECT;
            state = need ? U8(need, 0x80, 0xBF) : WS_UTF8_ACCEPT;
        }
    }
    return state;
}

int ws_close_code_valid(unsigned code)
{
    if (code >= 3000 && code <= 4999)
        return 1;
    switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008:
    case 1009: case 1010: case 1011: case 1012: case 1013: case 1014:
        return 1;
    }
    return 0; /* includes 1004, 1005, 1006, 1015 which must never be sent */
}

static size_t fail(ws_decoder *d, ws_event *ev, size_t consumed, uint16_t code, const char *why)
{
    d->state = ST_DEAD;
    ev->type = WS_EV_ERROR;
    ev->close_code = code;
    ev->reason = why;
    ev->data = NULL;
    ev->len = 0;
    return consumed;
}

/* Validates the first two header bytes and works out the full header size. */
static const char *check_first_two(ws_decoder *d, uint16_t *code)
{
    uint8_t b0 = d->hdr[0], b1 = d->hdr[1];
    unsigned len7 = b1 & 0x7F;
    *code = WS_CLOSE_PROTOCOL;
    d->fin = b0 >> 7;
    d->opcode = b0 & 0x0F;
    d->masked = b1 >> 7;
    if (b0 & 0x70)
        return "reserved bits set without a negotiated extension";
    switch (d->opcode) {
    case WS_OP_CONT: case WS_OP_TEXT: case WS_OP_BINARY:
    case WS_OP_CLOSE: case WS_OP_PING: case WS_OP_PONG:
        break;
    default:
        return "unknown opcode";
    }
    if (d->opcode & 0x8) {
        if (!d->fin)
            return "fragmented control frame";
        if (len7 > WS_CONTROL_MAX)
            return "control frame payload over 125 bytes";
    } else if (d->opcode == WS_OP_CONT) {
        if (!d->msg_opcode)
            return "continuation frame without a message";
    } else if (d->msg_opcode) {
        return "new data frame inside a fragmented message";
    }
    if (d->require_mask && !d->masked)
        return "client frame not masked";
    d->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (d->masked ? 4 : 0);
    return NULL;
}

/* Parses the complete header: payload length (minimal encoding) and mask. */
static const char *check_full(ws_decoder *d, uint16_t *code)
{
    unsigned len7 = d->hdr[1] & 0x7F;
    uint64_t len = len7;
    size_t off = 2;
    *code = WS_CLOSE_PROTOCOL;
    if (len7 == 126) {
        len = ((uint64_t)d->hdr[2] << 8) | d->hdr[3];
        off = 4;
        if (len < 126)
            return "non-minimal payload length";
    } else if (len7 == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | d->hdr[2 + i];
        off = 10;
        if (len >> 63)
            return "payload length with the top bit set";
        if (len < 65536)
            return "non-minimal payload length";
    }
    if (d->masked)
        memcpy(d->mask, d->hdr + off, 4);
    else
        memset(d->mask, 0, 4);
    if (!(d->opcode & 0x8)) {
        uint64_t before = d->opcode == WS_OP_CONT ? d->msg_len : 0;
        if (len > d->max_message || before > d->max_message - len) {
            *code = WS_CLOSE_TOO_BIG;
            return "message too big";
        }
        if (d->opcode != WS_OP_CONT) {
            d->msg_opcode = d->opcode;
            d->msg_len = 0;
            d->utf8_state = WS_UTF8_ACCEPT;
        }
    }
    d->remaining = len;
    d->done = 0;
    d->ctl_len = 0;
    return NULL;
}

static void unmask(ws_decoder *d, uint8_t *p, size_t n)
{
    if (!d->masked)
        return;
    size_t k = (size_t)(d->done & 3);
    for (size_t i = 0; i < n; i++, k = (k + 1) & 3)
        p[i] ^= d->mask[k];
}

/* A complete control frame is in d->ctl. */
static size_t finish_control(ws_decoder *d, ws_event *ev, size_t pos)
{
    d->state = ST_HDR;
    d->hdr_have = 0;
    d->hdr_need = 2;
    ev->data = d->ctl;
    ev->len = d->ctl_len;
    if (d->opcode == WS_OP_PING) {
        ev->type = WS_EV_PING;
    } else if (d->opcode == WS_OP_PONG) {
        ev->type = WS_EV_PONG;
    } else {
        uint16_t code = WS_CLOSE_NO_STATUS;
        if (d->ctl_len == 1)
            return fail(d, ev, pos, WS_CLOSE_PROTOCOL, "close frame with a 1-byte payload");
        if (d->ctl_len >= 2) {
            code = (uint16_t)((d->ctl[0] << 8) | d->ctl[1]);
            if (!ws_close_code_valid(code))
                return fail(d, ev, pos, WS_CLOSE_PROTOCOL, "invalid close code");
            if (d->validate_utf8 &&
                ws_utf8_step(WS_UTF8_ACCEPT, d->ctl + 2, d->ctl_len - 2) != WS_UTF8_ACCEPT)
                return fail(d, ev, pos, WS_CLOSE_BAD_DATA, "close reason is not UTF-8");
            ev->data = d->ctl + 2;
            ev->len = d->ctl_len - 2;
        }
        ev->type = WS_EV_CLOSE;
        ev->close_code = code;
        d->state = ST_DEAD; /* nothing may follow a close */
    }
    return pos;
}

size_t ws_decode(ws_decoder *d, uint8_t *in, size_t len, ws_event *ev)
{
    size_t pos = 0;
    memset(ev, 0, sizeof(*ev));
    if (d->state == ST_DEAD)
        return 0;
    for (;;) {
        if (d->state == ST_HDR) {
            uint16_t code;
            const char *why;
            while (d->hdr_have < d->hdr_need && pos < len)
                d->hdr[d->hdr_have++] = in[pos++];
            if (d->hdr_have < d->hdr_need)
                return pos;
            if (d->hdr_have == 2) {
                if ((why = check_first_two(d, &code)) != NULL)
                    return fail(d, ev, pos, code, why);
                if (d->hdr_have < d->hdr_need)
                    continue;
            }
            if ((why = check_full(d, &code)) != NULL)
                return fail(d, ev, pos, code, why);
            d->state = ST_PAYLOAD;
        }
        /* ST_PAYLOAD */
        size_t n = (size_t)((uint64_t)(len - pos) < d->remaining ? (uint64_t)(len - pos) : d->remaining);
        uint8_t *p = in + pos;
        unmask(d, p, n);
        pos += n;
        d->remaining -= n;
        d->done += n;
        if (d->opcode & 0x8) {
            memcpy(d->ctl + d->ctl_len, p, n);
            d->ctl_len += n;
            if (d->remaining)
                return pos;
            return finish_control(d, ev, pos);
        }
        d->msg_len += n;
        if (d->msg_opcode == WS_OP_TEXT && d->validate_utf8) {
            d->utf8_state = ws_utf8_step(d->utf8_state, p, n);
            if (d->utf8_state == WS_UTF8_REJECT)
                return fail(d, ev, pos, WS_CLOSE_BAD_DATA, "text message is not UTF-8");
        }
        int last = d->remaining == 0 && d->fin;
        int opcode = d->msg_opcode;
        if (d->remaining == 0) {
            d->state = ST_HDR;
            d->hdr_have = 0;
            d->hdr_need = 2;
            if (d->fin) {
                if (opcode == WS_OP_TEXT && d->validate_utf8 && d->utf8_state != WS_UTF8_ACCEPT)
                    return fail(d, ev, pos, WS_CLOSE_BAD_DATA, "text message ends inside a UTF-8 sequence");
                d->msg_opcode = 0;
                d->msg_len = 0;
            }
        }
        if (n > 0 || last) {
            ev->type = WS_EV_DATA;
            ev->opcode = opcode;
            ev->fin = last;
            ev->data = p;
            ev->len = n;
            return pos;
        }
        /* an empty non-final fragment: nothing to report, go on parsing */
        if (pos == len)
            return pos;
    }
}

size_t ws_frame_header(uint8_t out[10], int opcode, int fin, uint64_t len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

size_t ws_frame_client(uint8_t *out, int opcode, int fin, const uint8_t mask[4],
                       const uint8_t *payload, size_t len)
{
    size_t h = ws_frame_header(out, opcode, fin, len);
    out[1] |= 0x80;
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = payload[i] ^ mask[i & 3];
    return h + len;
}

size_t ws_close_frame(uint8_t out[2 + WS_CONTROL_MAX], uint16_t code, const char *reason)
{
    size_t rlen = 0;
    if (code == 0) {
        out[0] = 0x80 | WS_OP_CLOSE;
        out[1] = 0;
        return 2;
    }
    if (reason) {
        rlen = strlen(reason);
        if (rlen > WS_CONTROL_MAX - 2) {
            rlen = WS_CONTROL_MAX - 2;
            /* do not cut a UTF-8 sequence: back off over continuation bytes */
            while (rlen > 0 && ((uint8_t)reason[rlen] & 0xC0) == 0x80)
                rlen--;
        }
    }
    out[0] = 0x80 | WS_OP_CLOSE;
    out[1] = (uint8_t)(2 + rlen);
    out[2] = (uint8_t)(code >> 8);
    out[3] = (uint8_t)code;
    if (rlen)
        memcpy(out + 4, reason, rlen);
    return 4 + rlen;
}
