/* relay_pump: everything a relay stream does between its two sockets, without
 * the sockets. The httpd glue (relay_handler.c) only moves bytes: it asks how much
 * each side may deliver (…_room), hands bytes in, runs the pump, and writes out
 * what the pump produced. Because every buffer here is fixed-size and the glue
 * stops reading a side whose room is 0, memory per stream is bounded and
 * back-pressure propagates in both directions (decision 6).
 *
 * One pump = one WebSocket client + one AMT redirection connection, in one of the
 * two dialects: plain (the relay is the AMT client) or p=2 (the browser is, and the
 * relay injects the stored credentials). */
#ifndef RELAY_PUMP_H
#define RELAY_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "amt_redir.h"
#include "rfb_watch.h"
#include "ws_frame.h"

typedef enum { RELAY_PLAIN = 0, RELAY_P2 = 2 } relay_dialect;

typedef struct relay_buf {
    uint8_t *p;
    size_t cap, off, len;
} relay_buf;

typedef struct relay_limits {
    uint64_t max_message;  /* bound of one client message (1009 above) */
    size_t buf_size;       /* size of each of the 5 stream buffers */
    unsigned idle_ms;      /* no bytes from a side for this long ends the stream */
    unsigned ping_ms;      /* WebSocket ping after this much client silence */
    unsigned close_wait_ms;/* how long to wait for the peer's close / AMT's goodbye */
    unsigned busy_wait_ms; /* AMT BUSY at the session start: keep asking this long */
} relay_limits;

enum { PUMP_OPEN = 0, PUMP_ENDING, PUMP_DONE };

typedef struct relay_pump {
    relay_dialect dialect;
    amt_mode mode;
    relay_limits lim;
    amt_client cl;
    amt_icpt ic;
    rfb_watch rw;    /* plain KVM: the RFB handshake checks noVNC depends on */
    ws_decoder dec;
    relay_buf cin;   /* raw WebSocket bytes from the client */
    relay_buf upay;  /* decoded client payload waiting for AMT */
    relay_buf toamt; /* bytes to write to AMT */
    relay_buf ain;   /* bytes read from AMT */
    relay_buf cout;  /* WebSocket frames to write to the client */
    size_t frame_at;   /* where in cout's data the open coalesced frame's header is */
    int frame_open;    /* payload is being appended after a reserved 4-byte header */
    int state;
    int close_sent, close_received, client_eof;
    int amt_eof, amt_stopping, amt_finished;
    uint64_t now, close_deadline, amt_deadline;
    uint64_t last_client_rx, last_amt_rx, next_ping;
    int amt_waiting;            /* BUSY held: the AMT connection is to be made again */
    uint64_t busy_until, amt_retry_at; /* 0: no BUSY yet / none due */
    unsigned amt_busy_retries;  /* how often AMT said BUSY before it took the session */
    int client_rx_pending, amt_rx_pending;
    uint16_t end_code;          /* close code that ended the stream (for the log) */
    char end_reason[128];       /* why it ended (static texts; no secrets) */
    uint64_t client_bytes_in, client_bytes_out; /* WebSocket payload bytes */
    uint64_t amt_bytes_in, amt_bytes_out;       /* bytes on the AMT connection */
} relay_pump;

/* Allocates the buffers (5 x lim->buf_size). 0 on success, -1 out of memory. */
int relay_pump_init(relay_pump *p, relay_dialect dialect, amt_mode mode, amt_creds creds,
                    const relay_limits *lim, uint64_t now_ms);
void relay_pump_free(relay_pump *p);

size_t relay_pump_client_room(const relay_pump *p);
void relay_pump_client_in(relay_pump *p, const uint8_t *data, size_t len);
/* Zero-copy variant: where the next client bytes may go (at most
 * relay_pump_client_room bytes), then how many were put there. */
uint8_t *relay_pump_client_space(relay_pump *p);
void relay_pump_client_filled(relay_pump *p, size_t n);
void relay_pump_client_eof(relay_pump *p);
/* The client took none of our bytes for too long: the stream ends without a close
 * frame (nobody would read it), logged as such. */
void relay_pump_client_stalled(relay_pump *p);
/* The same for another reason the glue found (a static text, for the log). */
void relay_pump_client_gone(relay_pump *p, const char *reason);
/* Queues a WebSocket ping now (a liveness check). 1 if queued. */
int relay_pump_ping(relay_pump *p);

size_t relay_pump_amt_room(const relay_pump *p);
void relay_pump_amt_in(relay_pump *p, const uint8_t *data, size_t len);
/* Zero-copy variant of relay_pump_amt_in: where the next AMT bytes may be read to
 * (at most relay_pump_amt_room bytes), then how many were put there. */
uint8_t *relay_pump_amt_space(relay_pump *p);
void relay_pump_amt_filled(relay_pump *p, size_t n);
/* AMT closed the connection (error = 0) or it failed (error != 0). */
void relay_pump_amt_eof(relay_pump *p, int error);

/* Does all the work that the buffered input allows, and the timers. */
void relay_pump_run(relay_pump *p, uint64_t now_ms);

const uint8_t *relay_pump_client_out(const relay_pump *p, size_t *len);
void relay_pump_client_sent(relay_pump *p, size_t n);
const uint8_t *relay_pump_amt_out(const relay_pump *p, size_t *len);
void relay_pump_amt_sent(relay_pump *p, size_t n);

/* AMT said BUSY at the session start and lim.busy_wait_ms has not run out (a
 * session that just ended is often still being torn down on the device): the glue
 * closes the AMT connection (relay_pump_amt_closable says so), connects again once
 * relay_pump_amt_reconnect_due, then calls relay_pump_amt_reconnected with ok = 1,
 * or ok = 0 if the connection failed. The client sees nothing of it meanwhile. */
int relay_pump_amt_reconnect_due(const relay_pump *p, uint64_t now_ms);
void relay_pump_amt_reconnected(relay_pump *p, uint64_t now_ms, int ok);

/* The AMT connection may be closed (its goodbye, if any, has been written). */
int relay_pump_amt_closable(const relay_pump *p);
/* The stream is over: nothing left to write to the client either. */
int relay_pump_done(const relay_pump *p);
/* Milliseconds until relay_pump_run wants to be called again for its timers. */
unsigned relay_pump_next_timer(const relay_pump *p, uint64_t now_ms);

/* Ends the stream from outside (server shutdown): close(code, reason). */
void relay_pump_shutdown(relay_pump *p, uint16_t code, const char *reason);

#endif
