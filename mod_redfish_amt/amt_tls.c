/* amt_tls: see amt_tls.h. */
#include "amt_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* TLS 1.2+ with OpenSSL's default suites, never below security level 2 (RSA/DH keys
 * of 2048 bits, no SHA-1 signatures), and without 3DES/RC4 even where the level
 * would allow them. Stated here rather than inherited, so both planes agree whatever
 * libcurl or the system's openssl.cnf would pick. */
#define MODERN_CIPHERS "DEFAULT:!aNULL:!eNULL:!3DES:!RC4:@SECLEVEL=2"
/* AMT 9-11.8: TLS 1.0/1.1, RSA key exchange with AES-CBC-SHA (OpenSSL 3 needs level 0
 * for TLS below 1.2 and for SHA-1). */
#define LEGACY_CIPHERS "DEFAULT:AES128-SHA:AES256-SHA:@SECLEVEL=0"

static CRYPTO_ONCE index_once = CRYPTO_ONCE_STATIC_INIT;
static int conn_index = -1;

static void make_index(void)
{
    conn_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int amt_tls_global_init(void)
{
    if (!CRYPTO_THREAD_run_once(&index_once, make_index))
        return -1;
    return conn_index >= 0 ? 0 : -1;
}

static amt_tls_conn *conn_of(const SSL *ssl)
{
    return ssl && conn_index >= 0 ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), conn_index) : NULL;
}

static int is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int leaf_matches_pin(X509 *leaf, const unsigned char pin[32])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    return leaf && X509_digest(leaf, EVP_sha256(), md, &n) == 1 && n == 32 &&
           CRYPTO_memcmp(md, pin, 32) == 0;
}

/* OpenSSL calls this for every certificate of the chain, with ok = its own verdict
 * (chain to the trust store, validity, host name/IP from the verify parameters), and
 * signals depth 0 last even when the chain is fine. Returning 0 ends the handshake. */
static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    amt_tls_conn *c = conn_of(ssl);
    const amt_tls_policy *p = c ? c->policy : NULL;
    if (!p)
        return 0; /* fail closed: a context we did not configure */
    if (p->pin && X509_STORE_CTX_get_error_depth(sctx) == 0) {
        if (!leaf_matches_pin(X509_STORE_CTX_get_current_cert(sctx), p->pin)) {
            c->pin_mismatch = 1;
            X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
            return 0;
        }
        c->pin_checked = 1;
    }
    if (p->ca_file) {
        /* with a CA the chain and the name must hold, pin or not */
        if (!ok && !c->verify_error)
            c->verify_error = X509_STORE_CTX_get_error(sctx);
        return ok;
    }
    if (p->pin)
        return 1; /* pin only: the leaf's digest (checked at depth 0) is the identity */
    return p->insecure ? 1 : 0;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    amt_tls_conn *c = conn_of(ssl);
    if (!c)
        return;
    if ((where & SSL_CB_ALERT) && !c->handshake_done) {
        c->alert = ret & 0xff;
        c->alert_sent = (where & SSL_CB_WRITE) != 0;
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
        c->handshake_done = 1;
        snprintf(c->version, sizeof c->version, "%s", SSL_get_version(ssl));
        snprintf(c->cipher, sizeof c->cipher, "%s", SSL_get_cipher_name(ssl));
        snprintf(c->negotiated, sizeof c->negotiated, "%s %s", c->version, c->cipher);
    }
}

static int fail(char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", what);
    return -1;
}

int amt_tls_configure(void *ssl_ctx, const amt_tls_policy *policy, amt_tls_conn *conn,
                      char *err, size_t errlen)
{
    SSL_CTX *ctx = ssl_ctx;
    memset(conn, 0, sizeof *conn);
    conn->alert = -1;
    if (amt_tls_global_init() != 0)
        return fail(err, errlen, "TLS initialisation failed");
    if (!policy->ca_file && !policy->pin && !policy->insecure)
        return fail(err, errlen, "no AmtTLSCA, AmtTLSPin or AmtTLSInsecure: nothing to verify "
                                 "the device against");
    if (policy->ca_file && (!policy->host || !*policy->host))
        return fail(err, errlen, "AmtTLSCA needs the device's host name to check it");
    int legacy = policy->legacy != 0;
    if (SSL_CTX_set_min_proto_version(ctx, legacy ? TLS1_VERSION : TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, 0) != 1 ||
        SSL_CTX_set_cipher_list(ctx, legacy ? LEGACY_CIPHERS : MODERN_CIPHERS) != 1)
        return fail(err, errlen, "OpenSSL refused the TLS protocol or cipher settings");
    SSL_CTX_set_security_level(ctx, legacy ? 0 : 2);
    if (legacy)
        SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    else
        SSL_CTX_clear_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
    /* A resumed session skips certificate verification: always a full handshake. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);

    /* Only AmtTLSCA is trusted, never the system store as well. */
    X509_STORE *store = X509_STORE_new();
    if (!store)
        return fail(err, errlen, "out of memory");
    SSL_CTX_set_cert_store(ctx, store); /* the context owns it from here */
    if (policy->ca_file) {
        if (X509_STORE_load_file(store, policy->ca_file) != 1) {
            if (err && errlen)
                snprintf(err, errlen, "cannot load AmtTLSCA %s", policy->ca_file);
            return -1;
        }
        /* SSL objects made from this context inherit the name check */
        X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if ((is_ip(policy->host) ? X509_VERIFY_PARAM_set1_ip_asc(vp, policy->host)
                                 : X509_VERIFY_PARAM_set1_host(vp, policy->host, 0)) != 1)
            return fail(err, errlen, "cannot set the host name check");
    }
    conn->policy = policy;
    if (SSL_CTX_set_ex_data(ctx, conn_index, conn) != 1)
        return fail(err, errlen, "TLS initialisation failed");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_info_callback(ctx, info_cb);
    return 0;
}

int amt_tls_ctx_is_legacy(const void *ssl_ctx)
{
    const SSL_CTX *ctx = ssl_ctx;
    return SSL_CTX_get_min_proto_version((SSL_CTX *)ctx) == TLS1_VERSION &&
           SSL_CTX_get_security_level(ctx) == 0 &&
           (SSL_CTX_get_options(ctx) & SSL_OP_LEGACY_SERVER_CONNECT) != 0;
}

/* Alerts that an old TLS stack provokes: no common version (70), no common cipher or
 * no secure renegotiation (40), or a key/cipher below the security level (71). */
static int looks_like_old_firmware(int alert)
{
    return alert == SSL_AD_PROTOCOL_VERSION || alert == SSL_AD_HANDSHAKE_FAILURE ||
           alert == SSL_AD_INSUFFICIENT_SECURITY;
}

const char *amt_tls_failure(const amt_tls_conn *c, const char *fallback, char *out, size_t outlen)
{
    const char *desc = c->alert >= 0 ? SSL_alert_desc_string_long(c->alert) : NULL;
    if (!outlen)
        return out;
    if (c->pin_mismatch)
        snprintf(out, outlen, "device certificate does not match the pin (AmtTLSPin)");
    else if (c->verify_error)
        snprintf(out, outlen, "device certificate not trusted: %s",
                 X509_verify_cert_error_string(c->verify_error));
    else if (desc && looks_like_old_firmware(c->alert) && c->policy && !c->policy->legacy)
        snprintf(out, outlen,
                 "TLS handshake refused (%s alert: %s); the device may be older AMT firmware "
                 "(9 to 11.8) that speaks only TLS 1.0/1.1 with old ciphers: if so, set "
                 "AmtTLSLegacy on for it",
                 c->alert_sent ? "sent" : "received", desc);
    else if (desc)
        snprintf(out, outlen, "TLS handshake failed (%s alert: %s)",
                 c->alert_sent ? "sent" : "received", desc);
    else
        snprintf(out, outlen, "%s", fallback && *fallback ? fallback : "TLS handshake failed");
    return out;
}
