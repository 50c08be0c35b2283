/* Replay mode (device key replay=DIR): after the normal digest check, each WS-Man request
 * whose (Action, ResourceURI) is listed in DIR/index is answered with that recorded AMT
 * reply, byte for byte, and anything else with a SOAP fault that says so.
 *
 * One substitution is made: the value of RelatesTo becomes the request's MessageID,
 * because a client checks that a reply relates to its own request. In a raw HTTP capture
 * (*.http) the size line of the chunk that holds RelatesTo is rewritten to match (same
 * width, upper-case hex as AMT writes it); every other byte, chunk boundary and header is
 * the capture's. An XML capture (*.xml) is sent as AMT sends SOAP: chunked, with this
 * device's Server header, status 400 if it is a fault. See docs/test-vectors.md. */
#include "amtsim.h"
#include "wsman.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct replay_entry {
    char action[256], uri[256], path[1024];
};

struct replay {
    struct replay_entry *e;
    int n;
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct sbuf b;
    sb_init(&b);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(&b, buf, n);
    fclose(f);
    if (b.oom || !b.p) {
        sb_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

int replay_load(struct device *d, const char *dir, char *err, size_t errlen)
{
    char index[1024];
    snprintf(index, sizeof index, "%s/index", dir);
    FILE *f = fopen(index, "r");
    if (!f) {
        snprintf(err, errlen, "replay: cannot open %s", index);
        return -1;
    }
    struct replay *r = calloc(1, sizeof *r);
    char line[2048];
    int lineno = 0, rc = 0;
    while (r && !rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char a[256], u[256], file[512];
        int k = sscanf(line, "%255s %255s %511s", a, u, file);
        if (k <= 0)
            continue;
        struct replay_entry *e = k == 3 ? realloc(r->e, sizeof *r->e * (size_t)(r->n + 1)) : NULL;
        if (!e) {
            snprintf(err, errlen, "%s:%d: want ACTION RESOURCE-URI FILE", index, lineno);
            rc = -1;
            break;
        }
        r->e = e;
        e = &r->e[r->n++];
        snprintf(e->action, sizeof e->action, "%s", a);
        snprintf(e->uri, sizeof e->uri, "%s", u);
        snprintf(e->path, sizeof e->path, "%s/%s", dir, file);
        size_t len;
        char *probe = read_file(e->path, &len);
        if (!probe) {
            snprintf(err, errlen, "%s:%d: cannot read %s", index, lineno, e->path);
            rc = -1;
        }
        free(probe);
    }
    fclose(f);
    if (!r || rc) {
        if (r)
            free(r->e);
        free(r);
        if (!rc)
            snprintf(err, errlen, "replay: out of memory");
        return -1;
    }
    d->replay = r;
    return 0;
}

void replay_free(struct device *d)
{
    if (d->replay) {
        free(d->replay->e);
        free(d->replay);
        d->replay = NULL;
    }
}

/* [start, end) of the RelatesTo value in p[0..len), whatever the prefix. */
static bool find_relates(const char *p, size_t len, size_t *start, size_t *end)
{
    static const char tag[] = "RelatesTo>";
    const char *t = memmem(p, len, tag, sizeof tag - 1);
    if (!t)
        return false;
    *start = (size_t)(t - p) + sizeof tag - 1;
    const char *lt = memchr(p + *start, '<', len - *start);
    if (!lt)
        return false;
    *end = (size_t)(lt - p);
    return true;
}

/* p[0..len) with the RelatesTo value replaced by msgid, appended to o. */
static void add_substituted(struct sbuf *o, const char *p, size_t len, const char *msgid)
{
    size_t s, e;
    if (!find_relates(p, len, &s, &e)) {
        sb_add(o, p, len);
        return;
    }
    sb_add(o, p, s);
    sb_xml(o, msgid);
    sb_add(o, p + e, len - e);
}

/* A raw capture with the chunk holding RelatesTo resized; other bytes unchanged. */
static void substitute_raw(struct sbuf *o, const char *p, size_t len, const char *msgid)
{
    const char *he = memmem(p, len, "\r\n\r\n", 4);
    size_t hlen = he ? (size_t)(he - p) + 4 : len;
    sb_add(o, p, hlen);
    bool chunked = he && memmem(p, hlen, "Transfer-Encoding: chunked", 26);
    size_t off = hlen;
    while (chunked && off < len) {
        const char *crlf = memmem(p + off, len - off, "\r\n", 2);
        if (!crlf)
            break;
        size_t width = (size_t)(crlf - (p + off));
        unsigned long n = strtoul(p + off, NULL, 16);
        const char *data = crlf + 2;
        size_t next = (size_t)(data - p) + n; /* the CRLF that ends the chunk's data */
        if (n == 0 || next + 2 > len || memcmp(p + next, "\r\n", 2))
            break;
        size_t s, e;
        if (find_relates(data, n, &s, &e)) {
            struct sbuf chunk;
            sb_init(&chunk);
            add_substituted(&chunk, data, n, msgid);
            sb_printf(o, "%0*zX\r\n", (int)width, chunk.len);
            sb_add(o, chunk.p, chunk.len);
            sb_add(o, "\r\n", 2);
            sb_free(&chunk);
        } else {
            sb_add(o, p + off, next + 2 - off);
        }
        off = next + 2;
    }
    sb_add(o, p + off, len - off); /* chunk trailers / last chunk / a non-chunked body */
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int replay_serve(struct conn *c, const char *body, size_t blen, bool *close)
{
    struct device *d = c->dev;
    char action[512] = "", uri[512] = "", msgid[256] = "0";
    wsman_request_ids(body, blen, action, sizeof action, uri, sizeof uri, msgid, sizeof msgid);
    const struct replay_entry *hit = NULL;
    for (int i = 0; i < d->replay->n && !hit; i++)
        if (!strcmp(d->replay->e[i].action, action) && !strcmp(d->replay->e[i].uri, uri))
            hit = &d->replay->e[i];
    size_t len = 0;
    char *cap = hit ? read_file(hit->path, &len) : NULL;
    struct sbuf o;
    sb_init(&o);
    int rc;
    pthread_mutex_lock(&d->lock);
    if (cap) {
        d->replay_hits++;
    } else {
        const char *cls = strrchr(uri, '/'), *act = strrchr(action, '/');
        d->replay_misses++;
        snprintf(d->replay_last_miss, sizeof d->replay_last_miss, "%s%s", cls ? cls + 1 : uri,
                 act ? act : action);
    }
    pthread_mutex_unlock(&d->lock);
    if (!cap) {
        logmsg(d, "replay: no recorded reply for %s on %s", action, uri);
        char text[1200];
        snprintf(text, sizeof text, "amtsim replay: no recorded reply for %s on %s", action, uri);
        wsman_fault_reply(d, msgid, F_WSA, "ActionNotSupported", text, &o);
        *close = true;
        rc = o.oom ? -1 : http_send_soap(c, 400, &o, true);
    } else if (ends_with(hit->path, ".http")) {
        logmsg(d, "replay: %s (raw)", hit->path);
        substitute_raw(&o, cap, len, msgid);
        const char *he = o.p ? memmem(o.p, o.len, "\r\n\r\n", 4) : NULL;
        *close = !he || memmem(o.p, (size_t)(he - o.p), "\r\nConnection: close", 19);
        rc = o.oom ? -1 : conn_write(c, o.p, o.len);
    } else {
        logmsg(d, "replay: %s", hit->path);
        add_substituted(&o, cap, len, msgid);
        bool fault = memmem(cap, len, ":Fault>", 7) != NULL;
        *close = fault;
        rc = o.oom ? -1 : http_send_soap(c, fault ? 400 : 200, &o, fault);
    }
    free(cap);
    sb_free(&o);
    return rc;
}
