/* amt_tls: the one TLS-to-AMT policy, used by both planes (WS-Man through libcurl's
 * CURLOPT_SSL_CTX_FUNCTION, the relay on its own SSL_CTX). httpd-free; OpenSSL only.
 * What the rules mean for users is in docs/real-hardware.md ("TLS to AMT").
 *
 * Trust (decided in the certificate verification callback, so a refusal happens
 * inside the handshake, before one application byte is written):
 *   - AmtTLSCA only:       chain to that CA (and nothing else) + host name/IP = AmtHost
 *   - AmtTLSPin only:      SHA-256 of the leaf certificate = the pin (self-signed AMT
 *                          certificates carry arbitrary names, so the pin is the identity)
 *   - both:                both must hold: chain + host name/IP + pin
 *   - AmtTLSInsecure only: nothing is verified (explicit, logged opt-in)
 *   - none of these:       refused (fail closed)
 * Protocol: TLS 1.2 or newer with OpenSSL's DEFAULT ciphers at security level 2,
 * whatever the system's openssl.cnf says. AmtTLSLegacy (old firmware, AMT 9-11.8)
 * lowers that to TLS 1.0, security level 0 plus AES128-SHA/AES256-SHA, and allows a
 * server without RFC 5746 secure renegotiation (SSL_OP_LEGACY_SERVER_CONNECT).
 *
 * One amt_tls_conn records what happened on one connection (verdicts, alerts, the
 * negotiated version and cipher); it must outlive the handshake and is attached to
 * the SSL_CTX, so each SSL_CTX serves one amt_tls_conn at a time (both planes make
 * a fresh SSL_CTX per connection). */
#ifndef AMT_TLS_H
#define AMT_TLS_H

#include <stddef.h>

typedef struct amt_tls_policy {
    const char *host;          /* AmtHost: DNS name or IP literal the certificate must name */
    const char *ca_file;       /* AmtTLSCA, or NULL */
    const unsigned char *pin;  /* AmtTLSPin: 32-byte SHA-256 of the leaf (DER), or NULL */
    int insecure;              /* AmtTLSInsecure on */
    int legacy;                /* AmtTLSLegacy on */
} amt_tls_policy;

typedef struct amt_tls_conn {
    const amt_tls_policy *policy;
    int pin_mismatch;          /* the leaf's SHA-256 differs from the pin */
    int pin_checked;           /* the pin was compared (and matched) */
    int verify_error;          /* X509_V_ERR_* that failed the chain/name check, 0 if none */
    int alert;                 /* last TLS alert during the handshake (-1 = none) */
    int alert_sent;            /* 1: we sent it, 0: the device did */
    int handshake_done;
    char version[16];          /* "TLSv1.2" after the handshake */
    char cipher[64];           /* "ECDHE-RSA-AES128-GCM-SHA256" */
    char negotiated[80];       /* both: "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" */
} amt_tls_conn;

/* Process-wide set-up (an ex_data index); idempotent and thread-safe. 0 on success. */
int amt_tls_global_init(void);

/* Applies the policy to ssl_ctx (an SSL_CTX *): version floor, ciphers, options, a
 * fresh trust store holding only AmtTLSCA, the host check, the verify and info
 * callbacks bound to conn (which is reset). Returns 0, or -1 with err set (nothing
 * to trust, unreadable CA, OpenSSL refused a setting). */
int amt_tls_configure(void *ssl_ctx, const amt_tls_policy *policy, amt_tls_conn *conn,
                      char *err, size_t errlen);

/* Whether AmtTLSLegacy's TLS 1.0 floor, security level 0 and legacy renegotiation are
 * in force on ssl_ctx (for the unit tests and the start-up log). */
int amt_tls_ctx_is_legacy(const void *ssl_ctx);

/* Why a handshake failed, as one line for the log and the client (no secrets):
 * pin mismatch, certificate not trusted (OpenSSL's reason: unknown CA, host name
 * mismatch...), or a protocol refusal with the AmtTLSLegacy hint when the device
 * looks like old firmware (protocol version / handshake failure alerts) and legacy
 * mode is off. fallback describes anything else (e.g. curl's or OpenSSL's text).
 * Returns out. */
const char *amt_tls_failure(const amt_tls_conn *conn, const char *fallback, char *out,
                            size_t outlen);

/* The hint for a refused connection to a non-TLS port (16992/16994): new firmware
 * closes them. */
#define AMT_TLS_PLAIN_REFUSED_HINT                                                         \
    "AMT firmware from CSME 16.1 on closes the non-TLS ports 16992/16994: "                 \
    "if this device has TLS, set AmtTLS on (ports 16993/16995)"

#endif
