/* See rfb_watch.h. Byte-at-a-time on purpose: the handshake is a few dozen bytes,
 * and a field split over any number of reads needs no special case. */
#include "rfb_watch.h"

#include <stdio.h>
#include <string.h>

enum {
    RFB_W_VERSION = 0, /* AMT's "RFB 004.000\n" */
    RFB_W_SEC,         /* security: its shape depends on the version the client chose,
                          which is known by the time AMT sends it (AMT waits for it) */
    RFB_W_SEC_TYPE,    /* 3.3: the type AMT chose (u32) */
    RFB_W_SEC_COUNT,   /* 3.7/3.8: number of types offered */
    RFB_W_SEC_LIST,
    RFB_W_SEC_RESULT,  /* 3.8: SecurityResult (u32) */
    RFB_W_INIT,        /* ServerInit: w, h, pixel format, name length */
    RFB_W_NAME,
    RFB_W_DONE,        /* nothing more to check */
    RFB_W_BAD          /* a check failed */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void rfb_watch_init(rfb_watch *w)
{
    memset(w, 0, sizeof(*w));
    w->state = RFB_W_VERSION;
    w->need = 12;
    w->minor = 0;
}

int rfb_watch_active(const rfb_watch *w)
{
    return w->state != RFB_W_DONE && w->state != RFB_W_BAD;
}

void rfb_watch_client(rfb_watch *w, const uint8_t *p, size_t n)
{
    while (n && w->cver_have < sizeof(w->cver)) {
        w->cver[w->cver_have++] = *p++;
        n--;
    }
    if (w->cver_have < sizeof(w->cver) || w->minor)
        return;
    /* "RFB 003.00X\n"; anything else (e.g. 3.889) follows the 3.8 handshake */
    if (memcmp(w->cver, "RFB 003.003\n", 12) == 0)
        w->minor = 3;
    else if (memcmp(w->cver, "RFB 003.007\n", 12) == 0)
        w->minor = 7;
    else
        w->minor = 8;
}

static void printable(char *dst, size_t cap, const char *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        dst[j++] = src[i] >= 0x20 && src[i] < 0x7f && src[i] != '\'' ? src[i] : '?';
    dst[j] = 0;
}

static int fail_none(rfb_watch *w, const char *how)
{
    char list[40] = "";
    size_t off = 0;
    for (int i = 0; i < w->noffered && off + 5 < sizeof(list); i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", i ? "," : "", w->offered[i]);
    snprintf(w->reason, sizeof(w->reason),
             "AMT KVM %s RFB security None (%s): stock noVNC would ask for a VNC password", how, list);
    w->state = RFB_W_BAD;
    return -1;
}

/* A fixed-size field is complete in w->field: move on. Returns -1 on a failed check. */
static int field_done(rfb_watch *w)
{
    uint32_t v;
    w->have = 0;
    switch (w->state) {
    case RFB_W_VERSION:
        w->state = RFB_W_SEC;
        w->need = 1;
        return 0;
    case RFB_W_SEC_TYPE:
        v = be32(w->field);
        w->offered[0] = (uint8_t)v;
        w->noffered = 1;
        if (v == 0) { /* a failure reason follows: the client shows it */
            w->state = RFB_W_DONE;
            return 0;
        }
        if (v != 1)
            return fail_none(w, "chose a security type other than");
        w->state = RFB_W_INIT;
        w->need = 24;
        return 0;
    case RFB_W_SEC_COUNT:
        if (w->field[0] == 0) {
            w->state = RFB_W_DONE;
            return 0;
        }
        w->state = RFB_W_SEC_LIST;
        w->need = w->field[0];
        return 0;
    case RFB_W_SEC_RESULT:
        if (be32(w->field) != 0) {
            w->state = RFB_W_DONE;
            return 0;
        }
        w->state = RFB_W_INIT;
        w->need = 24;
        return 0;
    case RFB_W_INIT:
        w->name_len = be32(w->field + 20);
        w->state = RFB_W_NAME;
        w->need = w->name_len;
        return w->need == 0 ? -2 : 0; /* an empty name: check it now */
    default:
        return 0;
    }
}

static int check_name(rfb_watch *w)
{
    char shown[64];
    w->state = RFB_W_DONE;
    if (w->name_len == strlen(RFB_AMT_NAME) && memcmp(w->name, RFB_AMT_NAME, w->name_len) == 0)
        return 0;
    printable(shown, 25, w->name, w->name_have);
    snprintf(w->reason, sizeof(w->reason),
             "AMT KVM name '%s%s' is not '" RFB_AMT_NAME "': noVNC would ask for colours AMT drops",
             shown, w->name_len > 24 ? "..." : "");
    w->state = RFB_W_BAD;
    return -1;
}

int rfb_watch_server(rfb_watch *w, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && rfb_watch_active(w); i++) {
        uint8_t b = p[i];
        int r;
        if (w->state == RFB_W_SEC_LIST) {
            if (w->noffered < (int)sizeof(w->offered))
                w->offered[w->noffered++] = b;
            w->none_offered |= b == 1;
            if (--w->need)
                continue;
            if (!w->none_offered)
                return fail_none(w, "offers no");
            w->state = w->minor == 7 ? RFB_W_INIT : RFB_W_SEC_RESULT;
            w->need = w->state == RFB_W_INIT ? 24 : 4;
            continue;
        }
        if (w->state == RFB_W_NAME) {
            if (w->name_have < sizeof(w->name) - 1)
                w->name[w->name_have++] = (char)b;
            if (--w->need == 0 && check_name(w) < 0)
                return -1;
            continue;
        }
        if (w->state == RFB_W_SEC) {
            w->state = w->minor == 3 ? RFB_W_SEC_TYPE : RFB_W_SEC_COUNT;
            w->need = w->state == RFB_W_SEC_TYPE ? 4 : 1;
        }
        w->field[w->have++] = b;
        if (w->have < w->need)
            continue;
        r = field_done(w);
        if (r == -1)
            return -1;
        if (r == -2 && check_name(w) < 0)
            return -1;
    }
    return w->state == RFB_W_BAD ? -1 : 0;
}
