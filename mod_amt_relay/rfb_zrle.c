/* RFB ZRLE decoder (contract: rfb_zrle.h). */
#include "rfb_zrle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct rfb_zrle {
    z_stream zs;
    unsigned cpixel; /* bytes per CPIXEL: 1 or 2 */
    int broken;
    uint8_t *buf; /* one rectangle's inflated bytes */
    size_t cap;
};

rfb_zrle *rfb_zrle_new(unsigned cpixel_bytes)
{
    if (cpixel_bytes != 1 && cpixel_bytes != 2)
        return NULL;
    rfb_zrle *z = calloc(1, sizeof *z);
    if (z)
        z->cpixel = cpixel_bytes;
    if (z && inflateInit(&z->zs) != Z_OK) {
        free(z);
        z = NULL;
    }
    return z;
}

void rfb_zrle_free(rfb_zrle *z)
{
    if (!z)
        return;
    inflateEnd(&z->zs);
    free(z->buf);
    free(z);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reads from the inflated rectangle with bounds checks. */
struct rd {
    const uint8_t *p;
    size_t len, off;
    unsigned cpixel;
};

static int take(struct rd *r, size_t n, const uint8_t **out)
{
    if (r->len - r->off < n)
        return -1;
    *out = r->p + r->off;
    r->off += n;
    return 0;
}

static int cpixel(struct rd *r, uint16_t *px)
{
    const uint8_t *b;
    if (take(r, r->cpixel, &b))
        return -1;
    *px = r->cpixel == 2 ? (uint16_t)(b[0] | b[1] << 8) : b[0];
    return 0;
}

/* Run length: bytes of 255 continue, the last byte ends; the run is their sum + 1. */
static int run_length(struct rd *r, size_t *run, size_t max)
{
    size_t n = 1;
    const uint8_t *b;
    do {
        if (take(r, 1, &b))
            return -1;
        n += *b;
        if (n > max)
            return -1;
    } while (*b == 255);
    *run = n;
    return 0;
}

/* Inflates the rectangle's data (one sync-flushed piece of the connection's stream). */
static int inflate_rect(rfb_zrle *z, const uint8_t *data, size_t len, size_t limit, size_t *outlen,
                        char *err, size_t errlen)
{
    z->zs.next_in = (Bytef *)data;
    z->zs.avail_in = (uInt)len;
    size_t have = 0;
    for (;;) {
        if (have == z->cap) {
            if (z->cap >= limit)
                return fail(err, errlen, "inflated rectangle larger than %zu bytes", limit);
            size_t ncap = z->cap ? z->cap * 2 : 16384;
            if (ncap > limit)
                ncap = limit;
            uint8_t *nb = realloc(z->buf, ncap);
            if (!nb)
                return fail(err, errlen, "out of memory");
            z->buf = nb;
            z->cap = ncap;
        }
        z->zs.next_out = z->buf + have;
        z->zs.avail_out = (uInt)(z->cap - have);
        int rc = inflate(&z->zs, Z_SYNC_FLUSH);
        have = z->cap - z->zs.avail_out;
        if (rc == Z_STREAM_END)
            return fail(err, errlen, "zlib stream ended (ZRLE keeps one stream open)");
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return fail(err, errlen, "zlib: %s", z->zs.msg ? z->zs.msg : "error");
        if (z->zs.avail_in == 0 && z->zs.avail_out != 0)
            break; /* all input used and nothing more pending */
        if (rc == Z_BUF_ERROR && z->zs.avail_out != 0)
            return fail(err, errlen, "zlib made no progress");
    }
    *outlen = have;
    return 0;
}

static int decode_tile(struct rd *r, uint16_t *out, unsigned stride, unsigned tw, unsigned th,
                       char *err, size_t errlen)
{
    const uint8_t *b;
    uint16_t palette[128];
    size_t n = (size_t)tw * th;
    if (take(r, 1, &b))
        return fail(err, errlen, "truncated tile header");
    unsigned sub = *b;
    if (sub == 0) { /* raw */
        for (unsigned y = 0; y < th; y++)
            for (unsigned x = 0; x < tw; x++)
                if (cpixel(r, &out[y * stride + x]))
                    return fail(err, errlen, "truncated raw tile");
        return 0;
    }
    if (sub == 1) { /* solid */
        uint16_t px;
        if (cpixel(r, &px))
            return fail(err, errlen, "truncated solid tile");
        for (unsigned y = 0; y < th; y++)
            for (unsigned x = 0; x < tw; x++)
                out[y * stride + x] = px;
        return 0;
    }
    if ((sub >= 17 && sub <= 127) || sub == 129)
        return fail(err, errlen, "unused ZRLE subencoding %u", sub);
    unsigned psize = sub >= 130 ? sub - 128 : sub <= 16 ? sub : 0;
    for (unsigned i = 0; i < psize; i++)
        if (cpixel(r, &palette[i]))
            return fail(err, errlen, "truncated palette");
    if (sub <= 16) { /* packed palette: rows padded to whole bytes */
        unsigned bits = psize == 2 ? 1 : psize <= 4 ? 2 : 4;
        unsigned row_bytes = (tw * bits + 7) / 8;
        for (unsigned y = 0; y < th; y++) {
            if (take(r, row_bytes, &b))
                return fail(err, errlen, "truncated packed palette tile");
            for (unsigned x = 0; x < tw; x++) {
                unsigned bit = x * bits;
                unsigned idx = (b[bit / 8] >> (8 - bits - bit % 8)) & ((1u << bits) - 1);
                if (idx >= psize)
                    return fail(err, errlen, "palette index %u of %u", idx, psize);
                out[y * stride + x] = palette[idx];
            }
        }
        return 0;
    }
    /* plain RLE (128) or palette RLE (130..255): runs fill the tile row by row */
    size_t i = 0;
    while (i < n) {
        uint16_t px;
        size_t run = 1;
        if (sub == 128) {
            if (cpixel(r, &px) || run_length(r, &run, n - i))
                return fail(err, errlen, "bad or truncated RLE run");
        } else {
            if (take(r, 1, &b))
                return fail(err, errlen, "truncated palette RLE tile");
            unsigned idx = *b & 127;
            if (idx >= psize)
                return fail(err, errlen, "palette index %u of %u", idx, psize);
            if ((*b & 128) && run_length(r, &run, n - i))
                return fail(err, errlen, "bad or truncated palette RLE run");
            px = palette[idx];
        }
        for (size_t k = 0; k < run; k++, i++)
            out[(i / tw) * stride + i % tw] = px;
    }
    return 0;
}

int rfb_zrle_decode(rfb_zrle *z, const uint8_t *data, size_t len, unsigned w, unsigned h,
                    uint16_t *out, char *err, size_t errlen)
{
    if (z->broken)
        return fail(err, errlen, "stream already failed");
    if (w == 0 || h == 0 || (size_t)w * h > RFB_ZRLE_MAX_PIXELS || len > UINT32_MAX)
        return fail(err, errlen, "bad rectangle %ux%u", w, h);
    /* Upper bound of a well-formed rectangle: every tile raw (2 bytes a pixel plus its
     * header) or RLE with one-pixel runs (3 bytes a pixel). */
    size_t tiles = (size_t)((w + 63) / 64) * ((h + 63) / 64);
    size_t limit = (size_t)w * h * 3 + tiles * (1 + 2 * 127) + 1024;
    size_t ilen = 0;
    if (inflate_rect(z, data, len, limit, &ilen, err, errlen)) {
        z->broken = 1;
        return -1;
    }
    struct rd r = {z->buf, ilen, 0, z->cpixel};
    for (unsigned ty = 0; ty < h; ty += RFB_ZRLE_TILE)
        for (unsigned tx = 0; tx < w; tx += RFB_ZRLE_TILE) {
            unsigned tw = w - tx < RFB_ZRLE_TILE ? w - tx : RFB_ZRLE_TILE;
            unsigned th = h - ty < RFB_ZRLE_TILE ? h - ty : RFB_ZRLE_TILE;
            if (decode_tile(&r, out + (size_t)ty * w + tx, w, tw, th, err, errlen)) {
                z->broken = 1;
                return -1;
            }
        }
    if (r.off != r.len) {
        z->broken = 1;
        return fail(err, errlen, "%zu bytes left after the last tile", r.len - r.off);
    }
    return 0;
}
