/* wsman_client + wsman_http against an in-process fake AMT web server: HTTP digest
 * (validated with the RFC 2617 formula of spec §1.4), chunked replies, 401 / fault /
 * oversize / wrong RelatesTo mapping, connect failure and timeout, TLS with a CA file,
 * a certificate pin (mismatch must fail before any HTTP byte is sent) and the explicit
 * insecure mode. Uses 127.0.1.20-127.0.1.22. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "amt_ops.h"
#include "tap.h"
#include "wsman_client.h"

#define USER "admin"
#define PASS "P@ss<w0rd&"
#define REALM "Digest:A4070000000000000000000000000000"
#define NONCE "wlbEK1EtAAAAAAAAWW5aUHFp+mQQ1j63"
#define NONCE2 "xxbEK1EtAAAAAAAAWW5aUHFp+mQQ1j99"
#define REDIR_URI "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_RedirectionService"

enum mode { M_OK, M_FAULT, M_BIG, M_WRONG_RELATES, M_WRONG_ACTION, M_SILENT, M_ROTATE };

struct fake {
    int lfd;
    int port;
    volatile int stop;
    enum mode mode;
    SSL_CTX *tls;
    pthread_t thr;
    /* observations */
    int requests, authed_requests, bad_auth, bytes_seen_on_conn, connections;
    int nonce_gen;             /* M_ROTATE: every authorised request retires the nonce */
    char last_nc[16];
    char last_ctype[128];
};

/* ---- tiny HTTP server --------------------------------------------------- */

struct conn {
    int fd;
    SSL *ssl;
};

static int c_read(struct conn *c, char *buf, int n)
{
    return c->ssl ? SSL_read(c->ssl, buf, n) : (int)read(c->fd, buf, (size_t)n);
}

static void c_write(struct conn *c, const char *buf, size_t n)
{
    if (c->ssl)
        SSL_write(c->ssl, buf, (int)n);
    else if (write(c->fd, buf, n) < 0)
        return;
}

static void md5_hex(const char *in, char out[33])
{
    unsigned char md[16];
    unsigned int len = 0;
    EVP_Digest(in, strlen(in), md, &len, EVP_md5(), NULL);
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* Value of key in a Digest header, quoted or not. */
static int digest_param(const char *h, const char *key, char *out, size_t outlen)
{
    char pat[32];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = h;
    while ((p = strstr(p, pat)) != NULL) {
        if (p == h || p[-1] == ' ' || p[-1] == ',')
            break;
        p++;
    }
    if (!p)
        return -1;
    p += strlen(pat);
    size_t n;
    if (*p == '"') {
        p++;
        n = strcspn(p, "\"");
    } else {
        n = strcspn(p, ", \r\n");
    }
    if (n >= outlen)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static int digest_ok(struct fake *f, const char *auth)
{
    char user[64], realm[64], nonce[64], uri[64], resp[64], qop[16], nc[16], cnonce[64];
    if (digest_param(auth, "username", user, sizeof user) || digest_param(auth, "realm", realm, sizeof realm) ||
        digest_param(auth, "nonce", nonce, sizeof nonce) || digest_param(auth, "uri", uri, sizeof uri) ||
        digest_param(auth, "response", resp, sizeof resp) || digest_param(auth, "qop", qop, sizeof qop) ||
        digest_param(auth, "nc", nc, sizeof nc) || digest_param(auth, "cnonce", cnonce, sizeof cnonce))
        return 0;
    snprintf(f->last_nc, sizeof f->last_nc, "%s", nc);
    char a1[256], ha1[33], ha2[33], all[512], want[33];
    snprintf(a1, sizeof a1, "%s:%s:%s", USER, REALM, PASS);
    md5_hex(a1, ha1);
    md5_hex("POST:/wsman", ha2);
    snprintf(all, sizeof all, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
    md5_hex(all, want);
    return strcmp(user, USER) == 0 && strcmp(realm, REALM) == 0 &&
           strcmp(nonce, f->nonce_gen % 2 ? NONCE2 : NONCE) == 0 &&
           strcmp(uri, "/wsman") == 0 && strcmp(qop, "auth") == 0 && strcmp(resp, want) == 0;
}

/* AMT answers chunked with upper-case, zero-padded sizes (spec §1.3). */
static void send_chunked(struct conn *c, const char *status, const char *ctype, const char *body,
                         const char *extra)
{
    char hdr[512];
    int n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 %s\r\nServer: Intel(R) Active Management Technology 16.1.27.2176\r\n"
                     "X-Frame-Options: DENY\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n%s\r\n",
                     status, ctype, extra);
    c_write(c, hdr, (size_t)n);
    size_t len = strlen(body);
    for (size_t off = 0; off < len;) {
        size_t k = len - off > 0x2FA ? 0x2FA : len - off;
        n = snprintf(hdr, sizeof hdr, "%04zX\r\n", k);
        c_write(c, hdr, (size_t)n);
        c_write(c, body + off, k);
        c_write(c, "\r\n", 2);
        off += k;
    }
    c_write(c, "0\r\n\r\n", 5);
}

static char *reply_envelope(const char *relates, const char *action, const char *body)
{
    size_t cap = strlen(body) + 2048;
    char *out = malloc(cap);
    snprintf(out, cap,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" "
             "xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:g=\"" REDIR_URI "\">"
             "<a:Header><b:RelatesTo>%s</b:RelatesTo><b:Action a:mustUnderstand=\"true\">%s</b:Action>"
             "</a:Header><a:Body>%s</a:Body></a:Envelope>",
             relates, action, body);
    return out;
}

/* Serves one connection: requests until the peer closes or we send Connection: close. */
static void serve(struct fake *f, struct conn *c)
{
    char buf[65536];
    buf[0] = '\0';
    size_t have = 0;
    for (;;) {
        char *end;
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            int n = c_read(c, buf + have, (int)(sizeof buf - 1 - have));
            if (n <= 0)
                return;
            f->bytes_seen_on_conn += n;
            have += (size_t)n;
            buf[have] = '\0';
        }
        *end = '\0';
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t body_len = cl ? strtoul(cl + 17, NULL, 10) : 0;
        const char *ct = strcasestr(buf, "\r\nContent-Type:");
        if (ct)
            snprintf(f->last_ctype, sizeof f->last_ctype, "%.*s", (int)strcspn(ct + 16, "\r"), ct + 16);
        size_t hdr_len = (size_t)(end - buf) + 4;
        while (have < hdr_len + body_len) {
            int n = c_read(c, buf + have, (int)(sizeof buf - 1 - have));
            if (n <= 0)
                return;
            have += (size_t)n;
        }
        char body[8192];
        snprintf(body, sizeof body, "%.*s", (int)body_len, buf + hdr_len);
        const char *auth = strcasestr(buf, "\r\nAuthorization: Digest ");
        char auth_line[1024] = "";
        if (auth)
            snprintf(auth_line, sizeof auth_line, "%.*s", (int)strcspn(auth + 2, "\r"), auth + 2);
        /* keep what follows this request for the next round */
        memmove(buf, buf + hdr_len + body_len, have - hdr_len - body_len);
        have -= hdr_len + body_len;
        buf[have] = '\0';
        f->requests++;

        if (f->mode == M_SILENT) {
            while (!f->stop)
                usleep(20000);
            return;
        }
        if (!auth || !digest_ok(f, auth_line)) {
            if (auth)
                f->bad_auth++;
            const char page[] = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" ><html>"
                                "<h2 class=warn>Log on failed. Incorrect user name or password.</h2></html>";
            char hdr[512];
            int n = snprintf(hdr, sizeof hdr,
                             "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"" REALM
                             "\", nonce=\"%s\",stale=\"false\",qop=\"auth\"\r\n"
                             "Content-Type: text/html\r\nServer: Intel(R) Active Management Technology 16.1.27\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             f->nonce_gen % 2 ? NONCE2 : NONCE, sizeof page - 1, page);
            c_write(c, hdr, (size_t)n);
            return; /* AMT closes after a 401 */
        }
        f->authed_requests++;
        if (f->mode == M_ROTATE)
            f->nonce_gen++;
        char msgid[128] = "";
        const char *m = strstr(body, "MessageID>");
        if (m)
            snprintf(msgid, sizeof msgid, "%.*s", (int)strcspn(m + 10, "<"), m + 10);
        char *env;
        if (f->mode == M_FAULT) {
            env = reply_envelope(msgid, "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault",
                                 "<a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable"
                                 "</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-US\">No route</a:Text>"
                                 "</a:Reason></a:Fault>");
            send_chunked(c, "400 Bad Request", "application/soap+xml; charset=UTF-8", env, "Connection: close\r\n");
            free(env);
            return;
        }
        if (f->mode == M_BIG) {
            size_t big = 300 * 1024;
            char *filler = malloc(big + 64);
            strcpy(filler, "<g:X>");
            memset(filler + 5, 'x', big);
            strcpy(filler + 5 + big, "</g:X>");
            env = reply_envelope(msgid, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse", filler);
            free(filler);
        } else {
            env = reply_envelope(f->mode == M_WRONG_RELATES ? "uuid:someone-else" : msgid,
                                 f->mode == M_WRONG_ACTION ? "http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse"
                                                           : "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse",
                                 "<g:AMT_RedirectionService><g:EnabledState>32771</g:EnabledState>"
                                 "</g:AMT_RedirectionService>");
        }
        send_chunked(c, "200 OK", "application/soap+xml; charset=UTF-8", env, "");
        free(env);
    }
}

static void *server_main(void *arg)
{
    struct fake *f = arg;
    while (!f->stop) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        f->connections++;
        f->bytes_seen_on_conn = 0;
        struct conn c = {fd, NULL};
        if (f->tls) {
            c.ssl = SSL_new(f->tls);
            SSL_set_fd(c.ssl, fd);
            if (SSL_accept(c.ssl) == 1)
                serve(f, &c);
            SSL_shutdown(c.ssl);
            SSL_free(c.ssl);
        } else {
            serve(f, &c);
        }
        close(fd);
    }
    return NULL;
}

static int fake_start(struct fake *f, const char *addr, enum mode mode, SSL_CTX *tls)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->tls = tls;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (bind(f->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(f->lfd, 8))
        return -1;
    socklen_t sl = sizeof sa;
    getsockname(f->lfd, (struct sockaddr *)&sa, &sl);
    f->port = ntohs(sa.sin_port);
    return pthread_create(&f->thr, NULL, server_main, f);
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->thr, NULL);
    close(f->lfd);
}

/* ---- TLS material --------------------------------------------------------- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *ip)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    char san[64];
    snprintf(san, sizeof san, "IP:%s", ip);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, key, EVP_sha256());
    return x;
}

static SSL_CTX *server_ctx(EVP_PKEY *key, X509 *cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    return ctx;
}

static void write_pem(const char *path, X509 *x)
{
    FILE *fp = fopen(path, "w");
    PEM_write_X509(fp, x);
    fclose(fp);
}

/* ---- tests ----------------------------------------------------------------- */

static wsman_client *client_for(const char *addr, int port, int tls, const char *pass, long timeout_ms,
                                const char *ca, const unsigned char *pin, int insecure)
{
    wsman_http_config cfg = {.host = addr, .port = port, .tls = tls, .ca_file = ca, .pin = pin,
                             .insecure = insecure, .user = USER, .password = pass,
                             .timeout_ms = timeout_ms};
    char err[160];
    wsman_client *c = wsman_client_new(&cfg, err, sizeof err);
    if (!c)
        printf("# client: %s\n", err);
    return c;
}

static int do_get(wsman_client *c, char *err, size_t errlen, wsman_reply *r)
{
    xmlNodePtr body;
    xmlDocPtr req = wsman_client_request(c, WSMAN_ACTION_GET, REDIR_URI, &body);
    return wsman_client_send(c, req, r, err, errlen);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_digest_and_reuse(void)
{
    struct fake f;
    ok(fake_start(&f, "127.0.1.20", M_OK, NULL) == 0, "fake AMT on 127.0.1.20");
    wsman_client *c = client_for("127.0.1.20", f.port, 0, PASS, 3000, NULL, NULL, 0);
    char err[256], id1[64], t[16];
    wsman_reply r;
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "Get with digest succeeds");
    snprintf(id1, sizeof id1, "%s", wsman_client_last_message_id(c));
    is_int(wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "EnabledState", t, sizeof t), 1,
           "chunked reply body parsed");
    wsman_reply_free(&r);
    is_int(f.requests, 2, "first exchange: challenge then authorised request");
    is_int(f.authed_requests, 1, "digest response valid per RFC 2617 (MD5, qop=auth)");
    is_str(f.last_ctype, "application/soap+xml; charset=utf-8", "Content-Type as DMT sends it");
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "second Get succeeds");
    wsman_reply_free(&r);
    is_int(f.requests, 3, "second exchange reuses the nonce: no new 401 round trip");
    is_str(f.last_nc, "00000002", "nc incremented on the reused nonce");
    ok(strcmp(id1, wsman_client_last_message_id(c)) != 0, "MessageIDs differ between requests");
    ok(strncmp(id1, "uuid:", 5) == 0 && strlen(id1) == 41, "MessageID is a uuid: URN");
    is_int(wsman_client_calls(c), 2, "two exchanges counted");
    is_int(wsman_client_connects(c), 2, "AMT closed after the 401; the next socket was kept for request 2");
    wsman_client *c2 = client_for("127.0.1.20", f.port, 0, PASS, 3000, NULL, NULL, 0);
    xmlNodePtr body;
    xmlFreeDoc(wsman_client_request(c2, WSMAN_ACTION_GET, REDIR_URI, &body));
    ok(strcmp(id1, wsman_client_last_message_id(c2)) != 0, "MessageIDs differ between clients");
    wsman_client_free(c2);
    wsman_client_free(c);

    c = client_for("127.0.1.20", f.port, 0, "wrong-secret", 3000, NULL, NULL, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_E_AUTH, "wrong password -> AMT_E_AUTH");
    wsman_reply_free(&r);
    ok(!strstr(err, "wrong-secret") && !strstr(err, USER), "error text carries no credentials");
    wsman_client_free(c);
    fake_stop(&f);
}

/* A nonce refused with stale="false" after it worked: renegotiate once, like DMT. */
static void test_nonce_rotation(void)
{
    struct fake f;
    fake_start(&f, "127.0.1.20", M_ROTATE, NULL);
    wsman_client *c = client_for("127.0.1.20", f.port, 0, PASS, 3000, NULL, NULL, 0);
    char err[256];
    wsman_reply r;
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "first Get");
    wsman_reply_free(&r);
    int rc = do_get(c, err, sizeof err, &r);
    if (!ok(rc == AMT_OK, "Get after the device retired the nonce"))
        printf("#   %s: %s\n", amt_rc_name(rc), err);
    wsman_reply_free(&r);
    is_int(f.authed_requests, 2, "both authorised");
    is_int(f.bad_auth, 1, "exactly one refused old-nonce attempt");
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "and again");
    wsman_reply_free(&r);
    wsman_client_free(c);
    fake_stop(&f);
}

static void test_error_mapping(void)
{
    static const struct {
        enum mode mode;
        int rc;
        const char *name;
    } cases[] = {
        {M_FAULT, AMT_E_FAULT, "HTTP 400 SOAP fault -> AMT_E_FAULT"},
        {M_BIG, AMT_E_PROTOCOL, "reply over 256 KiB refused"},
        {M_WRONG_RELATES, AMT_E_PROTOCOL, "RelatesTo of another request refused"},
        {M_WRONG_ACTION, AMT_E_PROTOCOL, "unexpected reply Action refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fake f;
        fake_start(&f, "127.0.1.21", cases[i].mode, NULL);
        wsman_client *c = client_for("127.0.1.21", f.port, 0, PASS, 3000, NULL, NULL, 0);
        char err[256];
        wsman_reply r;
        int rc = do_get(c, err, sizeof err, &r);
        is_int(rc, cases[i].rc, "%s", cases[i].name);
        if (cases[i].mode == M_FAULT) {
            is_str(r.fault_subcode, "DestinationUnreachable", "fault subcode available to the caller");
            ok(strstr(err, "DestinationUnreachable") != NULL, "fault named in err: %s", err);
        }
        wsman_reply_free(&r);
        wsman_client_free(c);
        fake_stop(&f);
    }
}

/* A platform without KVM answers DestinationUnreachable for CIM_KVMRedirectionSAP
 * (spec §2.5): amt_set_kvm reports AMT_E_UNSUPPORTED, not a generic fault. */
static void test_kvm_unsupported(void)
{
    struct fake f;
    fake_start(&f, "127.0.1.21", M_FAULT, NULL);
    apr_pool_t *pool;
    apr_pool_create(&pool, NULL);
    amt_device d;
    memset(&d, 0, sizeof d);
    d.host = "127.0.1.21";
    d.user = USER;
    d.password = PASS;
    d.wsman_port = f.port;
    amt_client *c = amt_client_create(pool, &d, 3000);
    char err[256];
    is_int(amt_set_kvm(c, 0, err, sizeof err), AMT_E_UNSUPPORTED, "KVM SAP DestinationUnreachable -> AMT_E_UNSUPPORTED");
    is_int(amt_client_calls(c), 1, "stopped after the refused call");
    amt_state s;
    is_int(amt_get_state(c, &s, err, sizeof err), AMT_E_FAULT, "fault on a required class -> AMT_E_FAULT");
    /* destroy explicitly, then the pool cleanup must not free twice */
    amt_client_destroy(c);
    apr_pool_destroy(pool);
    fake_stop(&f);
}

static void test_unreachable(void)
{
    /* A port nothing listens on: bind, read the port, close. */
    struct fake f;
    fake_start(&f, "127.0.1.21", M_OK, NULL);
    int port = f.port;
    fake_stop(&f);
    wsman_client *c = client_for("127.0.1.21", port, 0, PASS, 1000, NULL, NULL, 0);
    char err[256];
    wsman_reply r;
    double t0 = now_s();
    is_int(do_get(c, err, sizeof err, &r), AMT_E_UNREACHABLE, "closed port -> AMT_E_UNREACHABLE");
    ok(now_s() - t0 < 1.5, "within the timeout");
    ok(strstr(err, "set AmtTLS on") != NULL, "refused plain port: the hint names AmtTLS (%s)", err);
    wsman_client_free(c);

    fake_start(&f, "127.0.1.21", M_SILENT, NULL);
    c = client_for("127.0.1.21", f.port, 0, PASS, 500, NULL, NULL, 0);
    t0 = now_s();
    is_int(do_get(c, err, sizeof err, &r), AMT_E_UNREACHABLE, "silent device -> AMT_E_UNREACHABLE");
    double dt = now_s() - t0;
    ok(dt >= 0.4 && dt < 1.5, "total timeout honoured (%.2f s for 500 ms)", dt);
    wsman_client_free(c);
    fake_stop(&f);
}

static void test_tls(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = make_cert(key, "amt-device", "127.0.1.22");
    EVP_PKEY *key2 = EVP_EC_gen("P-256");
    X509 *other = make_cert(key2, "other-ca", "127.0.1.22");
    char dir[] = "/tmp/wsman-tls-XXXXXX", ca[64], other_ca[64];
    if (!mkdtemp(dir))
        return;
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(other_ca, sizeof other_ca, "%s/other.pem", dir);
    write_pem(ca, cert);
    write_pem(other_ca, other);
    unsigned char pin[32], bad_pin[32];
    unsigned int n;
    X509_digest(cert, EVP_sha256(), pin, &n);
    memcpy(bad_pin, pin, 32);
    bad_pin[31] ^= 1;

    SSL_CTX *sctx = server_ctx(key, cert);
    struct fake f;
    fake_start(&f, "127.0.1.22", M_OK, sctx);
    char err[256];
    wsman_reply r;
    wsman_client *c;

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, ca, NULL, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "TLS verified against AmtTLSCA");
    wsman_reply_free(&r);
    wsman_client_free(c);

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, other_ca, NULL, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_E_TLS, "certificate from another CA -> AMT_E_TLS");
    wsman_reply_free(&r);
    wsman_client_free(c);

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, NULL, NULL, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_E_TLS, "no CA, no pin: system trust store refuses it");
    wsman_reply_free(&r);
    wsman_client_free(c);

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, NULL, pin, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "matching SHA-256 certificate pin accepted");
    wsman_reply_free(&r);
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "second request with the pin");
    wsman_reply_free(&r);
    wsman_client_free(c);

    int before = f.requests;
    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, NULL, bad_pin, 0);
    is_int(do_get(c, err, sizeof err, &r), AMT_E_TLS, "wrong pin -> AMT_E_TLS");
    ok(strstr(err, "pin") != NULL, "error names the pin: %s", err);
    is_int(f.requests - before, 0, "no HTTP request reached the device");
    is_int(f.bytes_seen_on_conn, 0, "not one application byte was sent");
    wsman_reply_free(&r);
    wsman_client_free(c);

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, NULL, bad_pin, 1);
    is_int(do_get(c, err, sizeof err, &r), AMT_E_TLS, "a pin wins over AmtTLSInsecure");
    wsman_reply_free(&r);
    wsman_client_free(c);

    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, NULL, NULL, 1);
    is_int(do_get(c, err, sizeof err, &r), AMT_OK, "AmtTLSInsecure skips verification when set");
    wsman_reply_free(&r);
    wsman_client_free(c);

    fake_stop(&f);
    SSL_CTX_free(sctx);

    /* AMT 9-11.8: TLS 1.1 at most, AES-CBC-SHA. libcurl's connection gets the shared
       policy (amt_tls.h) through CURLOPT_SSL_CTX_FUNCTION: refused with the hint, then
       reached with AmtTLSLegacy. */
    sctx = server_ctx(key, cert);
    SSL_CTX_set_security_level(sctx, 0);
    SSL_CTX_set_min_proto_version(sctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(sctx, TLS1_1_VERSION);
    /* this test's certificate is EC: the CBC-SHA suite of that key type */
    SSL_CTX_set_cipher_list(sctx, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0");
    fake_start(&f, "127.0.1.22", M_OK, sctx);
    c = client_for("127.0.1.22", f.port, 1, PASS, 3000, ca, NULL, 0);
    before = f.requests;
    is_int(do_get(c, err, sizeof err, &r), AMT_E_TLS, "TLS 1.1 device without AmtTLSLegacy -> AMT_E_TLS");
    ok(strstr(err, "AmtTLSLegacy on") != NULL, "the error names AmtTLSLegacy: %s", err);
    is_int(f.requests - before, 0, "no HTTP request reached it");
    wsman_reply_free(&r);
    wsman_client_free(c);
    wsman_http_config lcfg = {.host = "127.0.1.22", .port = f.port, .tls = 1, .ca_file = ca,
                              .legacy = 1, .user = USER, .password = PASS, .timeout_ms = 3000};
    c = wsman_client_new(&lcfg, err, sizeof err);
    if (!ok(do_get(c, err, sizeof err, &r) == AMT_OK, "with AmtTLSLegacy the same device answers"))
        printf("#   %s\n", err);
    is_str(wsman_client_tls(c), "TLSv1.1 ECDHE-ECDSA-AES128-SHA", "negotiated version and cipher reported");
    wsman_reply_free(&r);
    wsman_client_free(c);
    fake_stop(&f);
    SSL_CTX_free(sctx);

    X509_free(cert);
    X509_free(other);
    EVP_PKEY_free(key);
    EVP_PKEY_free(key2);
    unlink(ca);
    unlink(other_ca);
    rmdir(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the fake server writes to clients that hung up */
    apr_initialize();
    if (amt_ops_global_init() != AMT_OK) {
        printf("1..0 # SKIP curl_global_init failed\n");
        return 0;
    }
    test_digest_and_reuse();
    test_nonce_rotation();
    test_error_mapping();
    test_kvm_unsupported();
    test_unreachable();
    test_tls();
    curl_global_cleanup();
    xmlCleanupParser();
    apr_terminate();
    return tap_done();
}
