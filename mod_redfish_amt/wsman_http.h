/* HTTP transport for WS-Man to Intel AMT: POST /wsman with HTTP Digest over libcurl,
 * TLS by the policy both planes share (amt_tls.h): verified against a CA file and/or
 * pinned by the SHA-256 of the device certificate.
 *
 * One wsman_http owns one CURL easy handle and serves one request at a time (AMT's web
 * server is small, spec §1.5/§8); callers serialise. curl_global_init() must have been
 * called once by the process before the first wsman_http_new() (the httpd glue does it
 * in post_config/child_init, tests in main()). */
#ifndef WSMAN_HTTP_H
#define WSMAN_HTTP_H

#include <stddef.h>

/* Replies larger than this are refused: AMT's largest replies are a few KiB. */
#define WSMAN_HTTP_MAX_REPLY (256 * 1024)

typedef struct wsman_http_config {
    const char *host;          /* name or address; IPv6 literals without brackets */
    int port;
    int tls;
    const char *ca_file;       /* verify chain + host name against this CA (AmtTLSCA) */
    const unsigned char *pin;  /* 32-byte SHA-256 of the leaf certificate DER, or NULL */
    int insecure;              /* AmtTLSInsecure: explicit opt-out of all verification */
    int legacy;                /* AmtTLSLegacy: TLS 1.0/1.1 firmware (amt_tls.h) */
    const char *user;
    const char *password;      /* handed to libcurl only; never copied into messages */
    long timeout_ms;           /* bounds connect and the whole exchange */
    size_t max_reply;          /* 0 = WSMAN_HTTP_MAX_REPLY */
} wsman_http_config;

typedef enum {
    WSMAN_HTTP_OK = 0,
    WSMAN_HTTP_UNREACHABLE = -1, /* resolve/connect failure, timeout, connection dropped */
    WSMAN_HTTP_TLS = -2,         /* handshake, verification or pin failure */
    WSMAN_HTTP_TOO_BIG = -3,     /* reply exceeded max_reply */
    WSMAN_HTTP_ERROR = -4        /* anything else (setup failure, bad HTTP) */
} wsman_http_rc;

typedef struct wsman_http wsman_http;

/* NULL on allocation/setup failure (err says why). Copies what it needs from cfg. */
wsman_http *wsman_http_new(const wsman_http_config *cfg, char *err, size_t errlen);
void wsman_http_free(wsman_http *h);

/* One POST of body; on WSMAN_HTTP_OK the status, content type and body of the final
 * response (after digest negotiation) are available below until the next post.
 * err never contains credentials. */
int wsman_http_post(wsman_http *h, const char *body, size_t len, char *err, size_t errlen);

long wsman_http_status(const wsman_http *h);
const char *wsman_http_body(const wsman_http *h, size_t *len);
const char *wsman_http_content_type(const wsman_http *h); /* "" if none */
const char *wsman_http_server(const wsman_http *h);       /* Server: header, "" if none */

/* Number of TCP connections opened so far (tests check connection handling). */
long wsman_http_connects(const wsman_http *h);

/* "TLSv1.2 <cipher>" negotiated on the current/last connection; "" for plain HTTP or
 * before the first handshake. */
const char *wsman_http_tls(const wsman_http *h);

#endif
