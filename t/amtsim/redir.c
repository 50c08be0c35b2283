/* Redirection port (16994/16995): session manager (0x10/0x11), authentication
 * (0x13/0x14: query, plain, RFC 2069 and RFC 2617 digest), then hand-off to
 * SOL or KVM. docs/redirection-protocol.md §3, §4, §10.2, §10.3.
 * Every reply before authentication is its own write: amtterm and the DMT
 * console consume a whole read buffer per message. */
#include "amtsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum kind { K_NONE, K_SOL, K_KVM, K_IDER };
#define PRE_AUTH_TIMEOUT_MS 60000
#define MAX_AUTH_DATA 2048

static int *active_counter(struct device *d, enum kind k)
{
    return k == K_SOL ? &d->sol_active : k == K_KVM ? &d->kvm_active : &d->ider_active;
}

static int send_start_reply(struct conn *c, int status)
{
    unsigned maj = 0, min = 0;
    sscanf(c->dev->fw, "%u.%u", &maj, &min);
    /* proto 1.0, firmware major/minor, OEM IANA 343 (Intel), no OEM data */
    uint8_t m[13] = { 0x11, (uint8_t)status, 0, 0, 1, 0, (uint8_t)maj, (uint8_t)min, 0x57, 0x01, 0, 0, 0 };
    return conn_write(c, m, sizeof m);
}

static int send_auth_reply(struct conn *c, int status, int type, const uint8_t *data, uint32_t len)
{
    uint8_t m[9 + 512];
    if (len > sizeof m - 9)
        return -1;
    m[0] = 0x14, m[1] = (uint8_t)status, m[2] = m[3] = 0, m[4] = (uint8_t)type;
    m[5] = (uint8_t)len, m[6] = (uint8_t)(len >> 8), m[7] = (uint8_t)(len >> 16), m[8] = (uint8_t)(len >> 24);
    if (len)
        memcpy(m + 9, data, len);
    return conn_write(c, m, 9 + len);
}

/* Parse `want` length-prefixed strings; returns how many were read. */
static int get_elems(const uint8_t *p, size_t len, char out[][256], int want)
{
    size_t off = 0;
    int i;
    for (i = 0; i < want; i++) {
        if (off >= len)
            break;
        size_t l = p[off++];
        if (off + l > len)
            break;
        memcpy(out[i], p + off, l);
        out[i][l] = 0;
        off += l;
    }
    return i;
}

static size_t put_elem(uint8_t *p, size_t off, const char *s)
{
    size_t l = strlen(s);
    p[off++] = (uint8_t)l;
    memcpy(p + off, s, l);
    return off + l;
}

/* returns 1 authenticated, 0 continue (challenge sent), -1 close */
static int do_auth(struct conn *c, const uint8_t *hdr, const uint8_t *data, uint32_t len, char *nonce)
{
    struct device *d = c->dev;
    int type = hdr[4];
    char el[8][256];
    if (type == 0) {
        uint8_t list[3];
        uint32_t n = 0;
        if (d->knobs.plain_auth)
            list[n++] = 1;
        if (!d->knobs.plain_only) {
            list[n++] = 3;
            list[n++] = 4;
        }
        return send_auth_reply(c, 0, 0, list, n) ? -1 : 0;
    }
    if (type == 1) {
        if (!d->knobs.plain_auth) {
            send_auth_reply(c, 2, 1, NULL, 0);
            return -1;
        }
        /* counted (amtsimctl state) so that tests can prove a client did not send one */
        pthread_mutex_lock(&d->lock);
        d->redir_plain_logins++;
        pthread_mutex_unlock(&d->lock);
        logmsg(d, "auth type 1 (password in clear) received");
        if (get_elems(data, len, el, 2) == 2 && !strcmp(el[0], d->user) && !strcmp(el[1], d->password))
            return send_auth_reply(c, 0, 1, NULL, 0) ? -1 : 1;
        send_auth_reply(c, 1, 1, NULL, 0);
        return -1;
    }
    if ((type == 3 || type == 4) && d->knobs.plain_only) {
        send_auth_reply(c, 2, type, NULL, 0);
        return -1;
    }
    if (type == 3 || type == 4) {
        int want = type == 4 ? 8 : 7;
        if (get_elems(data, len, el, want) != want) {
            send_auth_reply(c, 1, type, NULL, 0);
            return -1;
        }
        if (el[1][0] == 0) {
            /* empty request: issue a fresh challenge (realm, nonce[, qop]) */
            make_nonce(nonce);
            uint8_t ch[400];
            size_t off = put_elem(ch, 0, d->realm);
            off = put_elem(ch, off, nonce);
            if (type == 4)
                off = put_elem(ch, off, "auth");
            return send_auth_reply(c, 1, type, ch, (uint32_t)off) ? -1 : 0;
        }
        /* final: recompute from the strings exactly as transmitted (§4.5) */
        char buf[1200], ha1[33], ha2[33], resp[33];
        bool ok = nonce[0] && !strcmp(el[0], d->user) && !strcmp(el[1], d->realm) && !strcmp(el[2], nonce);
        if (ok) {
            int n = snprintf(buf, sizeof buf, "%s:%s:%s", el[0], el[1], d->password);
            md5_hex(buf, (size_t)n, ha1);
            n = snprintf(buf, sizeof buf, "POST:%s", el[3]);
            md5_hex(buf, (size_t)n, ha2);
            if (type == 4) {
                ok = !strcmp(el[7], "auth");
                n = snprintf(buf, sizeof buf, "%s:%s:%s:%s:%s:%s", ha1, el[2], el[5], el[4], el[7], ha2);
            } else {
                n = snprintf(buf, sizeof buf, "%s:%s:%s", ha1, el[2], ha2);
            }
            md5_hex(buf, (size_t)n, resp);
            /* UNCONFIRMED whether AMT accepts upper-case hex; we do */
            ok = ok && strlen(el[6]) == 32 && !strcasecmp(el[6], resp);
        }
        if (ok)
            return send_auth_reply(c, 0, type, NULL, 0) ? -1 : 1;
        logmsg(d, "digest refused: user '%s' realm-ok %d nonce-ok %d uri '%s' cnonce '%s' nc '%s' qop '%s'", el[0],
               !strcmp(el[1], d->realm), nonce[0] && !strcmp(el[2], nonce), el[3], el[4], el[5], type == 4 ? el[7] : "");
        nonce[0] = 0; /* a nonce is good for one attempt */
        send_auth_reply(c, 1, type, NULL, 0);
        return -1;
    }
    send_auth_reply(c, 2, type, NULL, 0); /* Kerberos and unknown: not supported */
    return -1;
}

void redir_serve(struct conn *c)
{
    struct device *d = c->dev;
    c->count_drop = true;
    pthread_mutex_lock(&d->lock);
    bool listener = d->listener;
    pthread_mutex_unlock(&d->lock);
    if (!listener) {
        /* listener disabled: the port does not talk (closed right away) */
        logmsg(d, "redirection listener off, closing %s", c->peer);
        return;
    }
    enum kind kind = K_NONE;
    bool authed = false;
    bool consent_pending = false; /* KVM opened without consent: AMT's form asks for the code */
    char nonce[40] = "";
    uint8_t hdr[16], *data = NULL;
    for (;;) {
        if (conn_read_full(c, hdr, 1, authed ? 120000 : PRE_AUTH_TIMEOUT_MS))
            break;
        if (hdr[0] == 0x10 && kind == K_NONE) {
            if (conn_read_full(c, hdr + 1, 7, 5000))
                break;
            enum kind k = !memcmp(hdr + 4, "SOL ", 4) ? K_SOL : !memcmp(hdr + 4, "KVMR", 4) ? K_KVM
                        : !memcmp(hdr + 4, "IDER", 4) ? K_IDER : K_NONE;
            int status = 0;
            pthread_mutex_lock(&d->lock);
            if (k == K_NONE)
                status = 1;
            else if (d->knobs.busy || *active_counter(d, k) > 0)
                status = 2; /* BUSY: one session per kind */
            else if ((k == K_SOL && !(d->redir_state & 2)) || (k == K_IDER && !(d->redir_state & 1)) ||
                     (k == K_KVM && !d->kvm_enabled))
                status = 3;
            else if (d->knobs.consent_refuse && optin_needed(d, k == K_KVM))
                status = d->knobs.consent_status; /* consent-mode=refuse: the older model */
            else if (!d->knobs.consent_refuse && k == K_KVM && optin_needed(d, true))
                consent_pending = true; /* AMT opens it and asks in band (consent_form.c) */
            else if (!d->knobs.consent_refuse && k == K_IDER && optin_needed(d, false))
                status = d->knobs.consent_status; /* IDE-R: USER_CONSENT_REQUIRED; SOL opens */
            if (status == 2)
                d->redir_busy++;
            if (status == 0) {
                (*active_counter(d, k))++;
                d->redir_sessions++;
                optin_session(d, true);
                kind = k;
            }
            pthread_mutex_unlock(&d->lock);
            logmsg(d, "StartRedirectionSession %.4s from %s -> status %d%s", (char *)hdr + 4, c->peer, status,
                   consent_pending ? " (consent pending: in-band form)" : "");
            if (send_start_reply(c, status) || status)
                break;
        } else if (hdr[0] == 0x13 && kind != K_NONE && !authed) {
            if (conn_read_full(c, hdr + 1, 8, 5000))
                break;
            uint32_t len = hdr[5] | hdr[6] << 8 | hdr[7] << 16 | (uint32_t)hdr[8] << 24;
            if (len > MAX_AUTH_DATA)
                break;
            free(data);
            data = malloc(len + 1);
            if (!data || (len && conn_read_full(c, data, len, 5000)))
                break;
            int r = do_auth(c, hdr, data, len, nonce);
            if (r < 0) {
                pthread_mutex_lock(&d->lock);
                d->redir_auth_fail++;
                pthread_mutex_unlock(&d->lock);
                logmsg(d, "redirection auth failed (type %d) from %s", hdr[4], c->peer);
                break;
            }
            authed = r == 1;
        } else if (hdr[0] == 0x12) {
            uint8_t rest[3];
            conn_read_full(c, rest, 3, 1000);
            break;
        } else if (authed && kind == K_SOL && hdr[0] == 0x20) {
            sol_run(c);
            break;
        } else if (authed && kind == K_KVM && hdr[0] == 0x40) {
            if (conn_read_full(c, hdr + 1, 7, 5000))
                break;
            /* real AMT may send the first RFB bytes in the same write as 0x41
               (knob kvm-coalesce); rfb_run then skips its version line */
            static const uint8_t ok[8 + 12] = { 0x41, 0, 0, 0, 0, 0, 0, 0, 'R', 'F', 'B', ' ', '0', '0', '4',
                                                '.', '0', '0', '0', '\n' };
            pthread_mutex_lock(&d->lock);
            bool coalesce = d->knobs.kvm_coalesce;
            pthread_mutex_unlock(&d->lock);
            if (conn_write(c, ok, coalesce ? sizeof ok : 8))
                break;
            rfb_run(c, coalesce, consent_pending);
            break;
        } else {
            logmsg(d, "unexpected redirection message 0x%02x, closing", hdr[0]);
            break;
        }
    }
    free(data);
    if (kind != K_NONE) {
        pthread_mutex_lock(&d->lock);
        (*active_counter(d, kind))--;
        optin_session(d, false);
        power_session_ended(d);
        pthread_mutex_unlock(&d->lock);
    }
}
