/* Device configuration: the --device spec, --config files and the fault knobs. */
#include "amtsim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct device *device_new(void)
{
    struct device *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->lock, NULL);
    d->mode = 1;
    snprintf(d->user, sizeof d->user, "admin");
    snprintf(d->password, sizeof d->password, "P@ssw0rd");
    snprintf(d->fw, sizeof d->fw, "16.1.27");
    snprintf(d->model, sizeof d->model, "amtsim-NUC");
    d->power_state = 2;
    d->kvm_enabled = true;
    d->kvm_requested = 5;
    d->redir_state = 32771;
    d->listener = true;
    d->optin_required = 0;
    d->optin.code_timeout = 120;
    d->optin.display_timeout = 300;
    d->optin.max_failures = 3;
    d->optin.lockout_secs = 60;
    d->kvm_optin_policy = false;
    d->kvm_optin_timeout = 300;
    d->kvm_session_timeout = 3;
    d->kvm_decimation = 2;
    d->kvm_dblbuf = true;
    d->kvm_w = FB_W;
    d->kvm_h = FB_H;
    d->knobs.plain_auth = false; /* type 1 is off since AMT 7 unless enabled in MEBx */
    d->knobs.consent_status = 3;
    snprintf(d->knobs.kvm_name, sizeof d->knobs.kvm_name, "Intel(r) AMT KVM");
    d->knobs.rfb_security[0] = 1; /* None only */
    d->knobs.rfb_nsecurity = 1;
    d->knobs.power_redir = POWER_REDIR_DEFER; /* the most dangerous field report */
    d->knobs.fault_http = 400;
    d->knobs.strict_schema = true; /* real firmware validates bodies against the class schema */
    d->wsman_port = d->redir_port = d->wsman_tls_port = d->redir_tls_port = -1;
    for (int i = 0; i < 4; i++)
        d->lfd[i] = -1;
    screen_init(&d->screen);
    return d;
}

void device_free(struct device *d)
{
    if (!d)
        return;
    if (d->ssl)
        SSL_CTX_free(d->ssl);
    replay_free(d);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

bool class_absent(struct device *d, const char *cls)
{
    size_t n = strlen(cls);
    for (const char *p = d->knobs.absent; *p;) {
        const char *end = strchr(p, '+');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == n && !strncmp(p, cls, n))
            return true;
        p += l + (end ? 1 : 0);
    }
    return false;
}

struct device *device_find(const char *id)
{
    for (int i = 0; i < g_sim.ndev; i++)
        if (strcasecmp(g_sim.dev[i]->id, id) == 0 || strcmp(g_sim.dev[i]->addr, id) == 0)
            return g_sim.dev[i];
    return NULL;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = false;
    else
        return -1;
    return 0;
}

static int parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Knobs: also reachable at run time through the control channel ("fault" command). */
int knob_set(struct device *d, const char *kv, char *err, size_t errlen)
{
    char k[64];
    const char *eq = strchr(kv, '=');
    if (!eq || (size_t)(eq - kv) >= sizeof k) {
        snprintf(err, errlen, "expected key=value, got '%s'", kv);
        return -1;
    }
    memcpy(k, kv, (size_t)(eq - kv));
    k[eq - kv] = 0;
    const char *v = eq + 1;
    long n;
    bool b;
    struct knobs *kn = &d->knobs;
    int rc = 0;
    if (!strcmp(k, "wsman-latency"))
        rc = parse_long(v, 0, 600000, &n), kn->wsman_latency_ms = (int)(rc ? kn->wsman_latency_ms : n);
    else if (!strcmp(k, "wsman-max-conn"))
        rc = parse_long(v, 0, 10000, &n), kn->wsman_max_conn = (int)(rc ? kn->wsman_max_conn : n);
    else if (!strcmp(k, "drop-after"))
        rc = parse_long(v, 0, 1L << 40, &n), kn->drop_after = rc ? kn->drop_after : n;
    else if (!strcmp(k, "kvm-size")) {
        int w, h;
        char extra;
        rc = sscanf(v, "%dx%d%c", &w, &h, &extra) == 2 && w >= 64 && h >= 64 && w <= 4096 && h <= 4096 ? 0 : -1;
        if (!rc)
            d->kvm_w = w, d->kvm_h = h;
    } else if (!strcmp(k, "consent-mode")) {
        /* inband: AMT's behaviour (KVM opens and asks for the code in the picture, SOL
           opens); refuse: the session start is refused, as amtsim used to model it */
        rc = !strcmp(v, "inband") || !strcmp(v, "refuse") ? 0 : -1;
        if (!rc)
            kn->consent_refuse = !strcmp(v, "refuse");
    } else if (!strcmp(k, "consent-status"))
        rc = parse_long(v, 0, 255, &n), kn->consent_status = (int)(rc ? kn->consent_status : n);
    /* the consent lock-out policy is a knob too, so that a test can drive a short
       lock-out on a shared device at run time */
    else if (!strcmp(k, "max-failures"))
        rc = parse_long(v, 1, 100, &n), d->optin.max_failures = (int)(rc ? d->optin.max_failures : n);
    else if (!strcmp(k, "lockout"))
        rc = parse_long(v, 0, 86400, &n), d->optin.lockout_secs = (unsigned)(rc ? d->optin.lockout_secs : n);
    else if (!strcmp(k, "sol-ping"))
        rc = parse_long(v, 0, 600000, &n), kn->sol_ping_ms = (int)(rc ? kn->sol_ping_ms : n);
    else if (!strcmp(k, "kvm-name")) {
        /* '_' stands for a blank: device specs and control lines split at blanks */
        rc = *v && strlen(v) < sizeof kn->kvm_name ? 0 : -1;
        for (size_t i = 0; !rc && i <= strlen(v); i++)
            kn->kvm_name[i] = v[i] == '_' ? ' ' : v[i];
    } else if (!strcmp(k, "rfb-security")) {
        /* types joined with '+', e.g. 2 or 1+2 */
        uint8_t t[8];
        int nt = 0;
        char buf[64], *save = NULL;
        rc = strlen(v) < sizeof buf ? 0 : -1;
        if (!rc) {
            memcpy(buf, v, strlen(v) + 1);
            for (char *tok = strtok_r(buf, "+", &save); tok && !rc; tok = strtok_r(NULL, "+", &save))
                rc = nt == 8 || parse_long(tok, 1, 255, &n) ? -1 : (t[nt++] = (uint8_t)n, 0);
        }
        if (!rc && nt) {
            memcpy(kn->rfb_security, t, (size_t)nt);
            kn->rfb_nsecurity = nt;
        } else {
            rc = -1;
        }
    } else if (!strcmp(k, "power-during-redir")) {
        static const char *const names[] = { "defer", "reject", "ignore", "allow" };
        rc = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, names[i]))
                kn->power_redir = i, rc = 0;
    } else if (!strcmp(k, "absent")) {
        /* CLASS[+CLASS...] (commas separate device keys); "none" clears the list */
        rc = strlen(v) < sizeof kn->absent && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+") == strlen(v) ? 0 : -1;
        if (!rc)
            snprintf(kn->absent, sizeof kn->absent, "%s", strcmp(v, "none") ? v : "");
    } else if (!strcmp(k, "fault-http")) {
        rc = parse_long(v, 400, 500, &n) || (n != 400 && n != 500) ? -1 : 0;
        if (!rc)
            kn->fault_http = (int)n;
    } else if (!strcmp(k, "empty-400"))
        rc = parse_long(v, 0, 1000000, &n), kn->empty_400 = (int)(rc ? kn->empty_400 : n);
    else if (!strcmp(k, "latency-off"))
        rc = parse_long(v, 0, 600000, &n), kn->latency_off_ms = (int)(rc ? kn->latency_off_ms : n);
    else if (!strcmp(k, "server-header")) {
        rc = !strcmp(v, "AMT") || !strcmp(v, "full") ? 0 : -1;
        if (!rc)
            kn->server_bare = !strcmp(v, "AMT");
    } else if (!strcmp(k, "guid")) {
        /* the PlatformGUID the device reports (default: its id), e.g. another machine's
           after a DHCP lease moved, or a placeholder the BIOS left */
        uint8_t g[16];
        rc = parse_uuid(v, g);
        if (!rc)
            memcpy(d->guid, g, sizeof g), d->guid_set = true;
    } else if (!strcmp(k, "os-power-saving")) {
        rc = parse_bool(v, &b);
        if (!rc)
            d->os_power_saving = b;
    } else if (!strcmp(k, "strict-schema") || !strcmp(k, "empty-hostname")) {
        rc = parse_bool(v, &b);
        if (!rc) {
            if (!strcmp(k, "strict-schema")) kn->strict_schema = b;
            else kn->empty_hostname = b;
        }
    } else if (!strcmp(k, "plain-auth") && !strcmp(v, "only"))
        kn->plain_auth = kn->plain_only = true, rc = 0;
    else if (!strcmp(k, "busy") || !strcmp(k, "slow-reader") || !strcmp(k, "sol-bulk") ||
             !strcmp(k, "kvm-bulk") || !strcmp(k, "down") || !strcmp(k, "plain-auth") ||
             !strcmp(k, "power-busy") || !strcmp(k, "kvm-coalesce")) {
        rc = parse_bool(v, &b);
        if (!rc) {
            if (!strcmp(k, "busy")) kn->busy = b;
            else if (!strcmp(k, "slow-reader")) kn->slow_reader = b;
            else if (!strcmp(k, "sol-bulk")) kn->sol_bulk = b;
            else if (!strcmp(k, "kvm-bulk")) kn->kvm_bulk = b;
            else if (!strcmp(k, "down")) kn->down = b;
            else if (!strcmp(k, "kvm-coalesce")) kn->kvm_coalesce = b;
            else if (!strcmp(k, "power-busy")) /* older spelling: on = reject, off = allow */
                kn->power_redir = b ? POWER_REDIR_REJECT : POWER_REDIR_ALLOW;
            else kn->plain_auth = b, kn->plain_only = false;
        }
    } else {
        snprintf(err, errlen, "unknown knob '%s'", k);
        return 1; /* not a knob: let the caller try other keys */
    }
    if (rc) {
        snprintf(err, errlen, "bad value for %s: '%s'", k, v);
        return -1;
    }
    return 0;
}

static int set_key(struct device *d, const char *k, const char *v, char *err, size_t errlen)
{
    long n;
    bool b;
#define BAD() do { snprintf(err, errlen, "bad value for %s: '%s'", k, v); return -1; } while (0)
    if (!strcmp(k, "id")) { if (copy_str(d->id, sizeof d->id, v)) BAD(); }
    else if (!strcmp(k, "addr")) { if (copy_str(d->addr, sizeof d->addr, v)) BAD(); }
    else if (!strcmp(k, "mode")) {
        if (!strcmp(v, "acm")) d->mode = 1; else if (!strcmp(v, "ccm")) d->mode = 4; else BAD();
    } else if (!strcmp(k, "consent")) {
        if (!strcmp(v, "none")) d->optin_required = 0;
        else if (!strcmp(v, "kvm")) d->optin_required = 1;
        else if (!strcmp(v, "all")) d->optin_required = OPTIN_ALL;
        else BAD();
    } else if (!strcmp(k, "user")) { if (!*v || copy_str(d->user, sizeof d->user, v)) BAD(); }
    else if (!strcmp(k, "password")) { if (copy_str(d->password, sizeof d->password, v)) BAD(); }
    else if (!strcmp(k, "tls")) {
        if (!strcmp(v, "off")) d->tls = 0; else if (!strcmp(v, "on")) d->tls = 1;
        else if (!strcmp(v, "both")) d->tls = 2; else BAD();
    } else if (!strcmp(k, "tls-max")) {
        /* old firmware (AMT 9-11.8) stops at TLS 1.1 */
        if (!strcmp(v, "1.0")) d->tls_max = TLS1_VERSION;
        else if (!strcmp(v, "1.1")) d->tls_max = TLS1_1_VERSION;
        else if (!strcmp(v, "1.2")) d->tls_max = TLS1_2_VERSION;
        else if (!strcmp(v, "1.3")) d->tls_max = TLS1_3_VERSION;
        else BAD();
    } else if (!strcmp(k, "tls-ciphers")) {
        if (!*v || copy_str(d->tls_ciphers, sizeof d->tls_ciphers, v)) BAD();
    } else if (!strcmp(k, "cert")) { if (copy_str(d->cert, sizeof d->cert, v)) BAD(); }
    else if (!strcmp(k, "key")) { if (copy_str(d->key, sizeof d->key, v)) BAD(); }
    else if (!strcmp(k, "wsman-port") || !strcmp(k, "redir-port") || !strcmp(k, "wsman-tls-port") ||
             !strcmp(k, "redir-tls-port")) {
        if (parse_long(v, 0, 65535, &n)) BAD();
        if (!strcmp(k, "wsman-port")) d->wsman_port = (int)n;
        else if (!strcmp(k, "redir-port")) d->redir_port = (int)n;
        else if (!strcmp(k, "wsman-tls-port")) d->wsman_tls_port = (int)n;
        else d->redir_tls_port = (int)n;
    } else if (!strcmp(k, "power")) {
        if (parse_bool(v, &b)) BAD();
        d->power_state = b ? 2 : 8;
    } else if (!strcmp(k, "kvm")) { if (parse_bool(v, &b)) BAD(); d->kvm_enabled = b; }
    else if (!strcmp(k, "sol") || !strcmp(k, "ider")) {
        if (parse_bool(v, &b)) BAD();
        uint16_t bit = !strcmp(k, "sol") ? 2 : 1;
        d->redir_state = (uint16_t)(b ? (d->redir_state | bit) : (d->redir_state & ~bit));
    } else if (!strcmp(k, "listener")) { if (parse_bool(v, &b)) BAD(); d->listener = b; }
    else if (!strcmp(k, "fw")) { if (!*v || copy_str(d->fw, sizeof d->fw, v)) BAD(); }
    else if (!strcmp(k, "replay")) { if (!*v) BAD(); replay_free(d); if (replay_load(d, v, err, errlen)) return -1; }
    else if (!strcmp(k, "model")) { if (copy_str(d->model, sizeof d->model, v)) BAD(); }
    else if (!strcmp(k, "display-timeout")) { if (parse_long(v, 1, 65535, &n)) BAD(); d->optin.display_timeout = (unsigned)n; }
    else if (!strcmp(k, "code-timeout")) { if (parse_long(v, 1, 86400, &n)) BAD(); d->optin.code_timeout = (unsigned)n; }
    else if (!strcmp(k, "session-timeout")) { if (parse_long(v, 0, 255, &n)) BAD(); d->kvm_session_timeout = (unsigned)n; }
    else {
        char kv[600];
        snprintf(kv, sizeof kv, "%s=%s", k, v);
        int rc = knob_set(d, kv, err, errlen);
        if (rc > 0)
            snprintf(err, errlen, "unknown device key '%s'", k);
        return rc ? -1 : 0;
    }
#undef BAD
    return 0;
}

/* spec: comma-separated key=value pairs (values cannot contain commas). */
int device_parse(struct device *d, const char *spec, char *err, size_t errlen)
{
    char *dup = strdup(spec), *save = NULL;
    if (!dup) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        size_t l = strlen(tok);
        while (l && isspace((unsigned char)tok[l - 1]))
            tok[--l] = 0;
        if (!*tok)
            continue;
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "expected key=value, got '%s'", tok);
            rc = -1;
            break;
        }
        *eq = 0;
        rc = set_key(d, tok, eq + 1, err, errlen);
    }
    free(dup);
    return rc;
}

int parse_uuid(const char *s, uint8_t out[16])
{
    uint8_t b[16];
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-')
            continue;
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || n >= 16)
            return -1;
        char h[3] = { p[0], p[1], 0 };
        b[n++] = (uint8_t)strtoul(h, NULL, 16);
        p++;
    }
    if (n != 16)
        return -1;
    /* SMBIOS / AMT PlatformGUID order: first three groups little-endian */
    const int map[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    for (int i = 0; i < 16; i++)
        out[i] = b[map[i]];
    return 0;
}

int device_finish(struct device *d, char *err, size_t errlen)
{
    if (!d->id[0] || !d->addr[0]) {
        snprintf(err, errlen, "device needs id= and addr=");
        return -1;
    }
    uint8_t idguid[16];
    if (parse_uuid(d->id, idguid)) {
        snprintf(err, errlen, "id '%s' is not a UUID", d->id);
        return -1;
    }
    if (!d->guid_set)
        memcpy(d->guid, idguid, sizeof idguid);
    for (char *p = d->id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (d->mode == 4)
        d->optin_required = OPTIN_ALL; /* CCM: consent always required for everything */
    /* Port layout: tls=on moves wsman-port/redir-port to the TLS listeners. */
    if (d->tls == 1) {
        d->wsman_tls_port = d->wsman_tls_port >= 0 ? d->wsman_tls_port : d->wsman_port >= 0 ? d->wsman_port : 16993;
        d->redir_tls_port = d->redir_tls_port >= 0 ? d->redir_tls_port : d->redir_port >= 0 ? d->redir_port : 16995;
        d->wsman_port = d->redir_port = -1;
    } else {
        if (d->wsman_port < 0) d->wsman_port = 16992;
        if (d->redir_port < 0) d->redir_port = 16994;
        if (d->tls == 2) {
            if (d->wsman_tls_port < 0) d->wsman_tls_port = 16993;
            if (d->redir_tls_port < 0) d->redir_tls_port = 16995;
        } else {
            d->wsman_tls_port = d->redir_tls_port = -1;
        }
    }
    if (d->tls) {
        if (!d->cert[0] || !d->key[0]) {
            snprintf(err, errlen, "tls=%s needs cert= and key=", d->tls == 1 ? "on" : "both");
            return -1;
        }
        d->ssl = SSL_CTX_new(TLS_server_method());
        if (!d->ssl || SSL_CTX_use_certificate_chain_file(d->ssl, d->cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(d->ssl, d->key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(d->ssl) != 1) {
            snprintf(err, errlen, "cannot load TLS cert/key %s / %s", d->cert, d->key);
            return -1;
        }
        /* AMT 11+ speaks TLS 1.2; old clients (amtterm master) ask for exactly that */
        SSL_CTX_set_min_proto_version(d->ssl, TLS1_2_VERSION);
        if (d->tls_max || d->tls_ciphers[0]) {
            /* an old TLS stack: OpenSSL 3 offers TLS < 1.2 and SHA-1 suites only at
               security level 0 */
            char list[300];
            snprintf(list, sizeof list, "%s:@SECLEVEL=0", d->tls_ciphers[0] ? d->tls_ciphers : "DEFAULT");
            SSL_CTX_set_security_level(d->ssl, 0);
            SSL_CTX_set_min_proto_version(d->ssl, TLS1_VERSION);
            if ((d->tls_max && SSL_CTX_set_max_proto_version(d->ssl, d->tls_max) != 1) ||
                SSL_CTX_set_cipher_list(d->ssl, list) != 1) {
                snprintf(err, errlen, "tls-max/tls-ciphers refused by OpenSSL (%s)", list);
                return -1;
            }
        }
    }
    char boot[512];
    console_banner(d, boot, sizeof boot); /* the host shows its prompt from the start */
    /* The realm is stable per device (also AMT_GeneralSettings.DigestRealm). */
    uint8_t r[16];
    rand_bytes(r, sizeof r);
    char *p = d->realm + sprintf(d->realm, "Digest:");
    for (int i = 0; i < 16; i++)
        p += sprintf(p, "%02X", r[i]);
    return 0;
}

/* Config file: one device per line, same key=value,... syntax as --device; '#' comments. */
int config_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        char *hash = strchr(s, '#');
        if (hash)
            *hash = 0;
        size_t l = strlen(s);
        while (l && isspace((unsigned char)s[l - 1]))
            s[--l] = 0;
        if (!*s)
            continue;
        if (g_sim.ndev >= AMTSIM_MAX_DEVICES) {
            snprintf(err, errlen, "%s:%d: too many devices", path, lineno);
            rc = -1;
            break;
        }
        struct device *d = device_new();
        char e2[256] = "";
        if (!d || device_parse(d, s, e2, sizeof e2) || device_finish(d, e2, sizeof e2)) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e2);
            device_free(d);
            rc = -1;
            break;
        }
        g_sim.dev[g_sim.ndev++] = d;
    }
    fclose(f);
    return rc;
}
