/* Control channel: a UNIX stream socket, one request line per connection,
 * answered with "ok\n" + lines, or "error <text>\n". Handled on the main
 * thread; every request is short. Protocol documented in README.md. */
#include "amtsim.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

int control_open(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "amtsim: control path too long\n");
        return -1;
    }
    strcpy(sa.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
        fprintf(stderr, "amtsim: control socket %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static const char *power_name(int ps)
{
    return ps == 2 ? "on" : ps == 3 || ps == 4 ? "sleep" : ps == 7 ? "hibernate" : "off";
}

static void cmd_state(struct device *d, struct sbuf *o)
{
    pthread_mutex_lock(&d->lock);
    optin_tick(d, now_s());
    sb_printf(o, "id=%s\naddr=%s\nmode=%s\noptin_required=%u\noptin_state=%d\n", d->id, d->addr,
              d->mode == 1 ? "acm" : "ccm", d->optin_required, d->optin.state);
    sb_printf(o, "kvm=%s\nsol=%s\nider=%s\nlistener=%s\npower=%s\npower_state=%d\n",
              d->kvm_enabled ? "on" : "off", d->redir_state & 2 ? "on" : "off",
              d->redir_state & 1 ? "on" : "off", d->listener ? "on" : "off",
              power_name(d->power_state), d->power_state);
    sb_printf(o, "wsman_calls=%lu\nwsman_401=%lu\nredir_sessions=%lu\nredir_auth_fail=%lu\n"
                 "redir_plain_logins=%lu\nredir_busy=%lu\n",
              d->wsman_calls, d->wsman_401, d->redir_sessions, d->redir_auth_fail,
              d->redir_plain_logins, d->redir_busy);
    sb_printf(o, "sol_active=%d\nkvm_active=%d\nwsman_conns=%d\nrealm=%s\nfw=%s\nkvm_size=%dx%d\n",
              d->sol_active, d->kvm_active, d->wsman_conns, d->realm, d->fw, d->kvm_w, d->kvm_h);
    /* power_changed_ago: seconds since the last real power change (-1: never), so a
       test can tell when a deferred change happened */
    sb_printf(o, "sol_pings=%lu\n", d->sol_pings);
    /* the in-band consent form: how often shown, codes typed right/wrong, and what it
       shows now (how many digits, the status line), never the digits themselves */
    sb_printf(o, "consent_mode=%s\ninband_prompts=%lu\ninband_granted=%lu\ninband_wrong=%lu\n"
                 "inband_form=%d\ninband_typed=%d\ninband_status=%s\n",
              d->knobs.consent_refuse ? "refuse" : "inband", d->inband_prompts, d->inband_granted,
              d->inband_wrong, d->form.active, d->form.ntyped, form_status_name(d->form.status));
    sb_printf(o, "power_changes=%lu\npower_pending=%d\npower_changed_ago=%.3f\npower_during_redir=%s\n",
              d->power_changes, d->power_pending, d->power_changed_at ? now_s() - d->power_changed_at : -1.0,
              (const char *const[]){ "defer", "reject", "ignore", "allow" }[d->knobs.power_redir]);
    const struct knobs *k = &d->knobs;
    sb_printf(o, "wsman_latency=%d\nwsman_max_conn=%d\ndrop_after=%ld\nbusy=%d\nslow_reader=%d\n"
                 "sol_bulk=%d\nkvm_bulk=%d\ndown=%d\n",
              k->wsman_latency_ms, k->wsman_max_conn, k->drop_after, k->busy, k->slow_reader,
              k->sol_bulk, k->kvm_bulk, k->down);
    if (d->replay)
        sb_printf(o, "replay_hits=%lu\nreplay_misses=%lu\nreplay_last_miss=%s\n", d->replay_hits,
                  d->replay_misses, d->replay_last_miss);
    sb_printf(o, "os_power_saving=%d\nabsent=%s\nfault_http=%d\nempty_400=%d\nstrict_schema=%d\n"
                 "latency_off=%d\nserver_header=%s\nempty_hostname=%d\nguid=",
              d->os_power_saving, k->absent, k->fault_http, k->empty_400, k->strict_schema,
              k->latency_off_ms, k->server_bare ? "AMT" : "full", k->empty_hostname);
    for (int i = 0; i < 16; i++)
        sb_printf(o, "%02X", d->guid[i]);
    sb_puts(o, "\n");
    pthread_mutex_unlock(&d->lock);
}

static void run(char *line, struct sbuf *o)
{
    char *argv[16], *save = NULL;
    int argc = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && argc < 16; t = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = t;
    if (argc == 0) {
        sb_puts(o, "error empty command\n");
        return;
    }
    if (!strcmp(argv[0], "list")) {
        sb_puts(o, "ok\n");
        for (int i = 0; i < g_sim.ndev; i++)
            sb_printf(o, "%s %s\n", g_sim.dev[i]->id, g_sim.dev[i]->addr);
        return;
    }
    if (argc < 2) {
        sb_printf(o, "error usage: %s <id>\n", argv[0]);
        return;
    }
    struct device *d = device_find(argv[1]);
    if (!d) {
        sb_printf(o, "error no such device %s\n", argv[1]);
        return;
    }
    if (!strcmp(argv[0], "code")) {
        pthread_mutex_lock(&d->lock);
        optin_tick(d, now_s());
        if (d->optin.state == 2) /* DISPLAYED; in REQUESTED the screen is off */
            sb_printf(o, "ok\n%06u\n", d->optin.code);
        else
            sb_printf(o, "error no consent code on screen (OptInState %d)\n", d->optin.state);
        pthread_mutex_unlock(&d->lock);
    } else if (!strcmp(argv[0], "state")) {
        sb_puts(o, "ok\n");
        cmd_state(d, o);
    } else if (!strcmp(argv[0], "power") && argc == 3) {
        int ps = !strcmp(argv[2], "on") ? 2 : !strcmp(argv[2], "off") ? 8 : atoi(argv[2]);
        if (ps < 1 || ps > 17) {
            sb_puts(o, "error power on|off|<CIM PowerState>\n");
            return;
        }
        pthread_mutex_lock(&d->lock);
        d->power_state = ps;
        pthread_mutex_unlock(&d->lock);
        sb_puts(o, "ok\n");
    } else if (!strcmp(argv[0], "fault") && argc >= 3) {
        char err[256] = "";
        pthread_mutex_lock(&d->lock);
        int rc = 0;
        for (int i = 2; i < argc && !rc; i++)
            rc = knob_set(d, argv[i], err, sizeof err);
        pthread_mutex_unlock(&d->lock);
        if (rc)
            sb_printf(o, "error %s\n", err);
        else
            sb_puts(o, "ok\n");
    } else if (!strcmp(argv[0], "reset-stats")) {
        pthread_mutex_lock(&d->lock);
        d->wsman_calls = d->wsman_401 = d->redir_sessions = d->redir_auth_fail = d->redir_busy = 0;
        d->replay_hits = d->replay_misses = 0;
        d->inband_prompts = d->inband_granted = d->inband_wrong = 0;
        pthread_mutex_unlock(&d->lock);
        sb_puts(o, "ok\n");
    } else if (!strcmp(argv[0], "type") && argc >= 3) {
        /* put text on the simulated host screen, as if the host printed it */
        pthread_mutex_lock(&d->lock);
        for (int i = 2; i < argc; i++) {
            screen_write(&d->screen, argv[i], strlen(argv[i]));
            screen_write(&d->screen, i + 1 < argc ? " " : "\r\n", i + 1 < argc ? 1 : 2);
        }
        pthread_mutex_unlock(&d->lock);
        sb_puts(o, "ok\n");
    } else if (!strcmp(argv[0], "screen")) {
        sb_puts(o, "ok\n");
        pthread_mutex_lock(&d->lock);
        for (int r = 0; r < SCR_ROWS; r++) {
            int len = SCR_COLS;
            while (len && d->screen.cells[r][len - 1] == ' ')
                len--;
            sb_add(o, d->screen.cells[r], (size_t)len);
            sb_puts(o, "\n");
        }
        pthread_mutex_unlock(&d->lock);
    } else {
        sb_printf(o, "error unknown command %s\n", argv[0]);
    }
}

void control_handle(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    char line[1024];
    size_t n = 0;
    /* bounded wait: a stuck client must not freeze the accept loop */
    while (n < sizeof line - 1) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 1000) <= 0)
            break;
        ssize_t r = read(fd, line + n, sizeof line - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (memchr(line, '\n', n))
            break;
    }
    line[n] = 0;
    struct sbuf o;
    sb_init(&o);
    run(line, &o);
    if (o.p) {
        ssize_t w = send(fd, o.p, o.len, MSG_NOSIGNAL);
        (void)w;
    }
    sb_free(&o);
    close(fd);
}
