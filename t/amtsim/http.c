/* WS-Man HTTP/1.1 server side: POST /wsman with
 * Content-Length or chunked bodies, RFC 2617 digest exactly as AMT does it
 * (MD5, qop=auth, realm "Digest:<hex>", 401 closes the connection), chunked
 * SOAP replies, faults as HTTP 400 (connection closed), latency knob. */
#include "amtsim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_HEAD 16384
#define MAX_BODY (512 * 1024)
#define NONCE_LIFETIME 600.0 /* s; UNCONFIRMED, then 401 with stale="true" */
#define IDLE_MS 30000

struct hreq {
    char method[16], target[256];
    int minor;
    long clen;
    bool chunked, close;
    char auth[2048];
};

struct rbuf {
    char *p;
    size_t len, cap;
};

static int fill(struct conn *c, struct rbuf *b, int timeout_ms)
{
    if (b->len >= b->cap)
        return -1;
    long r = conn_read(c, b->p + b->len, b->cap - b->len, timeout_ms);
    if (r <= 0)
        return -1;
    b->len += (size_t)r;
    return 0;
}

static void consume(struct rbuf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

static int parse_head(char *h, struct hreq *q)
{
    memset(q, 0, sizeof *q);
    q->clen = -1;
    char *save = NULL, *line = strtok_r(h, "\r\n", &save);
    if (!line || sscanf(line, "%15s %255s HTTP/1.%d", q->method, q->target, &q->minor) != 3)
        return -1;
    q->close = q->minor == 0;
    while ((line = strtok_r(NULL, "\r\n", &save))) {
        char *colon = strchr(line, ':');
        if (!colon)
            return -1;
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!strcasecmp(line, "Content-Length")) {
            char *end;
            q->clen = strtol(v, &end, 10);
            if (*end || q->clen < 0)
                return -1;
        } else if (!strcasecmp(line, "Transfer-Encoding")) {
            if (strcasecmp(v, "chunked"))
                return -1;
            q->chunked = true;
        } else if (!strcasecmp(line, "Connection")) {
            q->close = !strcasecmp(v, "close") ? true : !strcasecmp(v, "keep-alive") ? false : q->close;
        } else if (!strcasecmp(line, "Authorization")) {
            snprintf(q->auth, sizeof q->auth, "%s", v);
        }
    }
    return 0;
}

/* Body into *body (malloc'd). */
static int read_body(struct conn *c, struct rbuf *b, const struct hreq *q, char **body, size_t *blen)
{
    struct sbuf s;
    sb_init(&s);
    if (q->chunked) {
        for (;;) {
            char *eol;
            while (!(eol = memchr(b->p, '\n', b->len)))
                if (fill(c, b, IDLE_MS))
                    goto fail;
            char *end;
            unsigned long n = strtoul(b->p, &end, 16);
            if (end == b->p || n > MAX_BODY || s.len + n > MAX_BODY)
                goto fail;
            consume(b, (size_t)(eol - b->p) + 1);
            while (b->len < n + 2)
                if (fill(c, b, IDLE_MS))
                    goto fail;
            if (n == 0) {
                /* no trailers expected: "0\r\n\r\n" */
                consume(b, b->len >= 2 && b->p[0] == '\r' ? 2 : 0);
                break;
            }
            sb_add(&s, b->p, n);
            if (b->p[n] != '\r' || b->p[n + 1] != '\n')
                goto fail;
            consume(b, n + 2);
        }
    } else {
        if (q->clen > MAX_BODY)
            goto fail;
        size_t n = q->clen > 0 ? (size_t)q->clen : 0;
        while (b->len < n)
            if (fill(c, b, IDLE_MS))
                goto fail;
        sb_add(&s, b->p, n);
        consume(b, n);
    }
    if (s.oom)
        goto fail;
    *body = s.p ? s.p : calloc(1, 1);
    *blen = s.len;
    return *body ? 0 : -1;
fail:
    sb_free(&s);
    return -1;
}

/* Digest header parameters: quoted or bare values, comma separated, any spaces. */
static bool dparam(const char *h, const char *key, char *out, size_t cap)
{
    const char *p = h;
    size_t kl = strlen(key);
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t klen = (size_t)(p - k);
        while (*p == ' ')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ')
            p++;
        const char *v;
        size_t vl;
        if (*p == '"') {
            v = ++p;
            while (*p && *p != '"')
                p++;
            vl = (size_t)(p - v);
            if (*p)
                p++;
        } else {
            v = p;
            while (*p && *p != ',' && *p != ' ')
                p++;
            vl = (size_t)(p - v);
        }
        if (klen == kl && !strncasecmp(k, key, kl)) {
            if (vl >= cap)
                return false;
            memcpy(out, v, vl);
            out[vl] = 0;
            return true;
        }
    }
    return false;
}

/* 1 ok, 0 no/wrong credentials, -1 stale nonce */
static int check_digest(struct device *d, const char *method, const char *auth)
{
    if (strncasecmp(auth, "Digest ", 7))
        return 0;
    const char *h = auth + 7;
    char user[64], realm[64], nonce[64], uri[256], resp[64], qop[16], nc[32], cnonce[128];
    if (!dparam(h, "username", user, sizeof user) || !dparam(h, "realm", realm, sizeof realm) ||
        !dparam(h, "nonce", nonce, sizeof nonce) || !dparam(h, "uri", uri, sizeof uri) ||
        !dparam(h, "response", resp, sizeof resp) || !dparam(h, "qop", qop, sizeof qop) ||
        !dparam(h, "nc", nc, sizeof nc) || !dparam(h, "cnonce", cnonce, sizeof cnonce))
        return 0;
    char alg[32];
    if (dparam(h, "algorithm", alg, sizeof alg) && strcasecmp(alg, "MD5"))
        return 0;
    if (strcmp(qop, "auth") || strcmp(realm, d->realm) || strlen(resp) != 32)
        return 0; /* an empty response (the 2017 bypass) fails here too */
    pthread_mutex_lock(&d->lock);
    int found = 0;
    for (int i = 0; i < 16; i++)
        if (d->nonces[i][0] && !strcmp(d->nonces[i], nonce))
            found = now_s() - d->nonce_time[i] > NONCE_LIFETIME ? -1 : 1;
    char pw[sizeof d->password], u[sizeof d->user];
    memcpy(pw, d->password, sizeof pw);
    memcpy(u, d->user, sizeof u);
    pthread_mutex_unlock(&d->lock);
    if (strcmp(user, u))
        return 0;
    char buf[1024], ha1[33], ha2[33], want[33];
    md5_hex(buf, (size_t)snprintf(buf, sizeof buf, "%s:%s:%s", user, realm, pw), ha1);
    md5_hex(buf, (size_t)snprintf(buf, sizeof buf, "%s:%s", method, uri), ha2);
    md5_hex(buf, (size_t)snprintf(buf, sizeof buf, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2), want);
    if (strcasecmp(resp, want))
        return 0;
    return found; /* nonce reuse across connections is fine (DMT caches it) */
}

static void http_date(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The Server header: AMT's product name and version, or (knob server-header=AMT) just
 * "AMT", as some AMT 11.x builds send. Caller must not hold d->lock. */
static void server_name(struct device *d, char *buf, size_t cap)
{
    pthread_mutex_lock(&d->lock);
    if (d->knobs.server_bare)
        snprintf(buf, cap, "AMT");
    else
        snprintf(buf, cap, "Intel(R) Active Management Technology %s", d->fw);
    pthread_mutex_unlock(&d->lock);
}

static int send_401(struct conn *c, bool stale)
{
    struct device *d = c->dev;
    char nonce[40], server[96];
    make_nonce(nonce);
    pthread_mutex_lock(&d->lock);
    snprintf(d->nonces[d->nonce_next], sizeof d->nonces[0], "%s", nonce);
    d->nonce_time[d->nonce_next] = now_s();
    d->nonce_next = (d->nonce_next + 1) % 16;
    d->wsman_401++;
    pthread_mutex_unlock(&d->lock);
    server_name(d, server, sizeof server);
    static const char body[] =
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" >\n<html><head><title>Intel&reg; Active "
        "Management Technology</title></head><body><h2 class=warn>Log on failed. Incorrect user name or password, "
        "or user account temporarily locked.</h2></body></html>\n";
    struct sbuf o;
    sb_init(&o);
    /* the comma-and-space after the realm, then bare commas, as captured from AMT;
       real 401s carry no Date header */
    sb_printf(&o, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\","
                  "stale=\"%s\",qop=\"auth\"\r\nContent-Type: text/html\r\nServer: %s\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
              d->realm, nonce, stale ? "true" : "false", server, sizeof body - 1, body);
    int rc = o.p ? conn_write(c, o.p, o.len) : -1;
    sb_free(&o);
    return rc;
}

static int send_simple(struct conn *c, int code, const char *reason)
{
    char m[512], server[96];
    server_name(c->dev, server, sizeof server);
    int n = snprintf(m, sizeof m, "HTTP/1.1 %d %s\r\nServer: %s\r\n"
                                  "Content-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                     code, reason, server);
    return conn_write(c, m, (size_t)n);
}

/* The bodiless 400 some firmware answers now and then (knob empty-400): no Content-Type,
 * Content-Length 0, connection kept. */
static int send_empty_400(struct conn *c)
{
    static const char m[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    return conn_write(c, m, sizeof m - 1);
}

/* SOAP reply, chunked like AMT: 4-digit upper-case hex sizes, ~0x2FA per chunk. */
int http_send_soap(struct conn *c, int status, const struct sbuf *body, bool close)
{
    char date[64], server[96];
    http_date(date, sizeof date);
    server_name(c->dev, server, sizeof server);
    struct sbuf o;
    sb_init(&o);
    /* faults sent with 500 (knob fault-http) carry the header as captured from
       16.1 firmware: no space before charset */
    sb_printf(&o, "HTTP/1.1 %s\r\nDate: %s\r\nServer: %s\r\n"
                  "X-Frame-Options: DENY\r\nContent-Type: application/soap+xml;%scharset=UTF-8\r\n"
                  "Transfer-Encoding: chunked\r\n%s\r\n",
              status == 200 ? "200 OK" : status == 500 ? "500 Internal Server Error" : "400 Bad Request", date,
              server, status == 500 ? "" : " ", close ? "Connection: close\r\n" : "");
    for (size_t off = 0; off < body->len; off += 0x2FA) {
        size_t n = body->len - off < 0x2FA ? body->len - off : 0x2FA;
        sb_printf(&o, "%04zX\r\n", n);
        sb_add(&o, body->p + off, n);
        sb_puts(&o, "\r\n");
    }
    sb_puts(&o, "0\r\n\r\n");
    int rc = o.oom || !o.p ? -1 : conn_write(c, o.p, o.len);
    sb_free(&o);
    return rc;
}

void http_serve(struct conn *c)
{
    struct device *d = c->dev;
    /* room for one header block plus the largest body (with chunk framing) */
    struct rbuf b = { malloc(MAX_HEAD + MAX_BODY + 64), 0, MAX_HEAD + MAX_BODY + 64 };
    if (!b.p)
        return;
    while (!g_stop) {
        char *end;
        while (!(end = b.len ? memmem(b.p, b.len, "\r\n\r\n", 4) : NULL)) {
            if (b.len >= MAX_HEAD) {
                send_simple(c, 400, "Bad Request");
                goto out;
            }
            if (fill(c, &b, IDLE_MS))
                goto out;
        }
        pthread_mutex_lock(&d->lock);
        bool down = d->knobs.down;
        int latency = d->knobs.wsman_latency_ms;
        pthread_mutex_unlock(&d->lock);
        if (down)
            goto out; /* unreachable: never answer */
        size_t hlen = (size_t)(end - b.p) + 4;
        if (hlen > MAX_HEAD) {
            send_simple(c, 400, "Bad Request");
            goto out;
        }
        char *head = malloc(hlen + 1);
        if (!head)
            goto out;
        memcpy(head, b.p, hlen);
        head[hlen] = 0;
        consume(&b, hlen);
        struct hreq q;
        int prc = parse_head(head, &q);
        free(head);
        if (prc) {
            send_simple(c, 400, "Bad Request");
            goto out;
        }
        char *body = NULL;
        size_t blen = 0;
        if (read_body(c, &b, &q, &body, &blen)) {
            send_simple(c, 400, "Bad Request");
            goto out;
        }
        if (strcmp(q.method, "POST") || strcmp(q.target, "/wsman")) {
            free(body);
            send_simple(c, strcmp(q.target, "/wsman") ? 404 : 405,
                        strcmp(q.target, "/wsman") ? "Not Found" : "Method Not Allowed");
            goto out;
        }
        int a = check_digest(d, q.method, q.auth);
        if (a != 1) {
            free(body);
            logmsg(d, "wsman: 401 (%s)", a < 0 ? "stale nonce" : q.auth[0] ? "bad credentials" : "no credentials");
            send_401(c, a < 0);
            goto out; /* AMT closes the connection after a 401 */
        }
        pthread_mutex_lock(&d->lock);
        if (d->power_state != 2)
            latency += d->knobs.latency_off_ms; /* firmware is slow while the host sleeps */
        int every = d->knobs.empty_400, fault_http = d->knobs.fault_http;
        bool empty = every > 0 && ++d->http_requests % (unsigned long)every == 0;
        pthread_mutex_unlock(&d->lock);
        if (latency > 0)
            sleep_ms(latency);
        if (empty) {
            free(body);
            logmsg(d, "wsman: empty 400 (knob empty-400)");
            if (send_empty_400(c))
                goto out;
            continue;
        }
        if (d->replay) {
            bool close = true;
            int rrc = replay_serve(c, body, blen, &close);
            free(body);
            pthread_mutex_lock(&d->lock);
            d->wsman_calls++;
            pthread_mutex_unlock(&d->lock);
            if (rrc || close || q.close)
                goto out;
            continue;
        }
        struct sbuf out;
        sb_init(&out);
        int status = 500;
        wsman_handle(d, body, blen, &out, &status);
        free(body);
        pthread_mutex_lock(&d->lock);
        d->wsman_calls++;
        pthread_mutex_unlock(&d->lock);
        if (status == 400)
            status = fault_http;
        bool close = q.close || status != 200;
        int rc = out.oom ? -1 : http_send_soap(c, status, &out, close);
        sb_free(&out);
        if (rc || close)
            goto out;
    }
out:
    free(b.p);
}
