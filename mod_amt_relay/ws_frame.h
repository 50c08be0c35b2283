/* ws_frame: RFC 6455 frame codec for the server side of a WebSocket.
 *
 * httpd-free (decision 1). The decoder is incremental and zero-copy for data: the
 * caller hands it whatever bytes arrived (any split), the decoder unmasks payload in
 * place and reports it as chunks, so a stream never needs a whole message in memory.
 * The only internal buffers are the 14-byte header and the 125-byte control payload.
 * Message size is still bounded (max_message -> 1009) because the far side (AMT,
 * the pump's buffers) must never be asked to absorb an unbounded message. */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA
};

enum {
    WS_CLOSE_NORMAL = 1000, WS_CLOSE_GOING_AWAY = 1001, WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_UNSUPPORTED = 1003, WS_CLOSE_NO_STATUS = 1005, WS_CLOSE_ABNORMAL = 1006,
    WS_CLOSE_BAD_DATA = 1007, WS_CLOSE_POLICY = 1008, WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011, WS_CLOSE_TRY_LATER = 1013
};

#define WS_CONTROL_MAX 125
#define WS_HEADER_MAX 14 /* 2 + 8 (length) + 4 (mask) */

typedef enum {
    WS_EV_NONE = 0, /* need more input */
    WS_EV_DATA,     /* a chunk of a text/binary message (data/len; fin on the last) */
    WS_EV_PING,     /* complete ping, payload in data/len: answer with a pong */
    WS_EV_PONG,     /* complete pong */
    WS_EV_CLOSE,    /* peer's close; close_code (1005 if none) and reason in data/len */
    WS_EV_ERROR     /* protocol violation: send close(close_code, reason) and stop */
} ws_event_type;

typedef struct ws_event {
    ws_event_type type;
    int opcode;            /* DATA: WS_OP_TEXT or WS_OP_BINARY of the message */
    int fin;               /* DATA: this chunk ends the message */
    const uint8_t *data;   /* DATA: points into the caller's (unmasked) input;
                              PING/PONG/CLOSE: into the decoder */
    size_t len;
    uint16_t close_code;   /* CLOSE: peer code; ERROR: code to send */
    const char *reason;    /* ERROR: static text for the close frame and the log */
} ws_event;

typedef struct ws_decoder {
    uint64_t max_message;   /* total payload bound of one data message */
    int require_mask;       /* 1 for a server (client frames must be masked) */
    int validate_utf8;      /* check text messages and close reasons */
    /* private */
    int state;
    uint8_t hdr[WS_HEADER_MAX];
    size_t hdr_have, hdr_need;
    int fin, opcode, masked;
    uint8_t mask[4];
    uint64_t remaining, done;  /* payload of the current frame: left, and already seen */
    int msg_opcode;            /* 0 = no fragmented message in progress */
    uint64_t msg_len;
    uint32_t utf8_state;
    uint8_t ctl[WS_CONTROL_MAX];
    size_t ctl_len;
} ws_decoder;

void ws_decoder_init(ws_decoder *d, uint64_t max_message, int require_mask);

/* Consumes bytes from in[0..len) (payload is unmasked in place) until one event is
 * ready or the input is exhausted. Returns the number of bytes consumed; *ev tells
 * what happened (WS_EV_NONE: all input consumed, more needed). Call again with the
 * rest of the input after each event. After WS_EV_ERROR or WS_EV_CLOSE the decoder
 * consumes nothing more. */
size_t ws_decode(ws_decoder *d, uint8_t *in, size_t len, ws_event *ev);

/* Server frame header (no mask) for a payload of len bytes; returns header size
 * (2, 4 or 10). */
size_t ws_frame_header(uint8_t out[10], int opcode, int fin, uint64_t len);

/* Client-style masked frame (for tests, fuzzers and the benchmark client). Writes
 * header + masked payload to out (needs len + 14 bytes); returns bytes written. */
size_t ws_frame_client(uint8_t *out, int opcode, int fin, const uint8_t mask[4],
                       const uint8_t *payload, size_t len);

/* Complete close frame: code (0 = none) and a reason truncated to fit 125 bytes
 * at a UTF-8 boundary. out needs 2 + 125 bytes. Returns frame size. */
size_t ws_close_frame(uint8_t out[2 + WS_CONTROL_MAX], uint16_t code, const char *reason);

/* 1 if a close code may appear on the wire (RFC 6455 7.4). */
int ws_close_code_valid(unsigned code);

/* Incremental UTF-8 validation (Hoehrmann-style DFA without tables).
 * state 0 = accept; returns the new state, WS_UTF8_REJECT when invalid. */
#define WS_UTF8_ACCEPT 0u
#define WS_UTF8_REJECT 0xFFFFFFFFu
uint32_t ws_utf8_step(uint32_t state, const uint8_t *p, size_t len);

#endif
