/* rfb_zrle.c: the two ZRLE rectangles AMT sent to the DMT ui-toolkit (t/vectors/rfb, one
 * zlib stream across both), then every subencoding and the refusals, on rectangles
 * compressed here with one sync-flushed zlib stream as AMT does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "rfb_zrle.h"
#include "tap.h"

#ifndef VECTORS_DIR
#error "VECTORS_DIR must name t/vectors"
#endif

static size_t read_hex(const char *rel, uint8_t *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VECTORS_DIR, rel);
    FILE *f = fopen(path, "r");
    size_t n = 0;
    unsigned v;
    while (f && n < cap && fscanf(f, "%2x", &v) == 1)
        out[n++] = (uint8_t)v;
    if (f)
        fclose(f);
    return n;
}

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

static int all_equal(const uint16_t *px, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (px[i] != v)
            return 0;
    return 1;
}

static void test_amt_tiles(void)
{
    uint8_t buf[256];
    size_t n = read_hex("rfb/uit-zrle-two-tiles.hex", buf, sizeof buf);
    is_int(n, 50, "the capture: two rectangle headers (16 bytes) + 10 + 8 zlib bytes");
    /* Each inflates to 01 00: a solid tile whose CPIXEL is one byte, so that session ran in
     * 8-bit colour (the toolkit's bpp 1). */
    rfb_zrle *z = rfb_zrle_new(1);
    uint16_t px[64 * 64];
    size_t off = 0;
    char err[128] = "";
    for (int i = 0; i < 2 && off + 16 <= n; i++) {
        const uint8_t *h = buf + off;
        is_int(be32(h + 8), 16, "rect %d: encoding 16 (ZRLE)", i);
        is_int(be16(h) + be16(h + 2), i * 64, "rect %d: at x=%d, y=0", i, i * 64);
        is_int(be16(h + 4) * 1000 + be16(h + 6), 64064, "rect %d: 64x64, one tile", i);
        uint32_t len = be32(h + 12);
        ok(off + 16 + len <= n, "rect %d: %u zlib bytes present", i, len);
        memset(px, 0xAB, sizeof px);
        is_int(rfb_zrle_decode(z, h + 16, len, 64, 64, px, err, sizeof err), 0,
               "rect %d decodes on the shared stream (%s)", i, err);
        ok(all_equal(px, 64 * 64, 0x0000), "rect %d: a solid black tile", i);
        off += 16 + len;
    }
    rfb_zrle_free(z);
    /* Read with 16-bit CPIXELs the same bytes are a truncated tile. */
    z = rfb_zrle_new(2);
    ok(rfb_zrle_decode(z, buf + 16, 10, 64, 64, px, err, sizeof err) == -1,
       "read as 16 bpp: refused (%s)", err);
    rfb_zrle_free(z);
    /* The second rectangle has no zlib header: it only decodes after the first. */
    z = rfb_zrle_new(1);
    ok(rfb_zrle_decode(z, buf + 16 + 10 + 16, 8, 64, 64, px, err, sizeof err) != 0,
       "rect 1 alone on a fresh stream is refused (%s)", err);
    rfb_zrle_free(z);
}

/* ---- synthetic rectangles: one deflate stream, sync flush per rectangle ---- */

static z_stream enc;
static uint8_t zout[65536];

static size_t deflate_rect(const uint8_t *raw, size_t n)
{
    enc.next_in = (Bytef *)raw;
    enc.avail_in = (uInt)n;
    enc.next_out = zout;
    enc.avail_out = sizeof zout;
    deflate(&enc, Z_SYNC_FLUSH);
    return sizeof zout - enc.avail_out;
}

static int decode_raw(rfb_zrle *z, const uint8_t *raw, size_t n, unsigned w, unsigned h,
                      uint16_t *px, char *err, size_t errlen)
{
    size_t zn = deflate_rect(raw, n);
    return rfb_zrle_decode(z, zout, zn, w, h, px, err, errlen);
}

static void test_subencodings(void)
{
    deflateInit(&enc, 6);
    rfb_zrle *z = rfb_zrle_new(2);
    char err[128] = "";
    static uint16_t px[100 * 70];
    static uint8_t raw[100000];
    size_t n;

    /* 2x2 raw tile: CPIXELs little-endian. */
    uint8_t t_raw[] = {0, 0x01, 0xF8, 0xE0, 0x07, 0x1F, 0x00, 0xFF, 0xFF};
    is_int(decode_raw(z, t_raw, sizeof t_raw, 2, 2, px, err, sizeof err), 0, "raw (%s)", err);
    ok(px[0] == 0xF801 && px[1] == 0x07E0 && px[2] == 0x001F && px[3] == 0xFFFF, "raw: 4 pixels");

    /* 100x70: 4 tiles (64+36 by 64+6), each solid in its own colour. */
    n = 0;
    for (int t = 0; t < 4; t++) {
        raw[n++] = 1;
        raw[n++] = (uint8_t)(t + 1);
        raw[n++] = 0;
    }
    is_int(decode_raw(z, raw, n, 100, 70, px, err, sizeof err), 0, "solid tiles (%s)", err);
    ok(px[0] == 1 && px[63] == 1 && px[64] == 2 && px[99] == 2 && px[63 * 100 + 63] == 1 &&
           px[64 * 100] == 3 && px[69 * 100 + 99] == 4,
       "solid: tiles are 64x64 from the top left, edge tiles clipped");

    /* Packed palette, 2 colours, 1 bit, 3x2: rows padded to a byte. */
    uint8_t t_p2[] = {2, 0x11, 0x11, 0x22, 0x22, 0xA0, 0x40};
    is_int(decode_raw(z, t_p2, sizeof t_p2, 3, 2, px, err, sizeof err), 0, "palette 2 (%s)", err);
    ok(px[0] == 0x2222 && px[1] == 0x1111 && px[2] == 0x2222 && px[3] == 0x1111 &&
           px[4] == 0x2222 && px[5] == 0x1111,
       "palette 2: 1 bit per pixel, MSB first");
    /* 3 colours, 2 bits; 5 colours, 4 bits. */
    uint8_t t_p3[] = {3, 1, 0, 2, 0, 3, 0, 0x24}; /* 4x1, indices 00 10 01 00 */
    is_int(decode_raw(z, t_p3, sizeof t_p3, 4, 1, px, err, sizeof err), 0, "palette 3 (%s)", err);
    ok(px[0] == 1 && px[1] == 3 && px[2] == 2 && px[3] == 1, "palette 3: 2 bits per pixel");
    uint8_t t_p5[] = {5, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0x40, 0x21};
    is_int(decode_raw(z, t_p5, sizeof t_p5, 3, 1, px, err, sizeof err), 0, "palette 5 (%s)", err);
    ok(px[0] == 5 && px[1] == 1 && px[2] == 3, "palette 5: 4 bits per pixel, padded row");

    /* Plain RLE: 300 pixels of 0x1234 (255 + 44 -> run 300), then 100 of 0x0001. */
    uint8_t t_rle[] = {128, 0x34, 0x12, 255, 44, 0x01, 0x00, 99};
    is_int(decode_raw(z, t_rle, sizeof t_rle, 20, 20, px, err, sizeof err), 0, "plain RLE (%s)", err);
    ok(all_equal(px, 300, 0x1234) && all_equal(px + 300, 100, 0x0001),
       "plain RLE: runs cross rows, long runs use 255 continuation bytes");

    /* Palette RLE: 2 colours; index 1 once, then index 0 with a run of 3. */
    uint8_t t_prle[] = {130, 0xAA, 0x00, 0xBB, 0x00, 1, 0x80, 2};
    is_int(decode_raw(z, t_prle, sizeof t_prle, 2, 2, px, err, sizeof err), 0, "palette RLE (%s)", err);
    ok(px[0] == 0xBB && px[1] == 0xAA && px[2] == 0xAA && px[3] == 0xAA, "palette RLE: single and run");

    /* The 16 bpp stream still works after all that: a solid tile again. */
    uint8_t t_solid[] = {1, 0x34, 0x12};
    is_int(decode_raw(z, t_solid, sizeof t_solid, 64, 64, px, err, sizeof err), 0, "stream continues");
    rfb_zrle_free(z);

    /* 8-bit CPIXELs: a 2x1 raw tile. */
    rfb_zrle *z8 = rfb_zrle_new(1);
    deflateEnd(&enc);
    deflateInit(&enc, 6);
    uint8_t t_raw8[] = {0, 0x07, 0xC0};
    is_int(decode_raw(z8, t_raw8, sizeof t_raw8, 2, 1, px, err, sizeof err), 0, "8 bpp raw (%s)", err);
    ok(px[0] == 0x07 && px[1] == 0xC0, "8 bpp raw: one byte a pixel");
    rfb_zrle_free(z8);
    ok(rfb_zrle_new(3) == NULL, "only 1- and 2-byte CPIXELs");


    /* Refusals: each on a fresh stream pair (a failed stream stays failed). */
    struct { const char *name; uint8_t data[16]; size_t n; unsigned w, h; } bad[] = {
        {"unused subencoding 17", {17}, 1, 2, 2},
        {"unused subencoding 129", {129}, 1, 2, 2},
        {"palette index beyond the palette", {3, 1, 0, 2, 0, 3, 0, 0xC0}, 8, 1, 1},
        {"palette RLE index beyond the palette", {130, 1, 0, 2, 0, 5}, 6, 1, 1},
        {"RLE run longer than the tile", {128, 1, 0, 4}, 4, 2, 2},
        {"truncated raw tile", {0, 1, 0, 2}, 4, 2, 2},
        {"bytes left after the last tile", {1, 1, 0, 9}, 4, 2, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        deflateEnd(&enc);
        deflateInit(&enc, 6);
        z = rfb_zrle_new(2);
        err[0] = '\0';
        ok(decode_raw(z, bad[i].data, bad[i].n, bad[i].w, bad[i].h, px, err, sizeof err) == -1,
           "refused: %s (%s)", bad[i].name, err);
        ok(rfb_zrle_decode(z, zout, 0, 1, 1, px, err, sizeof err) == -1, "... and the stream stays failed");
        rfb_zrle_free(z);
    }
    z = rfb_zrle_new(2);
    uint8_t junk[] = {0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF};
    ok(rfb_zrle_decode(z, junk, sizeof junk, 2, 2, px, err, sizeof err) == -1, "refused: bad zlib data (%s)", err);
    rfb_zrle_free(z);
    z = rfb_zrle_new(2);
    ok(rfb_zrle_decode(z, junk, 0, 0, 2, px, err, sizeof err) == -1, "refused: empty rectangle");
    ok(rfb_zrle_decode(z, junk, 0, 5000, 5000, px, err, sizeof err) == -1,
       "refused: rectangle beyond 4096x4096 pixels");
    rfb_zrle_free(z);
    deflateEnd(&enc);
}

int main(void)
{
    test_amt_tiles();
    test_subencodings();
    return tap_done();
}
