/* The TLS-to-AMT policy (amt_tls.c) against real handshakes: a table of AmtTLSCA /
 * AmtTLSPin / AmtTLSInsecure / AmtTLSLegacy combinations, each run by a client made
 * with amt_tls_configure against an in-process TLS server showing certificates made
 * here (a CA-signed one naming the address, one naming another address, a
 * self-signed one) or speaking only TLS 1.1 with AES128-SHA like AMT 9-11.8.
 * Uses 127.0.1.26 with ephemeral ports. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "amt_tls.h"
#include "tap.h"

#define ADDR "127.0.1.26"

/* ---- certificates ----------------------------------------------------------- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
                       EVP_PKEY *issuer_key, int is_ca)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    if (san) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                            is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static void write_pem(const char *path, X509 *x)
{
    FILE *fp = fopen(path, "w");
    PEM_write_X509(fp, x);
    fclose(fp);
}

static void sha256(X509 *x, unsigned char out[32])
{
    unsigned int n = 0;
    X509_digest(x, EVP_sha256(), out, &n);
}

/* ---- a one-connection TLS server ------------------------------------------------ */

enum server_kind { S_MODERN, S_LEGACY };

struct server {
    int lfd, port;
    SSL_CTX *ctx;
    pthread_t thr;
};

static void *serve_one(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        SSL_write(ssl, "hi", 2);
        char b[8];
        SSL_read(ssl, b, sizeof b); /* until the client closes */
    }
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static int server_start(struct server *s, X509 *cert, EVP_PKEY *key, enum server_kind kind)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(s->ctx, cert);
    SSL_CTX_use_PrivateKey(s->ctx, key);
    if (kind == S_LEGACY) {
        /* what AMT 9-11.8 offers: TLS 1.0/1.1, RSA key exchange, AES-CBC-SHA */
        SSL_CTX_set_security_level(s->ctx, 0);
        SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(s->ctx, TLS1_1_VERSION);
        SSL_CTX_set_cipher_list(s->ctx, "AES128-SHA:@SECLEVEL=0");
    }
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    socklen_t sl = sizeof sa;
    if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(s->lfd, 4) ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl))
        return -1;
    s->port = ntohs(sa.sin_port);
    return pthread_create(&s->thr, NULL, serve_one, s);
}

static void server_stop(struct server *s)
{
    pthread_join(s->thr, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
}

/* ---- the client: exactly what both planes do ------------------------------------- */

struct outcome {
    int configured, connected;
    char why[400];
    char version[16], cipher[64];
};

static void connect_with(const amt_tls_policy *pol, int port, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    amt_tls_conn conn;
    char err[200] = "";
    o->configured = amt_tls_configure(ctx, pol, &conn, err, sizeof err) == 0;
    if (!o->configured) {
        snprintf(o->why, sizeof o->why, "%s", err);
        SSL_CTX_free(ctx);
        /* nobody will connect: let the server's accept return */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, ADDR, &sa.sin_addr);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            close(fd);
        return;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(o->why, sizeof o->why, "connect failed");
        close(fd);
        SSL_CTX_free(ctx);
        return;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    char b[4] = "";
    if (SSL_connect(ssl) == 1 && SSL_read(ssl, b, 2) == 2 && !memcmp(b, "hi", 2)) {
        o->connected = 1;
        snprintf(o->version, sizeof o->version, "%s", conn.version);
        snprintf(o->cipher, sizeof o->cipher, "%s", conn.cipher);
    } else {
        unsigned long e = ERR_peek_last_error();
        amt_tls_failure(&conn, e ? ERR_reason_error_string(e) : "closed", o->why, sizeof o->why);
    }
    ERR_clear_error();
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    ok(amt_tls_global_init() == 0, "global init");

    EVP_PKEY *ca_key = EVP_RSA_gen(2048), *other_key = EVP_RSA_gen(2048);
    EVP_PKEY *leaf_key = EVP_RSA_gen(2048), *self_key = EVP_RSA_gen(2048);
    X509 *ca = make_cert(ca_key, "test AMT CA", NULL, NULL, NULL, 1);
    X509 *other_ca = make_cert(other_key, "another CA", NULL, NULL, NULL, 1);
    X509 *good = make_cert(leaf_key, "amt", "IP:" ADDR, ca, ca_key, 0);
    X509 *wrongname = make_cert(leaf_key, "amt", "IP:127.0.1.99,DNS:other.example", ca, ca_key, 0);
    X509 *self = make_cert(self_key, "AMT self-signed", "IP:" ADDR, NULL, NULL, 0);
    char dir[] = "/tmp/amt-tls-XXXXXX", ca_pem[64], other_pem[64];
    if (!mkdtemp(dir)) {
        printf("1..0 # SKIP no temp dir\n");
        return 0;
    }
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    snprintf(other_pem, sizeof other_pem, "%s/other.pem", dir);
    write_pem(ca_pem, ca);
    write_pem(other_pem, other_ca);
    unsigned char pin_good[32], pin_self[32], pin_wrongname[32], pin_bad[32];
    sha256(good, pin_good);
    sha256(self, pin_self);
    sha256(wrongname, pin_wrongname);
    memcpy(pin_bad, pin_good, 32);
    pin_bad[0] ^= 0x80;

    enum { C_NONE, C_CA, C_OTHER };
    static const struct row {
        const char *name;
        int cert;            /* 0 good, 1 wrong name, 2 self-signed */
        enum server_kind kind;
        int ca;              /* C_* */
        int pin;             /* 0 none, 1 good, 2 self, 3 wrong name's, 4 bad */
        int insecure, legacy;
        int want_ok;
        const char *want_why; /* substring of the refusal */
    } rows[] = {
        {"CA: chain and address hold", 0, S_MODERN, C_CA, 0, 0, 0, 1, NULL},
        {"CA: another CA signed the device", 0, S_MODERN, C_OTHER, 0, 0, 0, 0, "not trusted"},
        {"CA: certificate names another address", 1, S_MODERN, C_CA, 0, 0, 0, 0, "mismatch"},
        {"CA: self-signed device", 2, S_MODERN, C_CA, 0, 0, 0, 0, "not trusted"},
        {"pin: matches a CA-signed certificate", 0, S_MODERN, C_NONE, 1, 0, 0, 1, NULL},
        {"pin: matches a self-signed certificate", 2, S_MODERN, C_NONE, 2, 0, 0, 1, NULL},
        {"pin: does not match", 0, S_MODERN, C_NONE, 4, 0, 0, 0, "AmtTLSPin"},
        {"CA+pin: both hold", 0, S_MODERN, C_CA, 1, 0, 0, 1, NULL},
        {"CA+pin: chain holds, pin does not", 0, S_MODERN, C_CA, 4, 0, 0, 0, "AmtTLSPin"},
        {"CA+pin: pin holds, chain does not (self-signed)", 2, S_MODERN, C_CA, 2, 0, 0, 0, "not trusted"},
        {"CA+pin: pin and chain hold, address does not", 1, S_MODERN, C_CA, 3, 0, 0, 0, "mismatch"},
        {"insecure: self-signed accepted", 2, S_MODERN, C_NONE, 0, 1, 0, 1, NULL},
        {"insecure+pin: the pin still decides", 2, S_MODERN, C_NONE, 4, 1, 0, 0, "AmtTLSPin"},
        {"nothing to verify against: refused before connecting", 0, S_MODERN, C_NONE, 0, 0, 0, 0,
         "nothing to verify"},
        {"TLS 1.1 firmware without AmtTLSLegacy: refused, hint names it", 0, S_LEGACY, C_CA, 0, 0, 0, 0,
         "AmtTLSLegacy on"},
        {"TLS 1.1 firmware with AmtTLSLegacy: reached", 0, S_LEGACY, C_CA, 0, 0, 1, 1, NULL},
        {"TLS 1.1 firmware, AmtTLSLegacy, wrong CA: still verified", 0, S_LEGACY, C_OTHER, 0, 0, 1, 0,
         "not trusted"},
        {"modern firmware with AmtTLSLegacy: still its best version", 0, S_MODERN, C_CA, 0, 0, 1, 1, NULL},
    };
    X509 *certs[] = {good, wrongname, self};
    EVP_PKEY *keys[] = {leaf_key, leaf_key, self_key};
    const unsigned char *pins[] = {NULL, pin_good, pin_self, pin_wrongname, pin_bad};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *w = &rows[i];
        struct server s;
        if (server_start(&s, certs[w->cert], keys[w->cert], w->kind) != 0) {
            ok(0, "%s: server", w->name);
            continue;
        }
        amt_tls_policy pol = {.host = ADDR,
                              .ca_file = w->ca == C_CA ? ca_pem : w->ca == C_OTHER ? other_pem : NULL,
                              .pin = pins[w->pin], .insecure = w->insecure, .legacy = w->legacy};
        struct outcome o;
        connect_with(&pol, s.port, &o);
        server_stop(&s);
        if (w->want_ok) {
            if (!ok(o.connected, "%s: connects (%s %s)", w->name, o.version, o.cipher))
                printf("#   refused: %s\n", o.why);
        } else {
            ok(!o.connected && strstr(o.why, w->want_why), "%s: refused (%s)", w->name, o.why);
        }
        if (w->kind == S_LEGACY && w->want_ok) {
            is_str(o.version, "TLSv1.1", "  negotiated TLS 1.1 (Debian's OpenSSL 3 at level 0)");
            is_str(o.cipher, "AES128-SHA", "  with AES128-SHA");
        }
        if (w->kind == S_MODERN && w->legacy && w->want_ok)
            is_str(o.version, "TLSv1.3", "  AmtTLSLegacy lowers the floor, not the ceiling");
    }

    /* the settings themselves */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    amt_tls_conn conn;
    char err[200];
    amt_tls_policy pol = {.host = ADDR, .ca_file = ca_pem};
    ok(amt_tls_configure(ctx, &pol, &conn, err, sizeof err) == 0, "modern policy applies");
    is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION, "floor TLS 1.2 by default");
    ok(SSL_CTX_get_security_level(ctx) >= 2, "security level 2 by default");
    ok(!amt_tls_ctx_is_legacy(ctx), "not legacy");
    ok(!(SSL_CTX_get_options(ctx) & SSL_OP_LEGACY_SERVER_CONNECT),
       "servers without secure renegotiation refused by default");
    SSL_CTX_free(ctx);
    ctx = SSL_CTX_new(TLS_client_method());
    pol.legacy = 1;
    ok(amt_tls_configure(ctx, &pol, &conn, err, sizeof err) == 0, "legacy policy applies");
    is_int(SSL_CTX_get_min_proto_version(ctx), TLS1_VERSION, "AmtTLSLegacy: floor TLS 1.0");
    ok(amt_tls_ctx_is_legacy(ctx), "AmtTLSLegacy: level 0 and SSL_OP_LEGACY_SERVER_CONNECT");
    SSL_CTX_free(ctx);
    ctx = SSL_CTX_new(TLS_client_method());
    pol.ca_file = "/nonexistent/ca.pem";
    ok(amt_tls_configure(ctx, &pol, &conn, err, sizeof err) != 0 && strstr(err, "AmtTLSCA"),
       "unreadable AmtTLSCA refused (%s)", err);
    SSL_CTX_free(ctx);

    X509_free(ca);
    X509_free(other_ca);
    X509_free(good);
    X509_free(wrongname);
    X509_free(self);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(self_key);
    unlink(ca_pem);
    unlink(other_pem);
    rmdir(dir);
    return tap_done();
}
