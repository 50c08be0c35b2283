/* amt_redir: AMT redirection codec, plain-mode client, p=2 interceptor.
 * See amt_redir.h; section numbers refer to docs/redirection-protocol.md. */
#include "amt_redir.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}

/* ---- codec ---------------------------------------------------------------------- */

long amt_msg_len(int from_amt, const uint8_t *buf, size_t len)
{
    if (len < 1)
        return 0;
    switch (buf[0]) {
    case AMT_AUTH:
    case AMT_AUTH_REPLY:
        if ((buf[0] == AMT_AUTH_REPLY) != (from_amt != 0))
            return -1;
        if (len < 9)
            return 0;
        return le32(buf + 5) > AMT_AUTH_DATA_MAX ? -1 : 9 + (long)le32(buf + 5);
    case AMT_SOL_HEARTBEAT: case AMT_SOL_PING: case AMT_SOL_PONG:
        return 8;
    }
    if (from_amt) {
        switch (buf[0]) {
        case AMT_START_SESSION_REPLY: return len < 13 ? 0 : 13 + (long)buf[12];
        case AMT_SOL_START_REPLY:     return 23;
        case AMT_SOL_END_REPLY:       return 8;
        case AMT_SOL_CONTROLS:        return 10;
        case AMT_SOL_DATA_FROM_HOST:  return len < 10 ? 0 : 10 + (long)le16(buf + 8);
        case AMT_KVM_START_REPLY:     return 8;
        }
    } else {
        switch (buf[0]) {
        case AMT_START_SESSION:    return 8;
        case AMT_END_SESSION:      return 4;
        case AMT_SOL_START:        return 24;
        case AMT_SOL_END:          return 8;
        case AMT_SOL_OPTIONS:      return 14;
        case AMT_SOL_DATA_TO_HOST: return len < 10 ? 0 : 10 + (long)le16(buf + 8);
        case AMT_KVM_START:        return 8;
        }
    }
    return -1;
}

int amt_elements(const uint8_t *data, size_t len, amt_str *el, int max)
{
    size_t pos = 0;
    int n = 0;
    while (pos < len) {
        size_t l = data[pos++];
        if (n >= max || l > len - pos)
            return -1;
        el[n].p = (const char *)data + pos;
        el[n].n = l;
        n++;
        pos += l;
    }
    return n;
}

/* Appends element(s) to out at *pos; 0 on overflow or an element over 255 bytes. */
static int put_el(uint8_t *out, size_t cap, size_t *pos, amt_str s)
{
    if (s.n > AMT_ELEMENT_MAX || *pos + 1 + s.n > cap)
        return 0;
    out[(*pos)++] = (uint8_t)s.n;
    if (s.n)
        memcpy(out + *pos, s.p, s.n);
    *pos += s.n;
    return 1;
}

static size_t auth_msg(uint8_t *out, size_t cap, int type, const amt_str *els, int n)
{
    size_t pos = 9;
    if (cap < 9)
        return 0;
    for (int i = 0; i < n; i++)
        if (!put_el(out, cap, &pos, els[i]))
            return 0;
    out[0] = AMT_AUTH;
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)type;
    put32(out + 5, (uint32_t)(pos - 9));
    return pos;
}

size_t amt_build_start(uint8_t out[8], amt_mode mode)
{
    /* 3.1: byte 1 is 0x01 for KVM (every KVM client sends it), tag "KVMR" / "SOL " */
    static const uint8_t sol[8] = { 0x10, 0, 0, 0, 'S', 'O', 'L', ' ' };
    static const uint8_t kvm[8] = { 0x10, 1, 0, 0, 'K', 'V', 'M', 'R' };
    memcpy(out, mode == AMT_MODE_KVM ? kvm : sol, 8);
    return 8;
}

size_t amt_build_auth_query(uint8_t out[9])
{
    memset(out, 0, 9);
    out[0] = AMT_AUTH;
    return 9;
}

size_t amt_build_auth_plain(uint8_t *out, size_t cap, amt_str user, amt_str password)
{
    amt_str e[2] = { user, password };
    return auth_msg(out, cap, AMT_AUTH_PLAIN, e, 2);
}

size_t amt_build_digest_initial(uint8_t *out, size_t cap, int type, amt_str user)
{
    /* 4.4 step 1: user, realm="", nonce="", uri, cnonce="", nc="", response="" [, qop=""] */
    amt_str z = { "", 0 };
    amt_str e[8] = { user, z, z, amt_s(AMT_REDIR_URI), z, z, z, z };
    return auth_msg(out, cap, type, e, type == AMT_AUTH_DIGEST2069 ? 7 : 8);
}

size_t amt_build_digest_final(uint8_t *out, size_t cap, int type, amt_str user, amt_str realm,
                              amt_str nonce, amt_str cnonce, amt_str nc, amt_str response,
                              amt_str qop)
{
    amt_str e[8] = { user, realm, nonce, amt_s(AMT_REDIR_URI), cnonce, nc, response, qop };
    return auth_msg(out, cap, type, e, type == AMT_AUTH_DIGEST2069 ? 7 : 8);
}

size_t amt_build_sol_start(uint8_t out[24], uint32_t seq, uint16_t max_tx, uint16_t tx_timeout,
                           uint16_t tx_overflow, uint16_t rx_timeout, uint16_t rx_flush,
                           uint16_t heartbeat)
{
    memset(out, 0, 24);
    out[0] = AMT_SOL_START;
    put32(out + 4, seq);
    put16(out + 8, max_tx);
    put16(out + 10, tx_timeout);
    put16(out + 12, tx_overflow);
    put16(out + 14, rx_timeout);
    put16(out + 16, rx_flush);
    put16(out + 18, heartbeat);
    return 24;
}

size_t amt_build_sol_data_header(uint8_t out[10], uint32_t seq, uint16_t n)
{
    out[0] = AMT_SOL_DATA_TO_HOST;
    out[1] = out[2] = out[3] = 0;
    put32(out + 4, seq);
    put16(out + 8, n);
    return 10;
}

size_t amt_build_seq8(uint8_t out[8], uint8_t type, uint32_t seq)
{
    out[0] = type;
    out[1] = out[2] = out[3] = 0;
    put32(out + 4, seq);
    return 8;
}

size_t amt_build_end(uint8_t out[4])
{
    out[0] = AMT_END_SESSION;
    out[1] = out[2] = out[3] = 0;
    return 4;
}

size_t amt_build_kvm_start(uint8_t out[8])
{
    memset(out, 0, 8);
    out[0] = AMT_KVM_START;
    return 8;
}

void amt_session_status_reason(uint8_t status, uint16_t *code, const char **reason)
{
    *code = 1011;
    switch (status) {
    case AMT_SESSION_BUSY:
        *code = 1013; /* Try Again Later: AMT allows one session per kind */
        *reason = "AMT busy: another session of this kind is active";
        break;
    case AMT_SESSION_TYPE_UNKNOWN:
        *reason = "AMT does not know this session type";
        break;
    case AMT_SESSION_UNSUPPORTED:
        *reason = "AMT redirection for this mode is disabled or unsupported";
        break;
    default:
        *reason = "AMT refused the redirection session";
        break;
    }
}

/* ---- shared digest step ------------------------------------------------------------- */

/* Records realm/nonce/qop from a challenge (status 1, type 3/4). 0 on success. */
static int take_challenge(amt_auth_state *a, int type, const uint8_t *data, size_t len)
{
    amt_str el[3];
    int n = amt_elements(data, len, el, 3);
    if (n < 2 || (type == AMT_AUTH_DIGEST && n < 3))
        return -1;
    memcpy(a->realm, el[0].p, el[0].n);
    a->realm_n = el[0].n;
    memcpy(a->nonce, el[1].p, el[1].n);
    a->nonce_n = el[1].n;
    a->qop_n = n > 2 ? el[2].n : 0;
    if (a->qop_n)
        memcpy(a->qop, el[2].p, a->qop_n);
    /* RFC 2617 with qop=auth is the only variant clients implement (4.4) */
    if (type == AMT_AUTH_DIGEST && !(a->qop_n == 4 && memcmp(a->qop, "auth", 4) == 0))
        return -1;
    a->have_challenge = 1;
    return 0;
}

/* Builds the final digest message from the stored credentials. */
static size_t digest_final(amt_auth_state *a, const amt_creds *cr, int type, uint8_t *out,
                           size_t cap)
{
    char resp[AMT_DIGEST_HEX + 1], nc[16];
    amt_str realm = { a->realm, a->realm_n }, nonce = { a->nonce, a->nonce_n };
    amt_str qop = { a->qop, a->qop_n };
    size_t n;
    int rc;

    if (!a->cnonce[0] && amt_digest_cnonce(a->cnonce, 32) != 0)
        return 0;
    snprintf(nc, sizeof(nc), "%08x", ++a->nc);
    if (type == AMT_AUTH_DIGEST2069)
        rc = amt_digest_rfc2069(resp, cr->user, realm, cr->password, nonce, amt_s(AMT_REDIR_URI));
    else
        rc = amt_digest_rfc2617(resp, cr->user, realm, cr->password, nonce, amt_s(nc),
                                amt_s(a->cnonce), qop, amt_s(AMT_REDIR_URI));
    if (rc != 0)
        return 0;
    n = amt_build_digest_final(out, cap, type, cr->user, realm, nonce, amt_s(a->cnonce),
                               amt_s(nc), amt_s(resp), qop);
    return n;
}

/* ---- plain-mode client ------------------------------------------------------------ */

/* 0 when the message was queued whole; -1 when it does not fit. Callers only queue
 * while the previous handshake step has been sent, and heartbeats check room first, so
 * -1 means a broken invariant: the session fails (queue_or_fail) rather than send AMT
 * a protocol stream with a message missing. */
static int queue(amt_client *c, const uint8_t *p, size_t n)
{
    if (n > sizeof(c->out) - c->out_len)
        return -1;
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static size_t client_fail(amt_client *c, amt_result *res, uint16_t code, const char *why)
{
    c->state = AMT_C_FAILED;
    c->fail_code = code;
    c->fail_reason = why;
    *res = AMT_R_FAIL;
    return 0;
}

/* queue() inside amt_client_feed: a message that does not fit fails the session. The
 * message buffer is wiped either way, since an authentication message in it may hold
 * the device password (type 1) or digest material. Returns 0 or client_fail's 0 with
 * *failed set. */
static int queue_or_fail(amt_client *c, amt_result *res, uint8_t *msg, size_t n)
{
    int rc = queue(c, msg, n);
    OPENSSL_cleanse(msg, n);
    if (rc != 0) {
        client_fail(c, res, 1011, "relay protocol buffer overflow (a message to AMT did not fit)");
        return -1;
    }
    return 0;
}

void amt_client_init(amt_client *c, amt_mode mode, amt_creds creds)
{
    uint8_t m[8];
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->creds = creds;
    c->state = AMT_C_START;
    (void)queue(c, m, amt_build_start(m, mode)); /* the queue is empty: it fits */
}

void amt_client_restart(amt_client *c)
{
    int hold = c->hold_busy;
    amt_client_init(c, c->mode, c->creds);
    c->hold_busy = hold;
}

int amt_client_running(const amt_client *c)
{
    return c->state == AMT_C_SOL_RUN || c->state == AMT_C_KVM_RUN;
}

enum { PICK_NONE = -1, PICK_PLAIN_REFUSED = -2 };

/* Digest first; type 1 only where the password may travel in clear (plain_ok).
 * Returns PICK_PLAIN_REFUSED when type 1 is all AMT offers and it is not allowed. */
static int pick_method(const uint8_t *list, size_t n, int plain_ok)
{
    int have[5] = { 0 };
    for (size_t i = 0; i < n; i++)
        if (list[i] < 5)
            have[list[i]] = 1;
    if (have[AMT_AUTH_DIGEST])
        return AMT_AUTH_DIGEST;
    if (have[AMT_AUTH_DIGEST2069])
        return AMT_AUTH_DIGEST2069;
    if (have[AMT_AUTH_PLAIN])
        return plain_ok ? AMT_AUTH_PLAIN : PICK_PLAIN_REFUSED;
    return PICK_NONE;
}

static size_t client_msg(amt_client *c, const uint8_t *m, size_t l, amt_result *res)
{
    uint8_t buf[AMT_CLIENT_OUT_MAX];
    size_t n;
    uint8_t t = m[0];

    *res = AMT_R_OK;
    switch (c->state) {
    case AMT_C_START:
        if (t != AMT_START_SESSION_REPLY)
            break;
        if (m[1] == AMT_SESSION_BUSY && c->hold_busy) {
            *res = AMT_R_BUSY;
            return l;
        }
        if (m[1] != AMT_SESSION_OK) {
            uint16_t code;
            const char *why;
            amt_session_status_reason(m[1], &code, &why);
            return client_fail(c, res, code, why);
        }
        if (queue_or_fail(c, res, buf, amt_build_auth_query(buf)))
            return 0;
        c->state = AMT_C_QUERY;
        return l;
    case AMT_C_QUERY:
        if (t != AMT_AUTH_REPLY || m[4] != AMT_AUTH_QUERY)
            break;
        if (m[1] != 0)
            return client_fail(c, res, 1011, "AMT refused the authentication query");
        c->auth_type = pick_method(m + 9, l - 9, c->creds.plain_ok);
        if (c->auth_type == PICK_PLAIN_REFUSED)
            return client_fail(c, res, 1011, "AMT offers only plain-text authentication, which the "
                               "relay uses only over TLS with a verified certificate");
        if (c->auth_type < 0)
            return client_fail(c, res, 1011, "AMT offers no authentication method the relay supports");
        if (c->auth_type == AMT_AUTH_PLAIN) {
            n = amt_build_auth_plain(buf, sizeof(buf), c->creds.user, c->creds.password);
            c->state = AMT_C_AUTH;
        } else {
            n = amt_build_digest_initial(buf, sizeof(buf), c->auth_type, c->creds.user);
            c->state = AMT_C_CHALLENGE;
        }
        if (!n)
            return client_fail(c, res, 1011, "device credentials too long for the protocol");
        if (queue_or_fail(c, res, buf, n))
            return 0;
        return l;
    case AMT_C_CHALLENGE:
        if (t != AMT_AUTH_REPLY || m[4] != c->auth_type)
            break;
        if (m[1] != 1 || take_challenge(&c->auth, c->auth_type, m + 9, l - 9) != 0)
            return client_fail(c, res, 1011, "AMT sent an unusable digest challenge");
        n = digest_final(&c->auth, &c->creds, c->auth_type, buf, sizeof(buf));
        if (!n)
            return client_fail(c, res, 1011, "could not compute the digest response");
        if (queue_or_fail(c, res, buf, n))
            return 0;
        c->state = AMT_C_AUTH;
        return l;
    case AMT_C_AUTH:
        if (t != AMT_AUTH_REPLY)
            break;
        if (m[1] != 0 || m[4] == AMT_AUTH_QUERY)
            return client_fail(c, res, 1011, "AMT authentication failed (check the device credentials)");
        if (c->mode == AMT_MODE_SOL) {
            /* MeshCommander's values (5.1), but ask AMT for heartbeats every 5 s so a
               silent device is noticed by the relay's idle timer, not only by TCP */
            if (queue_or_fail(c, res, buf, amt_build_sol_start(buf, ++c->seq, 10000, 100, 0,
                                                               10000, 100, 5000)))
                return 0;
            c->state = AMT_C_SOL_START;
        } else {
            if (queue_or_fail(c, res, buf, amt_build_kvm_start(buf)))
                return 0;
            c->state = AMT_C_KVM_START;
        }
        return l;
    case AMT_C_SOL_START:
        if (t != AMT_SOL_START_REPLY)
            break;
        if (m[1] != 0)
            return client_fail(c, res, 1011, "AMT refused to start SOL");
        c->state = AMT_C_SOL_RUN;
        return l;
    case AMT_C_SOL_RUN:
    case AMT_C_SOL_ENDING:
        switch (t) {
        case AMT_SOL_CONTROLS:   /* modem lines / power state: nothing to do */
        case AMT_SOL_HEARTBEAT:  /* liveness only; never echo (two echoers loop, 5.6) */
        case AMT_SOL_PING:
        case AMT_SOL_PONG:
            return l;
        case AMT_SOL_END_REPLY:
            (void)queue(c, buf, amt_build_end(buf)); /* ending anyway: a full queue is moot */
            c->state = AMT_C_DONE;
            *res = AMT_R_DONE;
            return l;
        }
        break;
    case AMT_C_KVM_START:
        if (t != AMT_KVM_START_REPLY)
            break;
        c->state = AMT_C_KVM_RUN; /* from here on: raw RFB both ways (6.1) */
        return l;
    }
    return client_fail(c, res, 1011, "unexpected message from AMT");
}

size_t amt_client_from_amt(amt_client *c, const uint8_t *in, size_t len, size_t user_room,
                           const uint8_t **user, size_t *user_len, amt_result *res)
{
    long l;
    *user = NULL;
    *user_len = 0;
    *res = AMT_R_MORE;
    if (c->state == AMT_C_FAILED) {
        *res = AMT_R_FAIL;
        return 0;
    }
    if (c->state == AMT_C_DONE) {
        *res = AMT_R_DONE;
        return 0;
    }
    if (c->state == AMT_C_KVM_RUN || c->sol_remaining) {
        size_t n = len < user_room ? len : user_room;
        if (c->sol_remaining && n > c->sol_remaining)
            n = c->sol_remaining;
        if (!n)
            return 0;
        if (c->sol_remaining)
            c->sol_remaining -= (uint32_t)n;
        *user = in;
        *user_len = n;
        *res = AMT_R_OK;
        return n;
    }
    l = amt_msg_len(1, in, len);
    if (l < 0)
        return client_fail(c, res, 1011, "unexpected message from AMT");
    if ((c->state == AMT_C_SOL_RUN || c->state == AMT_C_SOL_ENDING) &&
        len >= 10 && in[0] == AMT_SOL_DATA_FROM_HOST) {
        /* stream the payload: only the 10-byte header has to be here */
        c->sol_remaining = le16(in + 8);
        *res = AMT_R_OK;
        return 10;
    }
    if (l == 0 || len < (size_t)l)
        return 0;
    return client_msg(c, in, (size_t)l, res);
}

size_t amt_client_from_user(amt_client *c, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    size_t n;
    *out_len = 0;
    if (c->state == AMT_C_KVM_RUN) {
        n = len < cap ? len : cap;
        memcpy(out, in, n);
        *out_len = n;
        return n;
    }
    if (c->state != AMT_C_SOL_RUN || cap <= 10 || len == 0)
        return 0;
    n = len;
    if (n > cap - 10)
        n = cap - 10;
    if (n > AMT_SOL_CHUNK)
        n = AMT_SOL_CHUNK;
    amt_build_sol_data_header(out, ++c->seq, (uint16_t)n);
    memcpy(out + 10, in, n);
    *out_len = 10 + n;
    return n;
}

unsigned amt_client_tick(amt_client *c, uint64_t now_ms)
{
    uint8_t hb[8];
    if (c->state != AMT_C_SOL_RUN)
        return 60000;
    if (!c->next_heartbeat_ms)
        c->next_heartbeat_ms = now_ms + AMT_HEARTBEAT_MS;
    if (now_ms >= c->next_heartbeat_ms && sizeof(c->out) - c->out_len >= 8) {
        (void)queue(c, hb, amt_build_seq8(hb, AMT_SOL_HEARTBEAT, ++c->seq)); /* room checked */
        c->next_heartbeat_ms = now_ms + AMT_HEARTBEAT_MS;
    }
    return c->next_heartbeat_ms > now_ms ? (unsigned)(c->next_heartbeat_ms - now_ms) : 1;
}

int amt_client_stop(amt_client *c)
{
    uint8_t m[8];
    switch (c->state) {
    case AMT_C_SOL_RUN:
        (void)queue(c, m, amt_build_seq8(m, AMT_SOL_END, ++c->seq)); /* best effort: ending */
        c->state = AMT_C_SOL_ENDING;
        return 1;
    case AMT_C_SOL_ENDING:
        return 1;
    case AMT_C_KVM_RUN:          /* RFB has no goodbye; closing TCP ends the session (6.1) */
    case AMT_C_DONE:
    case AMT_C_FAILED:
        c->state = c->state == AMT_C_FAILED ? AMT_C_FAILED : AMT_C_DONE;
        return 0;
    default:                     /* mid-handshake: end the session manager politely */
        (void)queue(c, m, amt_build_end(m)); /* best effort: ending */
        c->state = AMT_C_DONE;
        return 0;
    }
}

size_t amt_client_take_out(amt_client *c, uint8_t *dst, size_t cap)
{
    /* all or nothing, so that whole protocol messages are never interleaved with
       user data the caller appends afterwards */
    size_t n = c->out_len;
    if (n == 0 || n > cap)
        return 0;
    memcpy(dst, c->out, n);
    OPENSSL_cleanse(c->out, n); /* may have held a type-1 login (the password) */
    c->out_len = 0;
    return n;
}

/* ---- p=2 interceptor -------------------------------------------------------------- */

void amt_icpt_init(amt_icpt *ic, amt_mode mode, amt_creds creds)
{
    memset(ic, 0, sizeof(*ic));
    ic->mode = mode;
    ic->creds = creds;
}

size_t amt_icpt_restart(amt_icpt *ic, uint8_t *out, size_t cap)
{
    amt_icpt again;
    if (!ic->started || cap < sizeof(ic->start_msg))
        return 0;
    amt_icpt_init(&again, ic->mode, ic->creds);
    again.hold_busy = ic->hold_busy;
    again.started = 1;
    again.client_msgs = 1;
    memcpy(again.start_msg, ic->start_msg, sizeof(again.start_msg));
    *ic = again;
    memcpy(out, ic->start_msg, sizeof(ic->start_msg));
    return sizeof(ic->start_msg);
}

static size_t icpt_fail(amt_icpt *ic, amt_result *res, uint16_t code, const char *why)
{
    if (!ic->fail_reason) {
        ic->fail_code = code;
        ic->fail_reason = why;
    }
    *res = AMT_R_FAIL;
    return 0;
}

size_t amt_icpt_from_client(amt_icpt *ic, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len, amt_result *res)
{
    long l;
    size_t n = 0;
    *out_len = 0;
    *res = AMT_R_MORE;
    if (ic->fail_reason)
        return icpt_fail(ic, res, 0, NULL);
    if (ic->direct) {
        n = len < cap ? len : cap;
        if (!n)
            return 0;
        memcpy(out, in, n);
        *out_len = n;
        *res = AMT_R_OK;
        return n;
    }
    l = amt_msg_len(0, in, len);
    if (l < 0)
        return icpt_fail(ic, res, 1002, "unexpected message from the client before authentication");
    if (l == 0 || len < (size_t)l || cap < AMT_AUTH_MSG_MAX)
        return 0;
    switch (in[0]) {
    case AMT_START_SESSION: {
        uint8_t want[8];
        amt_build_start(want, ic->mode);
        /* the tag decides what AMT opens: it must be the mode the token was issued for */
        if (ic->started || memcmp(in + 4, want + 4, 4) != 0)
            return icpt_fail(ic, res, 1008, "session type does not match the token's mode");
        memcpy(out, in, 8);
        memcpy(ic->start_msg, in, 8);
        n = 8;
        ic->started = 1;
        break;
    }
    case AMT_END_SESSION:
        memcpy(out, in, 4);
        n = 4;
        break;
    case AMT_AUTH:
        if (!ic->started)
            return icpt_fail(ic, res, 1002, "authentication before the session start");
        switch (in[4]) {
        case AMT_AUTH_QUERY:
            n = (size_t)l;
            memcpy(out, in, n);
            break;
        case AMT_AUTH_DIGEST:
        case AMT_AUTH_DIGEST2069:
            /* whatever the browser computed (from empty credentials) is discarded */
            if (ic->auth.have_challenge) {
                n = digest_final(&ic->auth, &ic->creds, in[4], out, cap);
                ic->sent_final = 1;
            } else {
                n = amt_build_digest_initial(out, cap, in[4], ic->creds.user);
            }
            break;
        case AMT_AUTH_PLAIN:
            /* never on a browser's request: the relay alone decides when the stored
               password may travel in clear (its own plain-mode client, verified TLS) */
            return icpt_fail(ic, res, 1008, "plain-text authentication is not available "
                             "through the relay: use digest");
        default:
            return icpt_fail(ic, res, 1008, "authentication type not supported through the relay");
        }
        if (!n)
            return icpt_fail(ic, res, 1011, "device credentials too long for the protocol");
        break;
    default:
        return icpt_fail(ic, res, 1002, "unexpected message from the client before authentication");
    }
    ic->client_msgs++;
    *out_len = n;
    *res = AMT_R_OK;
    return (size_t)l;
}

size_t amt_icpt_from_amt(amt_icpt *ic, const uint8_t *in, size_t len, size_t room,
                         const uint8_t **fwd, size_t *fwd_len, amt_result *res)
{
    long l;
    *fwd = NULL;
    *fwd_len = 0;
    *res = AMT_R_MORE;
    if (ic->fail_reason)
        return icpt_fail(ic, res, 0, NULL);
    if (ic->direct) {
        size_t n = len < room ? len : room;
        if (!n)
            return 0;
        *fwd = in;
        *fwd_len = n;
        *res = AMT_R_OK;
        return n;
    }
    l = amt_msg_len(1, in, len);
    if (l < 0)
        return icpt_fail(ic, res, 1011, "unexpected message from AMT before authentication");
    if (l == 0 || len < (size_t)l || room < (size_t)l)
        return 0;
    *fwd = in;
    *fwd_len = (size_t)l;
    *res = AMT_R_OK;
    switch (in[0]) {
    case AMT_START_SESSION_REPLY:
        /* held only while AMT has nothing of the browser's but the start, which
           restart can replay; a client that ran ahead sees the BUSY itself */
        if (in[1] == AMT_SESSION_BUSY && ic->hold_busy && ic->started && ic->client_msgs == 1) {
            *fwd = NULL;
            *fwd_len = 0;
            *res = AMT_R_BUSY;
            break;
        }
        if (in[1] != AMT_SESSION_OK) {
            uint16_t code;
            const char *why;
            amt_session_status_reason(in[1], &code, &why);
            icpt_fail(ic, res, code, why);
        }
        break;
    case AMT_AUTH_REPLY:
        if (in[4] == AMT_AUTH_QUERY)
            break;
        if (in[1] == 0) {
            ic->direct = 1; /* 8.3: status 0 and type != 0 = authenticated */
        } else if (in[1] == 1 && !ic->sent_final &&
                   (in[4] == AMT_AUTH_DIGEST || in[4] == AMT_AUTH_DIGEST2069)) {
            if (take_challenge(&ic->auth, in[4], in + 9, (size_t)l - 9) != 0)
                icpt_fail(ic, res, 1011, "AMT sent an unusable digest challenge");
        } else {
            icpt_fail(ic, res, 1011, "AMT authentication failed (check the device credentials)");
        }
        break;
    default:
        *fwd = NULL;
        *fwd_len = 0;
        return icpt_fail(ic, res, 1011, "unexpected message from AMT before authentication");
    }
    return (size_t)l;
}
