/* libcurl transport for WS-Man (see wsman_http.h). */
#include "wsman_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errno.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "amt_tls.h"

struct wsman_http {
    CURL *curl;
    /* Owned copies of the settings, to re-apply them after curl_easy_reset(). */
    char *ca_file, *user, *password, *host;
    int tls;
    long timeout_ms;
    int had_success;           /* a request was authorised on this handle before */
    struct curl_slist *headers;
    char url[300];
    unsigned char pin[32];
    amt_tls_policy policy;     /* points into the fields above */
    amt_tls_conn tls_conn;     /* what the last TLS handshake did */
    char tls_setup_err[160];   /* why the policy could not be applied, if it could not */
    size_t max_reply;
    int too_big;
    char *body;                /* reply of the current response, NUL-terminated */
    size_t body_len, body_cap;
    long status;
    long connects;
    char content_type[128];
    char server[128];
    char curl_err[CURL_ERROR_SIZE];
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen,
                                                          const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- response capture --------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    wsman_http *h = ud;
    size_t n = size * nmemb;
    if (n > h->max_reply || h->body_len + n > h->max_reply) {
        h->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (h->body_len + n + 1 > h->body_cap) {
        size_t cap = h->body_cap ? h->body_cap : 8192;
        while (cap < h->body_len + n + 1)
            cap *= 2;
        char *nb = realloc(h->body, cap);
        if (!nb)
            return 0;
        h->body = nb;
        h->body_cap = cap;
    }
    memcpy(h->body + h->body_len, ptr, n);
    h->body_len += n;
    h->body[h->body_len] = '\0';
    return n;
}

static void copy_header_value(const char *v, size_t n, char *out, size_t outlen)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

/* Every response (the 401 of the digest negotiation, then the real one) starts with a
 * status line: reset what we captured so only the final response remains. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    wsman_http *h = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        h->body_len = 0;
        if (h->body)
            h->body[0] = '\0';
        h->content_type[0] = h->server[0] = '\0';
    } else if (n > 13 && strncasecmp(ptr, "Content-Type:", 13) == 0) {
        copy_header_value(ptr + 13, n - 13, h->content_type, sizeof h->content_type);
    } else if (n > 7 && strncasecmp(ptr, "Server:", 7) == 0) {
        copy_header_value(ptr + 7, n - 7, h->server, sizeof h->server);
    }
    return n;
}

/* ---- TLS ----------------------------------------------------------------- */

/* libcurl hands over each new connection's SSL_CTX here; the shared policy
 * (amt_tls.h) then decides everything: versions, ciphers, trust, host name, pin. Its
 * verify callback runs inside the handshake, so a refused certificate ends the
 * connection before a single HTTP byte (and so any Authorization header) is written. */
static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *ud)
{
    (void)curl;
    wsman_http *h = ud;
    if (amt_tls_configure(ssl_ctx, &h->policy, &h->tls_conn, h->tls_setup_err,
                          sizeof h->tls_setup_err) != 0)
        return CURLE_SSL_CONNECT_ERROR;
    return CURLE_OK;
}

static int setup_tls(wsman_http *h, char *err, size_t errlen)
{
    CURL *c = h->curl;
    /* curl's own checks are off: the policy's callback does them (and more) */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    /* A resumed session skips certificate verification: always do a full handshake. */
    curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    if (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h) != CURLE_OK) {
        /* Fail closed: without the callback nothing would be verified. */
        set_err(err, errlen, "TLS to AMT needs libcurl built with OpenSSL");
        return -1;
    }
    return 0;
}

/* Sets every option on h->curl (at creation and after curl_easy_reset()). */
static int apply_options(wsman_http *h, char *err, size_t errlen)
{
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
    rc |= curl_easy_setopt(c, CURLOPT_URL, h->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    rc |= curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threaded MPMs: no SIGALRM */
    rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
    rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    /* Keep the connection between the calls of one sequence (as MeshCommander does: one
     * socket, one request at a time), but never reuse a socket idle for more than 5 s:
     * AMT drops idle sockets (MeshCommander uses 6 s) and closes after every 401. */
    rc |= curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, 5L);
    rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    /* Digest only: curl keeps the realm/nonce in this handle and answers later requests
     * directly with nc+1, like DMT (spec §1.4); it re-negotiates on a 401 stale nonce. */
    rc |= curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
    rc |= curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
    rc |= curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
    rc |= curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (rc != CURLE_OK) {
        set_err(err, errlen, "cannot configure libcurl");
        return -1;
    }
    return h->tls ? setup_tls(h, err, errlen) : 0;
}

/* ---- life cycle ---------------------------------------------------------- */

wsman_http *wsman_http_new(const wsman_http_config *cfg, char *err, size_t errlen)
{
    if (!cfg->host || !*cfg->host || cfg->port <= 0 || cfg->port > 65535) {
        set_err(err, errlen, "invalid host or port");
        return NULL;
    }
    wsman_http *h = calloc(1, sizeof *h);
    if (!h) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    h->max_reply = cfg->max_reply ? cfg->max_reply : WSMAN_HTTP_MAX_REPLY;
    int v6 = strchr(cfg->host, ':') != NULL;
    if ((size_t)snprintf(h->url, sizeof h->url, "%s://%s%s%s:%d/wsman",
                         cfg->tls ? "https" : "http", v6 ? "[" : "", cfg->host, v6 ? "]" : "",
                         cfg->port) >= sizeof h->url) {
        set_err(err, errlen, "host name too long");
        goto fail;
    }
    h->tls = cfg->tls;
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    h->user = strdup(cfg->user ? cfg->user : "");
    h->password = strdup(cfg->password ? cfg->password : "");
    h->host = strdup(cfg->host);
    h->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
    if (cfg->pin)
        memcpy(h->pin, cfg->pin, 32);
    h->policy = (amt_tls_policy){.host = h->host, .ca_file = h->ca_file,
                                 .pin = cfg->pin ? h->pin : NULL, .insecure = cfg->insecure,
                                 .legacy = cfg->legacy};
    h->tls_conn.alert = -1;
    h->curl = curl_easy_init();
    h->headers = curl_slist_append(NULL, "Content-Type: application/soap+xml; charset=utf-8");
    struct curl_slist *more = h->headers ? curl_slist_append(h->headers, "Expect:") : NULL;
    if (!h->curl || !more || !h->user || !h->password || !h->host ||
        (cfg->ca_file && !h->ca_file)) {
        set_err(err, errlen, "cannot initialise libcurl");
        goto fail;
    }
    h->headers = more;
    if (apply_options(h, err, errlen) != 0)
        goto fail;
    return h;
fail:
    wsman_http_free(h);
    return NULL;
}

void wsman_http_free(wsman_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    free(h->body);
    free(h->user);
    free(h->host);
    free(h->ca_file);
    if (h->password) {
        OPENSSL_cleanse(h->password, strlen(h->password));
        free(h->password);
    }
    OPENSSL_cleanse(h->pin, sizeof h->pin);
    free(h);
}

/* ---- one exchange -------------------------------------------------------- */

static int map_curl_error(wsman_http *h, CURLcode cc, char *err, size_t errlen)
{
    const char *detail = h->curl_err[0] ? h->curl_err : curl_easy_strerror(cc);
    const amt_tls_conn *tc = &h->tls_conn;
    if (h->tls && h->tls_setup_err[0]) {
        set_err(err, errlen, "TLS set-up failed: %s", h->tls_setup_err);
        return WSMAN_HTTP_TLS;
    }
    if (h->tls && !tc->handshake_done && (tc->pin_mismatch || tc->verify_error || tc->alert >= 0)) {
        /* the policy saw the handshake fail: its words (pin, trust, AmtTLSLegacy hint) */
        char why[320];
        amt_tls_failure(tc, detail, why, sizeof why);
        set_err(err, errlen, "TLS failure: %s", why);
        return WSMAN_HTTP_TLS;
    }
    if (h->too_big) {
        set_err(err, errlen, "reply larger than the limit");
        return WSMAN_HTTP_TOO_BIG;
    }
    long os_errno = 0;
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (cc == CURLE_COULDNT_CONNECT && !h->tls && os_errno == ECONNREFUSED) {
        set_err(err, errlen, "device unreachable: %s (%s)", detail, AMT_TLS_PLAIN_REFUSED_HINT);
        return WSMAN_HTTP_UNREACHABLE;
    }
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        set_err(err, errlen, "device unreachable: %s", detail);
        return WSMAN_HTTP_UNREACHABLE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
        set_err(err, errlen, "TLS failure: %s", detail);
        return WSMAN_HTTP_TLS;
    default:
        set_err(err, errlen, "HTTP exchange failed: %s", detail);
        return WSMAN_HTTP_ERROR;
    }
}

static int perform(wsman_http *h, const char *body, size_t len, char *err, size_t errlen)
{
    h->status = 0;
    h->body_len = 0;
    if (h->body)
        h->body[0] = '\0';
    h->content_type[0] = h->server[0] = h->curl_err[0] = '\0';
    h->too_big = 0;
    h->tls_setup_err[0] = '\0';
    if (!h->tls_conn.handshake_done) /* a kept connection keeps its record */
        memset(&h->tls_conn, 0, sizeof h->tls_conn), h->tls_conn.alert = -1;
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode cc = curl_easy_perform(h->curl);
    long nconn = 0;
    if (curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
        h->connects += nconn;
    if (cc != CURLE_OK)
        return map_curl_error(h, cc, err, errlen);
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
    return WSMAN_HTTP_OK;
}

int wsman_http_post(wsman_http *h, const char *body, size_t len, char *err, size_t errlen)
{
    int rc = perform(h, body, len, err, errlen);
    if (rc == WSMAN_HTTP_OK && h->status == 401 && h->had_success) {
        /* The cached nonce was refused without stale="true" (libcurl then gives up). Do
         * what DMT does (spec §1.4): forget the challenge and negotiate afresh, once. */
        curl_easy_reset(h->curl);
        if (apply_options(h, err, errlen) != 0)
            return WSMAN_HTTP_ERROR;
        h->had_success = 0;
        rc = perform(h, body, len, err, errlen);
    }
    if (rc == WSMAN_HTTP_OK && h->status != 401)
        h->had_success = 1;
    return rc;
}

long wsman_http_status(const wsman_http *h) { return h->status; }

const char *wsman_http_body(const wsman_http *h, size_t *len)
{
    *len = h->body_len;
    return h->body ? h->body : "";
}

const char *wsman_http_content_type(const wsman_http *h) { return h->content_type; }
const char *wsman_http_server(const wsman_http *h) { return h->server; }
long wsman_http_connects(const wsman_http *h) { return h->connects; }
const char *wsman_http_tls(const wsman_http *h) { return h->tls ? h->tls_conn.negotiated : ""; }
