/* Compact JWS HS256 redirection tokens (see rf_token.h for the why).
 *
 * Verification is deliberately narrow: we only ever issue one header, so the
 * header must be byte-for-byte that header. That closes the classic JWT holes
 * (alg "none", RS/HS confusion, "crit", "jku"/"kid" games) without parsing it. */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "rf_token.h"

#include <ctype.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* base64url('{"alg":"HS256","typ":"JWT"}') */
static const char jws_header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int rf_b64url_encode(const unsigned char *in, size_t inlen, char *out, size_t outlen)
{
    size_t need = (inlen / 3) * 4 + ((inlen % 3) ? (inlen % 3) + 1 : 0);
    size_t i, o = 0;
    if (outlen < need + 1)
        return -1;
    for (i = 0; i + 2 < inlen; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (inlen - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
    } else if (inlen - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = b64url_alphabet[(v >> 18) & 63];
        out[o++] = b64url_alphabet[(v >> 12) & 63];
        out[o++] = b64url_alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return (int)o;
}

static int b64url_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '-') return 62;
    if (ch == '_') return 63;
    return -1;
}

int rf_b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
    size_t o = 0, i;
    uint32_t acc = 0;
    int bits = 0;
    if (inlen % 4 == 1)
        return -1; /* impossible length */
    for (i = 0; i < inlen; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outlen)
                return -1;
            out[o++] = (unsigned char)((acc >> bits) & 0xFF);
        }
    }
    /* Leftover bits must be zero: one encoding per value (no malleability). */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (int)o;
}

int rf_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char buf[64];
    if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[buf[i] >> 4];
        out[2 * i + 1] = hex[buf[i] & 15];
    }
    out[2 * n] = '\0';
    OPENSSL_cleanse(buf, sizeof(buf));
    return 0;
}

static int hmac_b64(const unsigned char key[RF_TOKEN_KEY_LEN], const char *data, size_t len,
                    char out[44])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), key, RF_TOKEN_KEY_LEN, (const unsigned char *)data, len, mac, &maclen)
        || maclen != 32)
        return -1;
    return rf_b64url_encode(mac, 32, out, 44) == 43 ? 0 : -1;
}

static int printable(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int is_hex(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

static int claims_valid(const rf_token_claims *c)
{
    return printable(c->sys, 36) && strlen(c->sys) == 36 &&
           (strcmp(c->mode, "kvm") == 0 || strcmp(c->mode, "sol") == 0) &&
           is_hex(c->sid, 32) && is_hex(c->jti, 32) && is_hex(c->iss, 32) && printable(c->sub, 64) &&
           c->iat > 0 && c->exp > c->iat;
}

int rf_token_sign(const unsigned char key[RF_TOKEN_KEY_LEN], const rf_token_claims *c,
                  char *out, size_t outlen)
{
    json_t *o;
    char *payload;
    char buf[RF_TOKEN_MAX_LEN];
    char sig[44];
    int n, len;

    if (!claims_valid(c))
        return -1;
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "aud", RF_TOKEN_AUDIENCE,
                  "iss", c->iss, "sys", c->sys, "mode", c->mode, "sid", c->sid, "sub", c->sub,
                  "jti", c->jti, "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp);
    if (!o)
        return -1;
    payload = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!payload)
        return -1;
    n = snprintf(buf, sizeof(buf), "%s.", jws_header_b64);
    len = rf_b64url_encode((const unsigned char *)payload, strlen(payload), buf + n,
                           sizeof(buf) - (size_t)n);
    free(payload);
    if (len < 0)
        return -1;
    n += len;
    if (hmac_b64(key, buf, (size_t)n, sig) != 0)
        return -1;
    if ((size_t)n + 1 + 43 + 1 > outlen || (size_t)n + 1 + 43 >= RF_TOKEN_MAX_LEN)
        return -1;
    memcpy(out, buf, (size_t)n);
    out[n] = '.';
    memcpy(out + n + 1, sig, 44); /* includes NUL */
    return n + 1 + 43;
}

static int copy_str(json_t *o, const char *name, char *dst, size_t dstlen)
{
    json_t *v = json_object_get(o, name);
    const char *s;
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || strlen(s) >= dstlen) /* no embedded NULs */
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static int copy_int(json_t *o, const char *name, int64_t *dst)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v))
        return -1;
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

rf_token_result rf_token_verify(const unsigned char key[RF_TOKEN_KEY_LEN], const char *token,
                                int64_t now, rf_token_claims *c)
{
    const char *dot1, *dot2;
    size_t len, hlen = sizeof(jws_header_b64) - 1;
    char want[44];
    unsigned char payload[RF_TOKEN_MAX_LEN];
    int plen;
    json_t *o;
    json_error_t jerr;
    rf_token_claims tmp;
    int bad;

    if (!token || !key)
        return RF_TOKEN_BAD;
    len = strnlen(token, RF_TOKEN_MAX_LEN + 1);
    if (len > RF_TOKEN_MAX_LEN)
        return RF_TOKEN_BAD;
    if (len < hlen + 1 || memcmp(token, jws_header_b64, hlen) != 0 || token[hlen] != '.')
        return RF_TOKEN_BAD;
    dot1 = token + hlen;
    dot2 = strchr(dot1 + 1, '.');
    if (!dot2 || strchr(dot2 + 1, '.') || strlen(dot2 + 1) != 43)
        return RF_TOKEN_BAD;
    if (hmac_b64(key, token, (size_t)(dot2 - token), want) != 0)
        return RF_TOKEN_BAD;
    /* Constant time: the comparison must not leak how much of a forgery is right. */
    if (CRYPTO_memcmp(want, dot2 + 1, 43) != 0)
        return RF_TOKEN_BAD;

    plen = rf_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof(payload) - 1);
    if (plen <= 0)
        return RF_TOKEN_BAD;
    o = json_loadb((const char *)payload, (size_t)plen, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return RF_TOKEN_BAD;
    }
    memset(&tmp, 0, sizeof(tmp));
    {
        char aud[16];
        bad = copy_str(o, "aud", aud, sizeof(aud)) || strcmp(aud, RF_TOKEN_AUDIENCE) != 0 ||
              copy_str(o, "sys", tmp.sys, sizeof(tmp.sys)) ||
              copy_str(o, "mode", tmp.mode, sizeof(tmp.mode)) ||
              copy_str(o, "sid", tmp.sid, sizeof(tmp.sid)) ||
              copy_str(o, "sub", tmp.sub, sizeof(tmp.sub)) ||
              copy_str(o, "jti", tmp.jti, sizeof(tmp.jti)) || copy_int(o, "iat", &tmp.iat) ||
              copy_int(o, "exp", &tmp.exp) || copy_str(o, "iss", tmp.iss, sizeof(tmp.iss)) ||
              json_object_size(o) != 9 || !claims_valid(&tmp);
    }
    json_decref(o);
    if (bad)
        return RF_TOKEN_BAD;
    *c = tmp;
    return now >= tmp.exp ? RF_TOKEN_EXPIRED : RF_TOKEN_VALID;
}
