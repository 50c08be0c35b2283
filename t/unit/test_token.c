/* Unit tests for the redirection token codec (rf_token.c). */
#include <stdio.h>
#include <string.h>

#include "rf_token.h"
#include "tap.h"

static const unsigned char key[RF_TOKEN_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key[RF_TOKEN_KEY_LEN] = "fedcba9876543210fedcba9876543210";

static rf_token_claims sample(void)
{
    rf_token_claims c;
    memset(&c, 0, sizeof(c));
    strcpy(c.sys, "8c3f1e52-0000-4000-8000-000000000001");
    strcpy(c.mode, "kvm");
    strcpy(c.sid, "00112233445566778899aabbccddeeff");
    strcpy(c.sub, "operator");
    strcpy(c.jti, "ffeeddccbbaa99887766554433221100");
    strcpy(c.iss, "aabbccddeeff00112233445566778899");
    c.iat = 1000000;
    c.exp = 1000060;
    return c;
}

/* Builds header.payload.signature with an arbitrary header/payload, signed with key. */
#include <openssl/hmac.h>
#include <openssl/evp.h>
static void forge(const char *header_json, const char *payload_json, const unsigned char *k,
                  char *out, size_t outlen)
{
    char h[512], p[1024], sig[64];
    unsigned char mac[32];
    unsigned int maclen;
    char signing[1600];
    rf_b64url_encode((const unsigned char *)header_json, strlen(header_json), h, sizeof(h));
    rf_b64url_encode((const unsigned char *)payload_json, strlen(payload_json), p, sizeof(p));
    snprintf(signing, sizeof(signing), "%s.%s", h, p);
    HMAC(EVP_sha256(), k, RF_TOKEN_KEY_LEN, (unsigned char *)signing, strlen(signing), mac, &maclen);
    rf_b64url_encode(mac, 32, sig, sizeof(sig));
    snprintf(out, outlen, "%s.%s", signing, sig);
}

int main(void)
{
    char tok[RF_TOKEN_MAX_LEN], bad[4096];
    rf_token_claims c = sample(), got;
    int n;

    /* sign / verify round trip */
    n = rf_token_sign(key, &c, tok, sizeof(tok));
    ok(n > 0 && (size_t)n == strlen(tok), "sign returns the token length (%d)", n);
    is_int(rf_token_verify(key, tok, 1000010, &got), RF_TOKEN_VALID, "fresh token verifies");
    is_str(got.sys, c.sys, "sys claim round-trips");
    is_str(got.mode, "kvm", "mode claim round-trips");
    is_str(got.sid, c.sid, "sid claim round-trips");
    is_str(got.jti, c.jti, "jti claim round-trips");
    is_str(got.iss, c.iss, "iss claim round-trips");
    is_str(got.sub, "operator", "sub claim round-trips");
    is_int(got.exp, 1000060, "exp round-trips");

    /* expiry: exp is exclusive */
    is_int(rf_token_verify(key, tok, 1000060, &got), RF_TOKEN_EXPIRED, "expired at exp");
    is_int(rf_token_verify(key, tok, 2000000, &got), RF_TOKEN_EXPIRED, "expired later");

    /* wrong key */
    is_int(rf_token_verify(other_key, tok, 1000010, &got), RF_TOKEN_BAD, "other key refused");

    /* tampering: flip one character in each part */
    for (size_t i = 0; i < strlen(tok); i += 7) {
        strcpy(bad, tok);
        if (bad[i] == '.')
            continue;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        if (rf_token_verify(key, bad, 1000010, &got) != RF_TOKEN_BAD) {
            ok(0, "tampered byte %zu refused", i);
            goto tamper_done;
        }
    }
    ok(1, "every tampered position refused");
tamper_done:
    /* truncated signature, extra segment, trailing garbage */
    strcpy(bad, tok);
    bad[strlen(bad) - 1] = '\0';
    is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "truncated signature refused");
    snprintf(bad, sizeof(bad), "%s.x", tok);
    is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "extra segment refused");
    snprintf(bad, sizeof(bad), "%s ", tok);
    is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "trailing space refused");

    /* alg confusion: "none" with empty signature, HS512 header, "None" casing, signed correctly */
    {
        const char *payload =
            "{\"aud\":\"amt-relay\",\"exp\":1000060,\"iat\":1000000,\"iss\":\"aabbccddeeff00112233445566778899\",\"jti\":"
            "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
            "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
            "\"8c3f1e52-0000-4000-8000-000000000001\"}";
        char h[256], p[1024];
        rf_b64url_encode((const unsigned char *)"{\"alg\":\"none\",\"typ\":\"JWT\"}", 27, h, sizeof(h));
        rf_b64url_encode((const unsigned char *)payload, strlen(payload), p, sizeof(p));
        snprintf(bad, sizeof(bad), "%s.%s.", h, p);
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "alg none refused");
        forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "other alg header refused");
        forge("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", payload, key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD,
               "equivalent but non-canonical header refused");
        /* our header with a correct MAC: proves the forge helper itself is sound */
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_VALID, "forge helper is sound");
        /* a correctly signed token of another audience (e.g. some REST JWT) */
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"redfish\",\"exp\":1000060,\"iat\":1000000,\"iss\":\"aabbccddeeff00112233445566778899\",\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
              "\"8c3f1e52-0000-4000-8000-000000000001\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "other audience refused");
        /* signed, but a claim of the wrong type / missing / extra / bad mode */
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"amt-relay\",\"exp\":\"1000060\",\"iat\":1000000,\"iss\":\"aabbccddeeff00112233445566778899\",\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
              "\"8c3f1e52-0000-4000-8000-000000000001\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "string exp refused");
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"amt-relay\",\"exp\":1000060,\"iat\":1000000,\"iss\":\"aabbccddeeff00112233445566778899\",\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"ider\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
              "\"8c3f1e52-0000-4000-8000-000000000001\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "unknown mode refused");
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"amt-relay\",\"exp\":1000060,\"iat\":1000000,\"iss\":\"aabbccddeeff00112233445566778899\",\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "missing sys refused");
        /* the issuer is required, and only in the form we issue (lower-case hex) */
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"amt-relay\",\"exp\":1000060,\"iat\":1000000,\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
              "\"8c3f1e52-0000-4000-8000-000000000001\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "missing iss refused");
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
              "{\"aud\":\"amt-relay\",\"exp\":1000060,\"iat\":1000000,\"iss\":"
              "\"AABBCCDDEEFF00112233445566778899\",\"jti\":"
              "\"ffeeddccbbaa99887766554433221100\",\"mode\":\"kvm\",\"sid\":"
              "\"00112233445566778899aabbccddeeff\",\"sub\":\"x\",\"sys\":"
              "\"8c3f1e52-0000-4000-8000-000000000001\"}", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "upper-case iss refused");
        forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "[1,2,3]", key, bad, sizeof(bad));
        is_int(rf_token_verify(key, bad, 1000010, &got), RF_TOKEN_BAD, "non-object payload refused");
    }

    /* garbage */
    is_int(rf_token_verify(key, "", 1, &got), RF_TOKEN_BAD, "empty refused");
    is_int(rf_token_verify(key, NULL, 1, &got), RF_TOKEN_BAD, "NULL refused");
    is_int(rf_token_verify(key, "...", 1, &got), RF_TOKEN_BAD, "dots refused");
    is_int(rf_token_verify(key, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%%%.abc", 1, &got),
           RF_TOKEN_BAD, "bad base64 refused");
    memset(bad, 'A', sizeof(bad) - 1);
    bad[sizeof(bad) - 1] = '\0';
    is_int(rf_token_verify(key, bad, 1, &got), RF_TOKEN_BAD, "oversized refused");

    /* signing refuses bad claims */
    c = sample();
    strcpy(c.mode, "x");
    is_int(rf_token_sign(key, &c, tok, sizeof(tok)), -1, "sign refuses unknown mode");
    c = sample();
    c.iss[0] = '\0';
    is_int(rf_token_sign(key, &c, tok, sizeof(tok)), -1, "sign refuses a token without issuer");
    c = sample();
    c.exp = c.iat;
    is_int(rf_token_sign(key, &c, tok, sizeof(tok)), -1, "sign refuses exp <= iat");
    c = sample();
    is_int(rf_token_sign(key, &c, tok, 20), -1, "sign refuses a short buffer");

    /* base64url edge cases */
    {
        unsigned char out[8];
        is_int(rf_b64url_decode("QQ", 2, out, sizeof(out)), 1, "QQ decodes to 1 byte");
        is_int(rf_b64url_decode("QR", 2, out, sizeof(out)), -1, "non-canonical trailing bits refused");
        is_int(rf_b64url_decode("Q", 1, out, sizeof(out)), -1, "impossible length refused");
    }
    {
        char h1[33], h2[33];
        ok(rf_random_hex(h1, 16) == 0 && rf_random_hex(h2, 16) == 0 && strlen(h1) == 32 &&
               strcmp(h1, h2) != 0, "random ids are 32 hex digits and differ");
    }
    return tap_done();
}
