/* amt_redir: the Intel AMT redirection protocol (ports 16994/16995) as the relay
 * needs it — codec, the relay-side client state machine (plain mode) and the
 * credential-injecting interceptor (p=2 passthrough). docs/redirection-protocol.md
 * describes it; section numbers below point into that page.
 *
 * httpd-free and allocation-free: every object is a fixed-size struct, every
 * message is bounded (AMT_AUTH_DATA_MAX), SOL payloads are streamed in chunks so
 * a 64 KiB 0x2A never has to sit in one buffer. */
#ifndef AMT_REDIR_H
#define AMT_REDIR_H

#include <stddef.h>
#include <stdint.h>

#include "amt_digest.h"

typedef enum { AMT_MODE_SOL = 1, AMT_MODE_KVM = 2 } amt_mode;

/* message types (section 2) */
enum {
    AMT_START_SESSION = 0x10, AMT_START_SESSION_REPLY = 0x11, AMT_END_SESSION = 0x12,
    AMT_AUTH = 0x13, AMT_AUTH_REPLY = 0x14,
    AMT_SOL_START = 0x20, AMT_SOL_START_REPLY = 0x21, AMT_SOL_END = 0x22,
    AMT_SOL_END_REPLY = 0x23, AMT_SOL_PING = 0x24, AMT_SOL_PONG = 0x25,
    AMT_SOL_OPTIONS = 0x27, AMT_SOL_DATA_TO_HOST = 0x28, AMT_SOL_CONTROLS = 0x29,
    AMT_SOL_DATA_FROM_HOST = 0x2A, AMT_SOL_HEARTBEAT = 0x2B,
    AMT_KVM_START = 0x40, AMT_KVM_START_REPLY = 0x41
};

/* auth types (4.1) */
enum { AMT_AUTH_QUERY = 0, AMT_AUTH_PLAIN = 1, AMT_AUTH_KERBEROS = 2,
       AMT_AUTH_DIGEST2069 = 3, AMT_AUTH_DIGEST = 4 };

/* 0x11 status (3.2) */
enum { AMT_SESSION_OK = 0, AMT_SESSION_TYPE_UNKNOWN = 1, AMT_SESSION_BUSY = 2,
       AMT_SESSION_UNSUPPORTED = 3, AMT_SESSION_ERROR = 0xFF };

#define AMT_REDIR_URI "/RedirectionService"
#define AMT_ELEMENT_MAX 255
/* 8 elements of at most 255 bytes each + their length bytes */
#define AMT_AUTH_DATA_MAX (8 * (AMT_ELEMENT_MAX + 1))
#define AMT_AUTH_MSG_MAX (9 + AMT_AUTH_DATA_MAX)
#define AMT_SOL_CHUNK 4096 /* bytes of user input per 0x28 message */
#define AMT_HEARTBEAT_MS 2000

/* Outcome of one step of either machine. */
typedef enum {
    AMT_R_OK = 0,  /* progressed (consumed input and/or produced output) */
    AMT_R_MORE,    /* need more input, or the destination is full: nothing done */
    AMT_R_FAIL,    /* the session cannot go on: see fail_code / fail_reason */
    AMT_R_DONE,    /* the AMT session ended cleanly */
    AMT_R_BUSY     /* AMT answered the session start with BUSY and the caller asked to
                      hold that (hold_busy): nothing was passed on; connect again and
                      call amt_client_restart / amt_icpt_restart */
} amt_result;

/* ---- codec ------------------------------------------------------------------ */

/* Complete length of the console->AMT (from_amt = 0) or AMT->console (from_amt = 1)
 * message starting at buf (len bytes available): > 0 the length (may exceed len),
 * 0 if the header is too short to tell, -1 unknown type or a length over the
 * protocol bounds. SOL data (0x28/0x2A) counts the full payload. */
long amt_msg_len(int from_amt, const uint8_t *buf, size_t len);

/* Splits the data of an auth message into length-prefixed elements. Returns the
 * number of elements (at most max) or -1 if the data is not a whole number of
 * elements or has more than max. */
int amt_elements(const uint8_t *data, size_t len, amt_str *el, int max);

size_t amt_build_start(uint8_t out[8], amt_mode mode);
size_t amt_build_auth_query(uint8_t out[9]);
/* Builders below return 0 if an element is over 255 bytes or cap is too small. */
size_t amt_build_auth_plain(uint8_t *out, size_t cap, amt_str user, amt_str password);
size_t amt_build_digest_initial(uint8_t *out, size_t cap, int type, amt_str user);
/* type 4: 8 elements; type 3: 7 elements (no qop). */
size_t amt_build_digest_final(uint8_t *out, size_t cap, int type, amt_str user, amt_str realm,
                              amt_str nonce, amt_str cnonce, amt_str nc, amt_str response,
                              amt_str qop);
size_t amt_build_sol_start(uint8_t out[24], uint32_t seq, uint16_t max_tx, uint16_t tx_timeout,
                           uint16_t tx_overflow, uint16_t rx_timeout, uint16_t rx_flush,
                           uint16_t heartbeat);
size_t amt_build_sol_data_header(uint8_t out[10], uint32_t seq, uint16_t n);
size_t amt_build_seq8(uint8_t out[8], uint8_t type, uint32_t seq); /* 0x22, 0x2B, 0x24, 0x25 */
size_t amt_build_end(uint8_t out[4]);
size_t amt_build_kvm_start(uint8_t out[8]);

/* ---- shared -------------------------------------------------------------------- */

typedef struct amt_creds {
    amt_str user, password; /* borrowed; the password never leaves this module except
                               as a digest, or in a type-1 login when plain_ok */
    int plain_ok;           /* the plain-mode client may send a type-1 login (password in
                               clear): set only when the AMT connection is TLS with a
                               verified peer (CA or pin), so that a device, or whoever
                               sits on a plain-TCP or unverified path, that offers only
                               type 1 cannot downgrade the relay into revealing the
                               password. A p=2 client can never ask for type 1. */
} amt_creds;

typedef struct amt_auth_state {
    char realm[AMT_ELEMENT_MAX + 1], nonce[AMT_ELEMENT_MAX + 1], qop[AMT_ELEMENT_MAX + 1];
    size_t realm_n, nonce_n, qop_n;
    int have_challenge;
    unsigned nc;
    char cnonce[33];
} amt_auth_state;

/* ---- plain mode: the relay is the redirection client (10.1) ------------------- */

enum {
    AMT_C_START = 0, AMT_C_QUERY, AMT_C_CHALLENGE, AMT_C_AUTH, AMT_C_SOL_START, AMT_C_SOL_RUN,
    AMT_C_SOL_ENDING, AMT_C_KVM_START, AMT_C_KVM_RUN, AMT_C_DONE, AMT_C_FAILED
};

#define AMT_CLIENT_OUT_MAX (AMT_AUTH_MSG_MAX + 64)

typedef struct amt_client {
    amt_mode mode;
    amt_creds creds;
    int state;
    int auth_type;
    uint32_t seq;              /* console sequence number (MC style: one counter) */
    uint32_t sol_remaining;    /* payload bytes of the current 0x2A still to deliver */
    uint64_t next_heartbeat_ms;
    amt_auth_state auth;
    uint8_t out[AMT_CLIENT_OUT_MAX]; /* protocol bytes waiting to go to AMT */
    size_t out_len;
    uint16_t fail_code;        /* WebSocket close code for the client */
    const char *fail_reason;   /* static text, no secrets */
    int hold_busy;             /* set by the caller: BUSY at the start is AMT_R_BUSY */
} amt_client;

void amt_client_init(amt_client *c, amt_mode mode, amt_creds creds);
/* After AMT_R_BUSY, on the new connection: starts over (the session start is queued
 * again), keeping the credentials and hold_busy. */
void amt_client_restart(amt_client *c);

/* Consumes AMT bytes: at most one protocol message, or one slice of raw payload.
 * *user and *user_len receive a slice of `in` to pass on to the WebSocket client
 * (terminal bytes or RFB), at most user_room bytes. Protocol replies are queued in
 * c->out. Returns consumed bytes; *res says what happened. */
size_t amt_client_from_amt(amt_client *c, const uint8_t *in, size_t len, size_t user_room,
                           const uint8_t **user, size_t *user_len, amt_result *res);

/* Wraps user input (terminal bytes / RFB) for AMT into out (cap bytes). Returns
 * consumed input bytes (0 while the session is not running yet). */
size_t amt_client_from_user(amt_client *c, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len);

/* Timer: queues a SOL heartbeat when due (AMT closes after RxTimeout otherwise).
 * Returns ms until the next tick is wanted (or a large value). */
unsigned amt_client_tick(amt_client *c, uint64_t now_ms);

/* The WebSocket client left: queue the polite ending (0x22, then 0x12 after
 * 0x23; 0x12 before the hand-off). Returns 1 if a reply is awaited (wait briefly
 * for AMT_R_DONE), 0 if the TCP connection can simply be closed once c->out is sent. */
int amt_client_stop(amt_client *c);

/* Moves up to cap queued bytes of c->out to dst. Returns bytes moved. */
size_t amt_client_take_out(amt_client *c, uint8_t *dst, size_t cap);

int amt_client_running(const amt_client *c);

/* ---- p=2 passthrough: the browser is the client; the relay swaps in the stored
 * credentials at the digest step (8.3) and then copies bytes ---------------------- */

typedef struct amt_icpt {
    amt_mode mode;
    amt_creds creds;
    int started;        /* 0x10 with the right tag went through */
    int sent_final;     /* a final digest / login has been sent to AMT */
    int direct;         /* authenticated: copy bytes both ways */
    amt_auth_state auth;
    uint16_t fail_code;
    const char *fail_reason;
    int hold_busy;      /* set by the caller: BUSY at the start is AMT_R_BUSY, provided
                           the client has sent nothing after its session start */
    int client_msgs;    /* messages passed to AMT before authentication */
    uint8_t start_msg[8]; /* the client's session start, to send again after BUSY */
} amt_icpt;

void amt_icpt_init(amt_icpt *ic, amt_mode mode, amt_creds creds);
/* After AMT_R_BUSY, on the new connection: writes the client's session start again
 * to out (cap >= 8) and returns its length; the browser never saw the BUSY. */
size_t amt_icpt_restart(amt_icpt *ic, uint8_t *out, size_t cap);

/* Client -> AMT. Before authentication, exactly one whole message is examined and
 * written (possibly rewritten) to out (cap must be >= AMT_AUTH_MSG_MAX to always
 * progress); afterwards bytes are copied. Returns consumed bytes. */
size_t amt_icpt_from_client(amt_icpt *ic, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len, amt_result *res);

/* AMT -> client. Returns consumed bytes; *fwd and *fwd_len are the slice to send on
 * (at most room bytes). AMT_R_FAIL may come with a slice to forward first (so a
 * protocol-aware client sees AMT's status) before the close. */
size_t amt_icpt_from_amt(amt_icpt *ic, const uint8_t *in, size_t len, size_t room,
                         const uint8_t **fwd, size_t *fwd_len, amt_result *res);

/* Maps a 0x11 status to a WebSocket close code and reason. */
void amt_session_status_reason(uint8_t status, uint16_t *code, const char **reason);

#endif
