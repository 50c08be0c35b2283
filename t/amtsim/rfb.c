/* KVM: the RFB server AMT hands over to after 0x40/0x41 (docs/redirection-protocol.md §6).
 * "RFB 004.000" answered with 3.3/3.7/3.8, security None, ServerInit RGB565 LE
 * named "Intel(r) AMT KVM"; SetPixelFormat above 16 bpp (or colour-mapped)
 * closes the connection as AMT does; updates are Raw or ZRLE rectangles of at
 * most 64x64 (MeshCommander/ui-toolkit reject bigger tiles), one zlib stream
 * per connection with a sync flush per rectangle; DesktopSize when the screen
 * size changes. The picture is the host's text screen (screen.c); key presses
 * go to the host console, so they show in the next frame.
 * libvncserver was not used: it cannot be told to keep Raw/ZRLE rectangles
 * within 64x64 or to refuse >16 bpp, and it owns its own sockets/threads. */
#include "amtsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TILE 64
#define ENC_RAW 0
#define ENC_ZRLE 16
#define ENC_DESKTOPSIZE (-223)

struct pixfmt {
    int bpp, bigendian, truecolour;
    int rmax, gmax, bmax, rshift, gshift, bshift;
};

struct rfb {
    struct conn *c;
    struct pixfmt pf;
    uint32_t pal[8];        /* palette index -> client pixel value */
    bool zrle, desktopsize;
    z_stream z;
    bool z_ok;
    int w, h;               /* session framebuffer size */
    uint8_t *cur, *prev;    /* colour indices, w*h */
    bool have_prev;
    bool pending, incremental;
    unsigned long frame;
};

/* RGB888 of the palette: background, text, consent box, consent text, cursor, and
 * the in-band consent form's background, digit boxes and digits (consent_form.c) */
#define NCOLOURS 8
static const uint8_t rgb[NCOLOURS][3] = { { 0, 0, 0x80 }, { 0xC0, 0xC0, 0xC0 }, { 0xC0, 0, 0 }, { 0xFF, 0xFF, 0xFF },
                                          { 0xFF, 0xFF, 0 }, { 0x60, 0x60, 0x60 }, { 0xFF, 0xFF, 0xFF }, { 0, 0, 0 } };

static void make_palette(struct rfb *r)
{
    for (int i = 0; i < NCOLOURS; i++) {
        uint32_t v = (uint32_t)(rgb[i][0] * r->pf.rmax / 255) << r->pf.rshift |
                     (uint32_t)(rgb[i][1] * r->pf.gmax / 255) << r->pf.gshift |
                     (uint32_t)(rgb[i][2] * r->pf.bmax / 255) << r->pf.bshift;
        r->pal[i] = v;
    }
}

static void put_pixel(struct sbuf *b, const struct rfb *r, uint8_t idx)
{
    uint32_t v = r->pal[idx < NCOLOURS ? idx : 0];
    uint8_t p[2];
    if (r->pf.bpp == 8) {
        p[0] = (uint8_t)v;
        sb_add(b, (char *)p, 1);
    } else {
        if (r->pf.bigendian)
            p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
        else
            p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
        sb_add(b, (char *)p, 2);
    }
}

static void be16(struct sbuf *b, unsigned v)
{
    char p[2] = { (char)(v >> 8), (char)v };
    sb_add(b, p, 2);
}

static void be32(struct sbuf *b, uint32_t v)
{
    char p[4] = { (char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v };
    sb_add(b, p, 4);
}

static void rect_header(struct sbuf *b, int x, int y, int w, int h, int32_t enc)
{
    be16(b, (unsigned)x), be16(b, (unsigned)y), be16(b, (unsigned)w), be16(b, (unsigned)h);
    be32(b, (uint32_t)enc);
}

static int encode_tile(struct rfb *r, struct sbuf *b, int x, int y, int w, int h)
{
    if (!r->zrle) {
        rect_header(b, x, y, w, h, ENC_RAW);
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++)
                put_pixel(b, r, r->cur[(size_t)(y + j) * r->w + x + i]);
        return 0;
    }
    /* ZRLE tile: solid (subencoding 1) or raw CPIXELs (subencoding 0) */
    struct sbuf t;
    sb_init(&t);
    uint8_t first = r->cur[(size_t)y * r->w + x];
    bool solid = true;
    for (int j = 0; j < h && solid; j++)
        for (int i = 0; i < w && solid; i++)
            solid = r->cur[(size_t)(y + j) * r->w + x + i] == first;
    char sub = solid ? 1 : 0;
    sb_add(&t, &sub, 1);
    if (solid)
        put_pixel(&t, r, first);
    else
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++)
                put_pixel(&t, r, r->cur[(size_t)(y + j) * r->w + x + i]);
    if (t.oom || !t.p) {
        sb_free(&t);
        return -1;
    }
    size_t cap = deflateBound(&r->z, t.len) + 64;
    unsigned char *zo = malloc(cap);
    if (!zo) {
        sb_free(&t);
        return -1;
    }
    r->z.next_in = (unsigned char *)t.p;
    r->z.avail_in = (uInt)t.len;
    r->z.next_out = zo;
    r->z.avail_out = (uInt)cap;
    int zr = deflate(&r->z, Z_SYNC_FLUSH);
    size_t zlen = cap - r->z.avail_out;
    sb_free(&t);
    if (zr != Z_OK || r->z.avail_in) {
        free(zo);
        return -1;
    }
    rect_header(b, x, y, w, h, ENC_ZRLE);
    be32(b, (uint32_t)zlen);
    sb_add(b, (char *)zo, zlen);
    free(zo);
    return 0;
}

/* Copy the host screen (or, while consent is missing, AMT's consent form) into the
 * session framebuffer (padding/cropping when the advertised size differs) and add
 * the bulk-mode animation. Caller holds lock. */
static void capture(struct rfb *r, struct device *d, uint8_t *host)
{
    if (d->form.active)
        form_render(d, host);
    else
        screen_render(d, host);
    memset(r->cur, 0, (size_t)r->w * r->h);
    int cw = r->w < FB_W ? r->w : FB_W, ch = r->h < FB_H ? r->h : FB_H;
    for (int y = 0; y < ch; y++)
        memcpy(r->cur + (size_t)y * r->w, host + (size_t)y * FB_W, (size_t)cw);
    if (d->knobs.kvm_bulk) {
        /* a moving checkerboard band: every frame differs everywhere it passes */
        for (int y = 0; y < r->h; y++)
            for (int x = 0; x < r->w; x++)
                if (((x + (int)r->frame * 8) / 8 + y / 8) % 2)
                    r->cur[(size_t)y * r->w + x] ^= 1;
    }
}

static int send_update(struct rfb *r, struct device *d, uint8_t *host)
{
    pthread_mutex_lock(&d->lock);
    int nw = d->kvm_w, nh = d->kvm_h;
    pthread_mutex_unlock(&d->lock);
    struct sbuf b;
    sb_init(&b);
    int nrect = 0;
    bool resized = false;
    if ((nw != r->w || nh != r->h) && r->desktopsize) {
        uint8_t *nc = calloc((size_t)nw * nh, 1), *np = calloc((size_t)nw * nh, 1);
        if (!nc || !np) {
            free(nc), free(np);
            return -1;
        }
        free(r->cur), free(r->prev);
        r->cur = nc, r->prev = np, r->w = nw, r->h = nh;
        r->have_prev = false;
        resized = true;
    }
    pthread_mutex_lock(&d->lock);
    capture(r, d, host);
    pthread_mutex_unlock(&d->lock);
    r->frame++;
    /* header patched below once the rectangle count is known */
    sb_add(&b, "\0\0\0\0", 4);
    if (resized) {
        rect_header(&b, 0, 0, r->w, r->h, ENC_DESKTOPSIZE);
        nrect++;
    }
    bool full = !r->incremental || !r->have_prev || resized;
    for (int y = 0; y < r->h; y += TILE)
        for (int x = 0; x < r->w; x += TILE) {
            int tw = r->w - x < TILE ? r->w - x : TILE, th = r->h - y < TILE ? r->h - y : TILE;
            bool changed = full;
            for (int j = 0; j < th && !changed; j++)
                changed = memcmp(r->cur + (size_t)(y + j) * r->w + x, r->prev + (size_t)(y + j) * r->w + x,
                                 (size_t)tw) != 0;
            if (!changed)
                continue;
            if (encode_tile(r, &b, x, y, tw, th) || nrect == 65535) {
                sb_free(&b);
                return -1;
            }
            nrect++;
        }
    if (nrect == 0) {
        sb_free(&b);
        return 0; /* nothing changed: keep the request pending */
    }
    if (b.oom) {
        sb_free(&b);
        return -1;
    }
    b.p[2] = (char)(nrect >> 8), b.p[3] = (char)nrect;
    int rc = conn_write(r->c, b.p, b.len);
    sb_free(&b);
    memcpy(r->prev, r->cur, (size_t)r->w * r->h);
    r->have_prev = true;
    r->pending = false;
    return rc ? -1 : 1;
}

static char keysym_char(uint32_t ks)
{
    if (ks >= 0x20 && ks < 0x7F)
        return (char)ks;
    switch (ks) {
    case 0xFF0D: case 0xFF8D: return '\r';
    case 0xFF08: return '\b';
    case 0xFF09: return ' ';
    default: return 0;
    }
}

static int handshake(struct rfb *r, bool version_sent)
{
    struct conn *c = r->c;
    struct device *d = c->dev;
    if (!version_sent && conn_write(c, "RFB 004.000\n", 12))
        return -1;
    char ver[13] = { 0 };
    if (conn_read_full(c, ver, 12, 30000))
        return -1;
    int minor = -1;
    if (!memcmp(ver, "RFB 003.008\n", 12)) minor = 8;
    else if (!memcmp(ver, "RFB 003.007\n", 12)) minor = 7;
    else if (!memcmp(ver, "RFB 003.003\n", 12)) minor = 3;
    if (minor < 0) {
        logmsg(c->dev, "RFB: unsupported client version");
        return -1;
    }
    /* the security types offered are a knob: AMT offers None, but noVNC would ask
       for a password if it ever did not (only None is implemented here) */
    pthread_mutex_lock(&d->lock);
    uint8_t sec[9];
    int nsec = d->knobs.rfb_nsecurity;
    memcpy(sec + 1, d->knobs.rfb_security, (size_t)nsec);
    char name[64];
    memcpy(name, d->knobs.kvm_name, sizeof name);
    pthread_mutex_unlock(&d->lock);
    sec[0] = (uint8_t)nsec;
    bool none_offered = memchr(sec + 1, 1, (size_t)nsec) != NULL;
    if (minor == 3) {
        uint8_t t[4] = { 0, 0, 0, none_offered ? 1 : sec[1] }; /* 3.3: the server picks */
        if (conn_write(c, t, 4) || !none_offered)
            return -1;
    } else {
        uint8_t choice;
        if (conn_write(c, sec, (size_t)nsec + 1) || conn_read_full(c, &choice, 1, 30000) || choice != 1 ||
            !none_offered)
            return -1;
        if (minor == 8 && conn_write(c, "\0\0\0\0", 4))
            return -1;
    }
    uint8_t shared;
    if (conn_read_full(c, &shared, 1, 30000))
        return -1;
    struct sbuf b;
    sb_init(&b);
    be16(&b, (unsigned)r->w), be16(&b, (unsigned)r->h);
    /* 16 bpp, depth 16, little-endian, true colour, RGB565 */
    static const char pf[16] = { 16, 16, 0, 1, 0, 31, 0, 63, 0, 31, 11, 5, 0, 0, 0, 0 };
    sb_add(&b, pf, sizeof pf);
    be32(&b, (uint32_t)strlen(name));
    sb_puts(&b, name);
    int rc = b.oom ? -1 : conn_write(c, b.p, b.len);
    sb_free(&b);
    return rc;
}

static int handle_msg(struct rfb *r, struct device *d, uint8_t type)
{
    struct conn *c = r->c;
    uint8_t m[32];
    switch (type) {
    case 0: { /* SetPixelFormat */
        if (conn_read_full(c, m, 19, 10000))
            return -1;
        struct pixfmt pf = { m[3], m[5], m[6], m[7] << 8 | m[8], m[9] << 8 | m[10], m[11] << 8 | m[12],
                             m[13], m[14], m[15] };
        if ((pf.bpp == 8 || pf.bpp == 16) &&
            (pf.rshift >= pf.bpp || pf.gshift >= pf.bpp || pf.bshift >= pf.bpp || pf.rmax >= (1 << pf.bpp) ||
             pf.gmax >= (1 << pf.bpp) || pf.bmax >= (1 << pf.bpp)))
            pf.truecolour = 0; /* nonsensical layout: treat like an unsupported format */
        if ((pf.bpp != 8 && pf.bpp != 16) || !pf.truecolour) {
            logmsg(d, "RFB: client asked for %d bpp (truecolour %d): refused, closing", pf.bpp, pf.truecolour);
            return -1; /* AMT drops clients asking for more than 16 bpp */
        }
        r->pf = pf;
        make_palette(r);
        logmsg(d, "RFB SetPixelFormat %d bpp max %d/%d/%d shift %d/%d/%d", pf.bpp, pf.rmax, pf.gmax, pf.bmax,
               pf.rshift, pf.gshift, pf.bshift);
        r->have_prev = false;
        return 0;
    }
    case 2: { /* SetEncodings */
        if (conn_read_full(c, m, 3, 10000))
            return -1;
        unsigned n = (unsigned)(m[1] << 8 | m[2]);
        if (n > 1024)
            return -1;
        r->zrle = r->desktopsize = false;
        bool decided = false;
        for (unsigned i = 0; i < n; i++) {
            uint8_t e[4];
            if (conn_read_full(c, e, 4, 10000))
                return -1;
            int32_t enc = (int32_t)((uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3]);
            if (enc == ENC_DESKTOPSIZE)
                r->desktopsize = true;
            else if (!decided && (enc == ENC_ZRLE || enc == ENC_RAW)) {
                r->zrle = enc == ENC_ZRLE; /* the client's first supported preference wins */
                decided = true;
            }
        }
        r->have_prev = false;
        logmsg(d, "RFB SetEncodings: %s%s", r->zrle ? "ZRLE" : "Raw", r->desktopsize ? " +DesktopSize" : "");
        return 0;
    }
    case 3: /* FramebufferUpdateRequest */
        if (conn_read_full(c, m, 9, 10000))
            return -1;
        r->pending = true;
        r->incremental = m[0] != 0;
        return 0;
    case 4: { /* KeyEvent */
        if (conn_read_full(c, m, 7, 10000))
            return -1;
        uint32_t ks = (uint32_t)m[3] << 24 | (uint32_t)m[4] << 16 | (uint32_t)m[5] << 8 | m[6];
        char ch = keysym_char(ks);
        pthread_mutex_lock(&d->lock);
        if (d->form.active) {
            /* consent missing: keys go to AMT's form, never to the host */
            if (m[0] && form_key(d, ks))
                r->have_prev = false; /* consent granted: the whole desktop, not a diff */
        } else if (m[0] && ch) {
            char out[4096];
            console_input(d, (const uint8_t *)&ch, 1, out, sizeof out);
        }
        pthread_mutex_unlock(&d->lock);
        return 0;
    }
    case 5: /* PointerEvent */
        return conn_read_full(c, m, 5, 10000) ? -1 : 0;
    case 6: { /* ClientCutText (also Intel's KvmExtCmd / KvmDataChannel carriers): skip */
        if (conn_read_full(c, m, 7, 10000))
            return -1;
        uint32_t len = (uint32_t)m[3] << 24 | (uint32_t)m[4] << 16 | (uint32_t)m[5] << 8 | m[6];
        if (len > 1024 * 1024)
            return -1;
        while (len) {
            uint8_t skip[512];
            uint32_t k = len < sizeof skip ? len : sizeof skip;
            if (conn_read_full(c, skip, k, 10000))
                return -1;
            len -= k;
        }
        return 0;
    }
    default:
        logmsg(d, "RFB: unknown client message %u, closing", type);
        return -1;
    }
}

void rfb_run(struct conn *c, bool version_sent, bool consent_pending)
{
    struct device *d = c->dev;
    struct rfb r = { .c = c };
    r.pf = (struct pixfmt){ 16, 0, 1, 31, 63, 31, 11, 5, 0 };
    make_palette(&r);
    pthread_mutex_lock(&d->lock);
    r.w = d->kvm_w, r.h = d->kvm_h;
    unsigned timeout_min = d->kvm_session_timeout;
    pthread_mutex_unlock(&d->lock);
    r.cur = calloc((size_t)r.w * r.h, 1);
    r.prev = calloc((size_t)r.w * r.h, 1);
    uint8_t *host = malloc((size_t)FB_W * FB_H);
    r.z_ok = deflateInit(&r.z, Z_DEFAULT_COMPRESSION) == Z_OK;
    if (!r.cur || !r.prev || !host || !r.z_ok || handshake(&r, version_sent))
        goto out;
    if (consent_pending) {
        pthread_mutex_lock(&d->lock);
        if (optin_needed(d, true))
            form_open(d);
        else
            optin_session(d, true); /* granted between 0x10 and now */
        pthread_mutex_unlock(&d->lock);
    }
    double last_input = now_s();
    while (!g_stop) {
        pthread_mutex_lock(&d->lock);
        bool down = d->knobs.down;
        if (d->form.active && form_poll(d))
            r.have_prev = false;
        pthread_mutex_unlock(&d->lock);
        if (down)
            break;
        if (timeout_min && now_s() - last_input > timeout_min * 60.0) {
            logmsg(d, "KVM SessionTimeout (%u min) expired, closing", timeout_min);
            break;
        }
        if (r.pending) {
            int u = send_update(&r, d, host);
            if (u < 0)
                break;
        }
        uint8_t type;
        long n = conn_read(c, &type, 1, r.pending ? 40 : 1000);
        if (n == CONN_TIMEOUT)
            continue;
        if (n <= 0)
            break;
        if (type == 4 || type == 5)
            last_input = now_s();
        if (handle_msg(&r, d, type))
            break;
    }
out:
    if (consent_pending) {
        pthread_mutex_lock(&d->lock);
        form_close(d);
        pthread_mutex_unlock(&d->lock);
    }
    if (r.z_ok)
        deflateEnd(&r.z);
    free(r.cur);
    free(r.prev);
    free(host);
}
