/* The consent form of a KVM session opened without user consent (consent-mode=inband).
 * Real AMT in CCM accepts such a session and, instead of the host picture, draws a
 * form into the RFB framebuffer that asks the remote operator for the 6-digit code
 * shown on the machine's own screen; the digits arrive as RFB key events, and the
 * right code grants consent exactly as a SendOptInCode over WS-Man would. Until
 * then nothing typed reaches the host. See README.md, "User consent".
 * Every function expects d->lock held. */
#include "amtsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Colour indices beyond the desktop's (rfb.c palette): form background, digit box,
 * digit. Error text uses the consent-box red (2), normal text white (3). */
enum { COL_TEXT = 3, COL_ERROR = 2, COL_FORM = 5, COL_BOX = 6, COL_DIGIT = 7 };
#define BOX_W 36
#define BOX_H 32
#define BOX_GAP 12
#define BOX_Y (10 * CELL_H)
#define STATUS_ROW 14

const char *form_status_name(enum form_status s)
{
    static const char *const names[] = { "enter", "wrong", "locked", "no-code", "incomplete", "granted" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static void clear_typed(struct consent_form *f)
{
    memset(f->typed, 0, sizeof f->typed);
    f->ntyped = 0;
}

/* AMT starts the consent flow itself when a session needs it and no code is
 * pending, so the operator has a code to read off the machine's screen. */
static enum form_status ensure_code(struct device *d)
{
    optin_tick(d, now_s());
    if (d->optin.state == 0) {
        int rc = optin_start(d);
        logmsg(d, "consent form: StartOptIn -> %d", rc);
        if (rc == 3)
            return FORM_LOCKED;
    }
    return FORM_ENTER;
}

void form_open(struct device *d)
{
    struct consent_form *f = &d->form;
    clear_typed(f);
    f->active = true;
    f->status = ensure_code(d);
    d->inband_prompts++;
    logmsg(d, "KVM without consent: consent form shown (OptInState %d)", d->optin.state);
}

void form_close(struct device *d)
{
    d->form.active = false;
    clear_typed(&d->form);
}

static void grant(struct device *d)
{
    d->form.status = FORM_GRANTED;
    form_close(d);
    optin_session(d, true); /* RECEIVED -> IN SESSION: this session is using it */
}

bool form_poll(struct device *d)
{
    optin_tick(d, now_s());
    if (d->form.active && (d->optin.state == 3 || d->optin.state == 4)) {
        logmsg(d, "consent form: consent granted elsewhere, showing the desktop");
        grant(d);
        return true;
    }
    return false;
}

static bool submit(struct device *d)
{
    struct consent_form *f = &d->form;
    if (f->ntyped != 6) {
        f->status = FORM_INCOMPLETE;
        return false;
    }
    optin_tick(d, now_s());
    if (d->optin.state != 2) {
        /* the code timed out or a lock-out ended it: offer a fresh one */
        enum form_status st = ensure_code(d);
        f->status = st == FORM_LOCKED ? FORM_LOCKED : FORM_NO_CODE;
        clear_typed(f);
        logmsg(d, "consent form: code submitted with none on screen (%s)", form_status_name(f->status));
        return false;
    }
    int rc = optin_send_code(d, strtoul(f->typed, NULL, 10));
    clear_typed(f);
    if (rc == 0) {
        d->inband_granted++;
        logmsg(d, "consent form: right code, consent granted");
        grant(d);
        return true;
    }
    d->inband_wrong++;
    /* optin_send_code ended the code after max-failures wrong ones (lock-out) */
    f->status = d->optin.state == 0 ? FORM_LOCKED : FORM_WRONG;
    logmsg(d, "consent form: wrong code (%s)", form_status_name(f->status));
    return false;
}

bool form_key(struct device *d, uint32_t ks)
{
    struct consent_form *f = &d->form;
    int digit = ks >= 0x30 && ks <= 0x39 ? (int)(ks - 0x30) : ks >= 0xFFB0 && ks <= 0xFFB9 ? (int)(ks - 0xFFB0) : -1;
    if (digit >= 0) {
        if (f->ntyped < 6)
            f->typed[f->ntyped++] = (char)('0' + digit);
        return false;
    }
    if (ks == 0xFF08) { /* BackSpace */
        if (f->ntyped > 0)
            f->typed[--f->ntyped] = 0;
        return false;
    }
    if (ks == 0xFF0D || ks == 0xFF8D) /* Return, KP_Enter */
        return submit(d);
    return false; /* anything else is swallowed: the host must not see it */
}

static void text_at(uint8_t *fb, int row, const char *text, uint8_t fg)
{
    int len = (int)strlen(text), c0 = (SCR_COLS - len) / 2;
    for (int i = 0; i < len && c0 + i < SCR_COLS; i++)
        screen_draw_char(fb, (c0 + i) * CELL_W, row * CELL_H, text[i], fg, COL_FORM);
}

void form_render(const struct device *d, uint8_t *fb)
{
    static const char *const status_text[] = {
        [FORM_ENTER] = "Type the code, then press Enter.",
        [FORM_WRONG] = "Wrong code. Try again.",
        [FORM_LOCKED] = "Too many wrong codes. Try again later.",
        [FORM_NO_CODE] = "The code expired. A new code is shown on the computer; type it.",
        [FORM_INCOMPLETE] = "The code has six digits.",
        [FORM_GRANTED] = "",
    };
    const struct consent_form *f = &d->form;
    memset(fb, COL_FORM, (size_t)FB_W * FB_H);
    text_at(fb, 3, "Intel(R) Active Management Technology", COL_TEXT);
    text_at(fb, 5, "User consent is required for this remote session.", COL_TEXT);
    text_at(fb, 7, "Enter the 6-digit code shown on the managed computer's screen.", COL_TEXT);
    int x0 = (FB_W - (6 * BOX_W + 5 * BOX_GAP)) / 2;
    for (int i = 0; i < 6; i++) {
        int bx = x0 + i * (BOX_W + BOX_GAP);
        for (int y = 0; y < BOX_H; y++)
            memset(fb + (size_t)(BOX_Y + y) * FB_W + bx, COL_BOX, BOX_W);
        if (i < f->ntyped)
            screen_draw_char(fb, bx + (BOX_W - CELL_W) / 2, BOX_Y + (BOX_H - CELL_H) / 2, f->typed[i], COL_DIGIT,
                             COL_BOX);
    }
    enum form_status st = f->status;
    text_at(fb, STATUS_ROW, status_text[st], st == FORM_ENTER || st == FORM_NO_CODE ? COL_TEXT : COL_ERROR);
}
