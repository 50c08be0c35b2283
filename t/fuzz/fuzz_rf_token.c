/* libFuzzer target: redirection tokens of mod_redfish_amt (rf_token.c).
 *
 * 1. The input, as a C string, is verified with a fixed key at a fixed time. Anything
 *    that verifies must carry claims that satisfy the documented constraints, must not
 *    verify under another key, and its claims must re-sign into a token that verifies
 *    to the same claims.
 * 2. The input is turned into claims (byte 0 bit 1 set: sanitised into valid ranges, so
 *    signing must succeed; clear: raw '\n'-separated fields, signing may refuse) and
 *    signed. A produced token must fit, be NUL-terminated, verify to the same claims
 *    (VALID before exp, EXPIRED from exp on), fail under another key, and fail after
 *    a single-byte change at EVERY position (XOR or base64url-alphabet substitution),
 *    truncation or extension. Signing into a buffer one byte too small must refuse and
 *    must not write past it.
 * 3. base64url: decode(x) succeeding implies encode(decode(x)) == x (one encoding per
 *    value), and decode(encode(x)) == x. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_rf_token: check failed at line %d: %s\n", __LINE__,       \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* Same fixed key and clock as t/unit/test_token.c, so its tokens are useful seeds. */
static const unsigned char KEY[RF_TOKEN_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char OTHER_KEY[RF_TOKEN_KEY_LEN] = "fedcba9876543210fedcba9876543210";
#define NOW 1000010

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char HEX[] = "0123456789abcdef";

static int is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr(HEX, s[i]) || !s[i])
            return 0;
    return 1;
}

static int printable(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* The claim constraints documented in rf_token.h. */
static void check_claims(const rf_token_claims *c)
{
    CHECK(memchr(c->sys, 0, sizeof c->sys) && strlen(c->sys) == 36 && printable(c->sys, 36));
    CHECK(strcmp(c->mode, "kvm") == 0 || strcmp(c->mode, "sol") == 0);
    CHECK(is_lower_hex(c->sid, 32));
    CHECK(is_lower_hex(c->jti, 32));
    CHECK(is_lower_hex(c->iss, 32));
    CHECK(memchr(c->sub, 0, sizeof c->sub) && printable(c->sub, 64));
    CHECK(c->iat > 0 && c->exp > c->iat);
}

static int same_claims(const rf_token_claims *a, const rf_token_claims *b)
{
    return strcmp(a->sys, b->sys) == 0 && strcmp(a->mode, b->mode) == 0 &&
           strcmp(a->sid, b->sid) == 0 && strcmp(a->sub, b->sub) == 0 &&
           strcmp(a->jti, b->jti) == 0 && strcmp(a->iss, b->iss) == 0 && a->iat == b->iat && a->exp == b->exp;
}

static int accepted(rf_token_result r)
{
    return r == RF_TOKEN_VALID || r == RF_TOKEN_EXPIRED;
}

/* Everything a freshly signed token (tok, n bytes) for claims c must satisfy. */
static void check_signed(const rf_token_claims *c, const char *tok, int n, uint8_t delta,
                         uint8_t shift)
{
    rf_token_claims got;
    char bad[RF_TOKEN_MAX_LEN + 2];

    CHECK(n > 0 && n <= RF_TOKEN_MAX_LEN && strlen(tok) == (size_t)n);
    memset(&got, 0, sizeof got);
    CHECK(rf_token_verify(KEY, tok, c->iat, &got) == RF_TOKEN_VALID);
    CHECK(same_claims(c, &got));
    CHECK(rf_token_verify(KEY, tok, c->exp - 1, &got) == RF_TOKEN_VALID);
    memset(&got, 0, sizeof got);
    CHECK(rf_token_verify(KEY, tok, c->exp, &got) == RF_TOKEN_EXPIRED);
    CHECK(same_claims(c, &got));
    CHECK(rf_token_verify(OTHER_KEY, tok, c->iat, &got) == RF_TOKEN_BAD);

    /* any single-byte change fails */
    if (!delta)
        delta = 1;
    shift = (uint8_t)(shift % 63 + 1);
    for (int i = 0; i < n; i++) {
        memcpy(bad, tok, (size_t)n + 1);
        /* One change per position (keeps the target fast): XOR with delta, or a
         * substitution inside the base64url alphabet so that the decoder's character
         * checks are not what saves us; which one alternates with i and the input. */
        if ((i + delta) & 1) {
            bad[i] = (char)(bad[i] ^ delta);
        } else {
            const char *p = strchr(B64, tok[i]);
            bad[i] = p ? B64[((p - B64) + shift) % 64] : B64[shift];
        }
        if (accepted(rf_token_verify(KEY, bad, c->iat, &got))) {
            fprintf(stderr, "single-byte change at %d (0x%02x -> 0x%02x) accepted: %s\n", i,
                    (unsigned char)tok[i], (unsigned char)bad[i], bad);
            CHECK(!"single-byte change accepted");
        }
    }
    /* truncated / extended */
    memcpy(bad, tok, (size_t)n + 1);
    bad[n - 1] = '\0';
    CHECK(!accepted(rf_token_verify(KEY, bad, c->iat, &got)));
    memcpy(bad, tok, (size_t)n);
    bad[n] = B64[shift];
    bad[n + 1] = '\0';
    CHECK(!accepted(rf_token_verify(KEY, bad, c->iat, &got)));

    /* deterministic, and refuses (without overflowing) a buffer one byte too small */
    char again[RF_TOKEN_MAX_LEN + 16];
    CHECK(rf_token_sign(KEY, c, again, sizeof again) == n && strcmp(again, tok) == 0);
    memset(again, 'Z', sizeof again);
    CHECK(rf_token_sign(KEY, c, again, (size_t)n) == -1);
    for (size_t i = (size_t)n; i < sizeof again; i++)
        CHECK(again[i] == 'Z');
}

static size_t take(const uint8_t **p, size_t *left, uint8_t *out, size_t want)
{
    size_t k = *left < want ? *left : want;
    memcpy(out, *p, k);
    memset(out + k, 0, want - k);
    *p += k;
    *left -= k;
    return k;
}

/* Valid-range claims from arbitrary bytes (signing must succeed). */
static void sanitised_claims(const uint8_t *p, size_t left, rf_token_claims *c)
{
    uint8_t b[64];
    memset(c, 0, sizeof *c);
    strcpy(c->mode, (p[0] & 1) ? "kvm" : "sol");
    p++;
    left--;
    take(&p, &left, b, 16);
    for (int i = 0, o = 0; i < 16; i++) {
        if (o == 8 || o == 13 || o == 18 || o == 23)
            c->sys[o++] = '-';
        c->sys[o++] = HEX[b[i] >> 4];
        c->sys[o++] = HEX[b[i] & 15];
    }
    take(&p, &left, b, 16);
    for (int i = 0; i < 16; i++) {
        c->sid[2 * i] = HEX[b[i] >> 4];
        c->sid[2 * i + 1] = HEX[b[i] & 15];
    }
    take(&p, &left, b, 16);
    for (int i = 0; i < 16; i++) {
        c->jti[2 * i] = HEX[b[i] >> 4];
        c->jti[2 * i + 1] = HEX[b[i] & 15];
    }
    take(&p, &left, b, 16);
    for (int i = 0; i < 16; i++) {
        c->iss[2 * i] = HEX[b[i] >> 4];
        c->iss[2 * i + 1] = HEX[b[i] & 15];
    }
    uint64_t iat = 0, delta = 0;
    take(&p, &left, b, 8);
    for (int i = 0; i < 8; i++)
        iat = (iat << 8) | b[i];
    take(&p, &left, b, 4);
    for (int i = 0; i < 4; i++)
        delta = (delta << 8) | b[i];
    iat &= INT64_MAX;
    delta += 1;
    if (iat == 0)
        iat = 1;
    if (iat > (uint64_t)INT64_MAX - delta)
        iat = (uint64_t)INT64_MAX - delta;
    c->iat = (int64_t)iat;
    c->exp = (int64_t)(iat + delta);
    /* sub: printable ASCII including '"' and '\\' (JSON escaping), 1..64 bytes */
    size_t k = take(&p, &left, b, 64);
    if (k == 0)
        b[k++] = 'u';
    for (size_t i = 0; i < k; i++)
        c->sub[i] = (char)(0x20 + b[i] % 95);
    c->sub[k] = '\0';
}

/* Raw claims: fields separated by '\n', copied unchecked (bounded); signing may refuse. */
static void raw_claims(const uint8_t *p, size_t left, rf_token_claims *c)
{
    char *fields[6];
    size_t caps[6];
    memset(c, 0, sizeof *c);
    fields[0] = c->sys, caps[0] = sizeof c->sys;
    fields[1] = c->mode, caps[1] = sizeof c->mode;
    fields[2] = c->sid, caps[2] = sizeof c->sid;
    fields[3] = c->sub, caps[3] = sizeof c->sub;
    fields[4] = c->jti, caps[4] = sizeof c->jti;
    fields[5] = c->iss, caps[5] = sizeof c->iss;
    int f = 0;
    size_t o = 0;
    size_t i = 1;
    for (; i < left && f < 6; i++) {
        if (p[i] == '\n') {
            f++;
            o = 0;
            continue;
        }
        if (o + 1 < caps[f])
            fields[f][o++] = (char)p[i];
    }
    int64_t v[2] = { 0, 0 };
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 8 && i < left; j++, i++)
            v[k] = (int64_t)(((uint64_t)v[k] << 8) | p[i]);
    c->iat = v[0];
    c->exp = v[1];
}

static void b64_roundtrip(const uint8_t *data, size_t size)
{
    static unsigned char dec[4096];
    static char enc[8192];
    size_t n = size < 3000 ? size : 3000;
    int d = rf_b64url_decode((const char *)data, n, dec, sizeof dec);
    if (d >= 0) {
        CHECK((size_t)d <= n);
        int e = rf_b64url_encode(dec, (size_t)d, enc, sizeof enc);
        CHECK(e >= 0 && (size_t)e == n && memcmp(enc, data, n) == 0);
    }
    int e = rf_b64url_encode(data, n, enc, sizeof enc);
    CHECK(e >= 0 && strlen(enc) == (size_t)e);
    d = rf_b64url_decode(enc, (size_t)e, dec, sizeof dec);
    CHECK(d >= 0 && (size_t)d == n && memcmp(dec, data, n) == 0);
    /* an output buffer one byte short of the NUL is refused */
    CHECK(rf_b64url_encode(data, n, enc, (size_t)e) == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s[2 * RF_TOKEN_MAX_LEN + 1];
    rf_token_claims c, got;
    char tok[RF_TOKEN_MAX_LEN + 16];
    size_t n = size < sizeof s - 1 ? size : sizeof s - 1;

    /* 1. verify arbitrary strings */
    memcpy(s, data, n);
    s[n] = '\0';
    memset(&got, 0, sizeof got);
    rf_token_result r = rf_token_verify(KEY, s, NOW, &got);
    CHECK(r == RF_TOKEN_VALID || r == RF_TOKEN_BAD || r == RF_TOKEN_EXPIRED);
    if (accepted(r)) {
        check_claims(&got);
        CHECK((r == RF_TOKEN_EXPIRED) == (NOW >= got.exp));
        CHECK(strlen(s) <= RF_TOKEN_MAX_LEN);
        CHECK(rf_token_verify(OTHER_KEY, s, NOW, &c) == RF_TOKEN_BAD);
        int k = rf_token_sign(KEY, &got, tok, sizeof tok);
        CHECK(k > 0);
        CHECK(rf_token_verify(KEY, tok, NOW, &c) == r && same_claims(&c, &got));
    }

    /* 2. sign claims derived from the input, check the sign/verify invariants */
    if (size >= 1) {
        uint8_t delta = data[size - 1], shift = size >= 2 ? data[size - 2] : 7;
        if (data[0] & 2) {
            sanitised_claims(data, size, &c);
            int k = rf_token_sign(KEY, &c, tok, sizeof tok);
            CHECK(k > 0);
            check_signed(&c, tok, k, delta, shift);
        } else {
            raw_claims(data, size, &c);
            memset(tok, 'Z', sizeof tok);
            int k = rf_token_sign(KEY, &c, tok, sizeof tok);
            CHECK(k == -1 || k > 0);
            if (k > 0) {
                check_claims(&c); /* the signer must refuse what the verifier would */
                check_signed(&c, tok, k, delta, shift);
            }
        }
    }

    /* 3. base64url */
    b64_roundtrip(data, size);
    return 0;
}
