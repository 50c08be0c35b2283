/* ws_handshake: see ws_handshake.h. */
#include "ws_handshake.h"

#include <ctype.h>
#include <strings.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int b64char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

int ws_key_valid(const char *key)
{
    /* 16 bytes -> 22 significant characters + "==" */
    if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
        return 0;
    for (int i = 0; i < 22; i++)
        if (!b64char((unsigned char)key[i]))
            return 0;
    /* the last significant character carries 2 bits of data: the low 4 must be 0 */
    return strchr("AQgw", key[21]) != NULL;
}

int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    int ok;

    if (!key)
        return -1;
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
         EVP_DigestUpdate(ctx, key, strlen(key)) &&
         EVP_DigestUpdate(ctx, WS_GUID, sizeof(WS_GUID) - 1) &&
         EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (!ok || mdlen != SHA_DIGEST_LENGTH)
        return -1;
    return EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH) == WS_ACCEPT_LEN ? 0 : -1;
}

int ws_header_has_token(const char *value, const char *token)
{
    size_t tlen = token ? strlen(token) : 0;
    const char *p = value;
    if (!value || !tlen)
        return 0;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0)
            return 1;
    }
    return 0;
}

int ws_single_subprotocol(const char *value, char *out, size_t outlen)
{
    const char *s, *e;
    if (!value)
        return -1;
    s = value;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e == s)
        return -1;
    for (const char *p = s; p < e; p++) {
        if (*p == ',')
            return -2;
        /* RFC 6455 subprotocol = RFC 2616 token: visible ASCII minus separators.
         * A JWS uses only base64url and dots, which all pass. */
        if (!isgraph((unsigned char)*p) || strchr("()<>@;:\\\"/[]?={}", *p))
            return -3;
    }
    if ((size_t)(e - s) >= outlen)
        return -3;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return 0;
}

/* Splits "host[:port]" (host may be a bracketed IPv6 literal) into its host part and
 * port; default_port when there is none. 0 on success, -1 if malformed. */
static int split_hostport(const char *hp, size_t len, const char **host, size_t *hlen,
                          unsigned *port, unsigned default_port)
{
    const char *end = hp + len, *colon = NULL;
    if (len == 0)
        return -1;
    if (hp[0] == '[') {
        const char *rb = memchr(hp, ']', len);
        if (!rb)
            return -1;
        *host = hp;
        *hlen = (size_t)(rb - hp) + 1;
        if (rb + 1 < end) {
            if (rb[1] != ':')
                return -1;
            colon = rb + 1;
        }
    } else {
        colon = memchr(hp, ':', len);
        *host = hp;
        *hlen = colon ? (size_t)(colon - hp) : len;
    }
    if (*hlen == 0)
        return -1;
    for (size_t i = 0; i < *hlen; i++) {
        unsigned char ch = (unsigned char)(*host)[i];
        if (ch <= ' ' || ch == '/' || ch == '@' || ch == '?' || ch == '#' || ch >= 0x7f)
            return -1;
    }
    if (!colon) {
        *port = default_port;
        return 0;
    }
    unsigned v = 0;
    const char *p = colon + 1;
    if (p == end || end - p > 5)
        return -1;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = v;
    return 0;
}

int ws_origin_matches_host(const char *origin, const char *host_header)
{
    unsigned defport, oport, hport;
    const char *rest, *oh, *hh;
    size_t ohl, hhl;
    if (!origin || !host_header)
        return 0;
    if (!strncasecmp(origin, "https://", 8)) {
        defport = 443;
        rest = origin + 8;
    } else if (!strncasecmp(origin, "http://", 7)) {
        defport = 80;
        rest = origin + 7;
    } else {
        return 0; /* "null", file:, chrome-extension:, ... */
    }
    if (split_hostport(rest, strlen(rest), &oh, &ohl, &oport, defport) != 0 ||
        split_hostport(host_header, strlen(host_header), &hh, &hhl, &hport, defport) != 0)
        return 0;
    return ohl == hhl && !strncasecmp(oh, hh, ohl) && oport == hport;
}
