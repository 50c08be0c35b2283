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
