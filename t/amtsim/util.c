/* Small helpers: time, logging, randomness, MD5, a growable string buffer. */
#include "amtsim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && !g_stop)
        ;
}

void logmsg(const struct device *d, const char *fmt, ...)
{
    if (!g_sim.verbose)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "amtsim[%s]: %s\n", d ? d->addr : "-", buf);
}

void rand_bytes(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        /* OpenSSL's CSPRNG never fails on Linux in practice; abort rather than hand out weak nonces */
        fprintf(stderr, "amtsim: RAND_bytes failed\n");
        abort();
    }
}

void md5_hex(const char *s, size_t n, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(s, n, md, &mdlen, EVP_md5(), NULL);
    for (unsigned i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[32] = 0;
}

void sb_init(struct sbuf *b) { memset(b, 0, sizeof *b); }
void sb_free(struct sbuf *b) { free(b->p); memset(b, 0, sizeof *b); }

void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void sb_puts(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

void sb_xml(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '&': sb_puts(b, "&amp;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        default: sb_add(b, s, 1);
        }
    }
}

/* 32 characters of the base64 alphabet, the shape of AMT's digest nonces */
void make_nonce(char out[40])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[32];
    rand_bytes(r, sizeof r);
    for (int i = 0; i < 32; i++)
        out[i] = b64[r[i] & 63];
    out[32] = 0;
}
