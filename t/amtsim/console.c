/* The simulated host's serial console behind SOL (and shown on the KVM
 * screen): a banner, a prompt, echo, and a few line commands. */
#include "amtsim.h"

#include <stdio.h>
#include <string.h>

#define PROMPT "amtsim$ "

static size_t put(char *out, size_t cap, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n + l > cap)
        l = cap > n ? cap - n : 0;
    memcpy(out + n, s, l);
    return n + l;
}

size_t console_banner(struct device *d, char *out, size_t cap)
{
    char b[256];
    snprintf(b, sizeof b, "\r\nIntel(R) AMT simulated host %s (firmware %s)\r\n"
                          "Type 'help' for commands.\r\n" PROMPT, d->id, d->fw);
    size_t n = put(out, cap, 0, b);
    screen_write(&d->screen, out, n);
    return n;
}

static size_t run_line(struct device *d, const char *line, char *out, size_t cap, size_t n)
{
    char b[512];
    if (!strcmp(line, "help"))
        n = put(out, cap, n, "commands: help, echo TEXT, uname, id, power, clear\r\n");
    else if (!strncmp(line, "echo ", 5) || !strcmp(line, "echo")) {
        snprintf(b, sizeof b, "%s\r\n", line[4] ? line + 5 : "");
        n = put(out, cap, n, b);
    } else if (!strcmp(line, "uname"))
        n = put(out, cap, n, "amtsim-host 1.0\r\n");
    else if (!strcmp(line, "id")) {
        snprintf(b, sizeof b, "%s\r\n", d->id);
        n = put(out, cap, n, b);
    } else if (!strcmp(line, "power")) {
        snprintf(b, sizeof b, "power state %d\r\n", d->power_state);
        n = put(out, cap, n, b);
    } else if (!strcmp(line, "clear")) {
        screen_init(&d->screen);
    } else if (*line) {
        snprintf(b, sizeof b, "%.64s: command not found\r\n", line);
        n = put(out, cap, n, b);
    }
    return put(out, cap, n, PROMPT);
}

/* Feed typed bytes; returns the bytes the host prints in response.
 * Caller holds d->lock. */
size_t console_input(struct device *d, const uint8_t *in, size_t len, char *out, size_t cap)
{
    struct screen *s = &d->screen;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = in[i];
        size_t before = n;
        if (ch == '\r' || ch == '\n') {
            /* amtterm turns LF into CR; accept either, ignore the LF of a CRLF */
            if (ch == '\n' && i > 0 && in[i - 1] == '\r')
                continue;
            s->line[s->linelen] = 0;
            n = put(out, cap, n, "\r\n");
            screen_write(s, out + before, n - before);
            before = n;
            char line[sizeof s->line];
            memcpy(line, s->line, s->linelen + 1);
            s->linelen = 0;
            n = run_line(d, line, out, cap, n);
        } else if (ch == 0x7F || ch == '\b') {
            if (s->linelen > 0) {
                s->linelen--;
                n = put(out, cap, n, "\b \b");
            }
        } else if (ch >= 0x20 && ch < 0x7F) {
            if (s->linelen < sizeof s->line - 1) {
                s->line[s->linelen++] = (char)ch;
                char e[2] = { (char)ch, 0 };
                n = put(out, cap, n, e);
            }
        }
        if (n > before)
            screen_write(s, out + before, n - before);
    }
    return n;
}
