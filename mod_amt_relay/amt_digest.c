/* amt_digest: see amt_digest.h. MD5 through OpenSSL EVP (not the deprecated MD5_*
 * API) so it keeps building with OpenSSL 3. */
#include "amt_digest.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char HEX[] = "0123456789abcdef";

/* MD5 over the parts joined by ':' -> 32 hex digits. */
static int md5hex_join(char out[AMT_DIGEST_HEX + 1], const amt_str *parts, size_t nparts)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;

    if (!ctx)
        return -1;
    ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (size_t i = 0; ok && i < nparts; i++) {
        if (i)
            ok = EVP_DigestUpdate(ctx, ":", 1);
        if (ok && parts[i].n)
            ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].n);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    out[AMT_DIGEST_HEX] = '\0';
    return 0;
}

static int ha1_ha2(char ha1[AMT_DIGEST_HEX + 1], char ha2[AMT_DIGEST_HEX + 1], amt_str user,
                   amt_str realm, amt_str password, amt_str uri)
{
    amt_str a1[3] = { user, realm, password };
    amt_str a2[2] = { amt_s("POST"), uri };
    int rc = md5hex_join(ha1, a1, 3);
    return rc ? rc : md5hex_join(ha2, a2, 2);
}

int amt_digest_rfc2617(char out[AMT_DIGEST_HEX + 1], amt_str user, amt_str realm,
                       amt_str password, amt_str nonce, amt_str nc, amt_str cnonce,
                       amt_str qop, amt_str uri)
{
    char ha1[AMT_DIGEST_HEX + 1], ha2[AMT_DIGEST_HEX + 1];
    int rc = ha1_ha2(ha1, ha2, user, realm, password, uri);
    if (rc == 0) {
        amt_str r[6] = { { ha1, AMT_DIGEST_HEX }, nonce, nc, cnonce, qop, { ha2, AMT_DIGEST_HEX } };
        rc = md5hex_join(out, r, 6);
    }
    /* HA1 is password-equivalent: do not leave it on the stack */
    OPENSSL_cleanse(ha1, sizeof(ha1));
    return rc;
}

int amt_digest_rfc2069(char out[AMT_DIGEST_HEX + 1], amt_str user, amt_str realm,
                       amt_str password, amt_str nonce, amt_str uri)
{
    char ha1[AMT_DIGEST_HEX + 1], ha2[AMT_DIGEST_HEX + 1];
    int rc = ha1_ha2(ha1, ha2, user, realm, password, uri);
    if (rc == 0) {
        amt_str r[3] = { { ha1, AMT_DIGEST_HEX }, nonce, { ha2, AMT_DIGEST_HEX } };
        rc = md5hex_join(out, r, 3);
    }
    OPENSSL_cleanse(ha1, sizeof(ha1));
    return rc;
}

int amt_digest_cnonce(char *out, size_t n)
{
    unsigned char rnd[64];
    size_t bytes = (n + 1) / 2;
    if (bytes > sizeof(rnd) || RAND_bytes(rnd, (int)bytes) != 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = HEX[(rnd[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
    out[n] = '\0';
    return 0;
}
