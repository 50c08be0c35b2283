/*
 * amtsim - a simulated Intel AMT device (WS-Man + redirection protocol).
 * Shared types and the small internal API between the modules.
 * See README.md for the behaviour and the UNCONFIRMED choices.
 */
#ifndef AMTSIM_H
#define AMTSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <openssl/ssl.h>

#define AMTSIM_MAX_DEVICES 64
#define OPTIN_ALL 4294967295u

/* ---- text screen: the simulated host display (shared by SOL and KVM) ---- */
#define SCR_COLS 80
#define SCR_ROWS 25
#define CELL_W 9
#define CELL_H 16
#define FB_W (SCR_COLS * CELL_W)
#define FB_H (SCR_ROWS * CELL_H)

struct screen {
    char cells[SCR_ROWS][SCR_COLS];
    int cx, cy;          /* cursor */
    uint64_t version;    /* bumped on every visible change */
    char line[256];      /* console input line being typed */
    size_t linelen;
};

/* ---- user consent (IPS_OptInService) ---- */
struct optin {
    int state;                /* OptInState 0..4 */
    unsigned code;            /* 0..999999 while state 1/2 */
    double displayed_at;      /* when state became 2 */
    double received_at;       /* last time consent was used/received (for OptInCodeTimeout) */
    int failures;             /* consecutive wrong codes */
    double blocked_until;     /* StartOptIn returns 3 until then */
    unsigned code_timeout;    /* OptInCodeTimeout, s */
    unsigned display_timeout; /* OptInDisplayTimeout, s */
    int max_failures;         /* knob: wrong codes before lock-out (UNCONFIRMED: 3) */
    unsigned lockout_secs;    /* knob: back-off after lock-out (UNCONFIRMED: 60) */
};

/* ---- the consent form AMT draws inside a KVM session that lacks consent ---- */
enum form_status { FORM_ENTER, FORM_WRONG, FORM_LOCKED, FORM_NO_CODE, FORM_INCOMPLETE, FORM_GRANTED };
struct consent_form {
    bool active;              /* the form replaces the host picture until consent is granted */
    char typed[7];            /* digits typed so far (never the code itself) */
    int ntyped;
    enum form_status status;  /* what the status line says */
};

/* ---- fault / load knobs, settable from the command line and the control channel ---- */
struct knobs {
    int wsman_latency_ms;
    int wsman_max_conn;       /* 0 = unlimited */
    long drop_after;          /* close a redirection stream after N bytes sent; 0 = off */
    bool busy;                /* refuse every redirection session with BUSY */
    bool slow_reader;         /* read client data slowly (small reads, pauses) */
    bool sol_bulk;            /* SOL: stream data continuously */
    bool kvm_bulk;            /* KVM: change the screen every frame */
    bool down;                /* unreachable: stop accepting and answering */
    bool plain_auth;          /* offer/accept redirection auth type 1 (Debian amtterm 1.4 needs it) */
    bool plain_only;          /* ... and offer nothing else: a downgrade, as a man in the middle would */
    int consent_status;       /* 0x11 status for a session refused for missing consent */
    bool consent_refuse;      /* consent-mode=refuse: missing consent refuses KVM (and SOL
                                 under ALL) at 0x10, as older amtsim did; default inband */
    int sol_ping_ms;          /* SOL: AMT-originated 0x24 keep-alive every N ms; 0 = never */
    bool kvm_coalesce;        /* KVM: 0x41 and "RFB 004.000\n" in one write */
    char kvm_name[64];        /* RFB ServerInit name */
    uint8_t rfb_security[8];  /* RFB security types offered (3.7/3.8), in order */
    int rfb_nsecurity;
    int power_redir;          /* power changes other than on/reset/NMI while a redirection
                                 session is open: POWER_REDIR_* (knob power-during-redir) */
    /* behaviours of real firmware (docs/real-hardware-wsman.md) */
    char absent[256];         /* '+'-separated classes answered with DestinationUnreachable */
    int fault_http;           /* HTTP status of SOAP faults: 400 (default) or 500 */
    int empty_400;            /* every Nth request: 400 with Content-Length 0; 0 = never */
    bool strict_schema;       /* Put/method bodies: unknown elements or wrong order refused */
    int latency_off_ms;       /* extra delay per exchange while the host is not on */
    bool server_bare;         /* Server header just "AMT" (some 11.x builds) */
    bool empty_hostname;      /* AMT_GeneralSettings HostName/DomainName empty */
};

/* What the device does with a power-off/cycle requested while a redirection session
 * is open (field reports disagree; README "Knobs"). */
enum { POWER_REDIR_DEFER = 0, POWER_REDIR_REJECT, POWER_REDIR_IGNORE, POWER_REDIR_ALLOW };

struct device {
    pthread_mutex_t lock;
    /* identity / config */
    char id[40];              /* UUID string */
    uint8_t guid[16];         /* SMBIOS byte order (as AMT's PlatformGUID) */
    bool guid_set;            /* guid= given: report that instead of the id */
    char addr[64];
    int mode;                 /* ProvisioningMode: 1 = ACM, 4 = CCM */
    char user[33];
    char password[65];
    int tls;                  /* 0 off, 1 on, 2 both */
    char cert[512], key[512];
    int tls_max;              /* highest TLS version (TLS1_x_VERSION); 0 = OpenSSL's */
    char tls_ciphers[256];    /* TLS <= 1.2 cipher list at security level 0; "" = default */
    int wsman_port, redir_port, wsman_tls_port, redir_tls_port;
    char fw[32];
    char model[64];
    char realm[48];           /* "Digest:" + 32 hex */
    /* managed state */
    int power_state;          /* CIM PowerState: 2 on, 8 off-soft, ... */
    bool kvm_enabled;         /* CIM_KVMRedirectionSAP enabled */
    int kvm_requested;        /* CIM_KVMRedirectionSAP RequestedState */
    uint16_t redir_state;     /* AMT_RedirectionService EnabledState 32768..32771 */
    bool listener;            /* AMT_RedirectionService ListenerEnabled */
    bool os_power_saving;     /* Modern Standby: OSPowerSavingState 3 while PowerState stays 2 */
    uint32_t optin_required;  /* 0, 1, OPTIN_ALL */
    struct optin optin;
    /* IPS_KVMRedirectionSettingData writable properties */
    int kvm_w, kvm_h;          /* advertised KVM framebuffer size (knob kvm-size) */
    bool kvm_b2b, kvm_5900, kvm_optin_policy, kvm_dblbuf;
    unsigned kvm_optin_timeout, kvm_session_timeout, kvm_default_screen, kvm_decimation;
    struct screen screen;
    struct consent_form form; /* one KVM session per device, so one form */
    unsigned long inband_prompts, inband_granted, inband_wrong; /* forms shown, codes typed right/wrong */
    struct knobs knobs;
    /* live counters */
    unsigned long wsman_calls, wsman_401, redir_sessions, redir_auth_fail;
    unsigned long redir_busy;  /* session starts answered BUSY */
    unsigned long redir_plain_logins; /* type-1 logins received: a password sent in clear */
    int sol_active, kvm_active, ider_active, wsman_conns;
    /* power changes: how many really happened, and one held back until the last
       redirection session ends (power-during-redir=defer; 0 = none pending) */
    unsigned long sol_pings;   /* AMT-originated 0x24 sent (knob sol-ping) */
    unsigned long power_changes;
    double power_changed_at;   /* now_s() of the last real change (0: never) */
    int power_pending;
    /* digest nonces issued on the WS-Man port (ring) */
    char nonces[16][40];
    double nonce_time[16];
    int nonce_next;
    /* enumeration contexts (small pool like AMT's) */
    struct { unsigned id; char cls[128]; double t; } enums[8];
    unsigned enum_next;
    unsigned long msg_counter;
    struct replay *replay;    /* replay=DIR: recorded replies (replay.c), NULL otherwise */
    unsigned long replay_hits, replay_misses; /* requests answered from / missing in DIR */
    char replay_last_miss[160]; /* short name of the last unrecorded request ("Class/Action") */
    unsigned long http_requests; /* authenticated WS-Man requests (for empty-400) */
    /* runtime */
    SSL_CTX *ssl;
    int lfd[4];               /* wsman, redir, wsman-tls, redir-tls; -1 if unused */
};

struct sim {
    struct device *dev[AMTSIM_MAX_DEVICES];
    int ndev;
    char *control_path;
    char *ready_file, *pid_file;
    int verbose;
};

extern struct sim g_sim;
extern volatile int g_stop;

/* ---- util.c ---- */
double now_s(void);
void sleep_ms(int ms);
void logmsg(const struct device *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rand_bytes(void *buf, size_t n);
void md5_hex(const char *s, size_t n, char out[33]);
void make_nonce(char out[40]);
struct sbuf { char *p; size_t len, cap; bool oom; };
void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_add(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_xml(struct sbuf *b, const char *s); /* escaped text */

/* ---- config.c ---- */
struct device *device_new(void);
int device_parse(struct device *d, const char *spec, char *err, size_t errlen);
int device_finish(struct device *d, char *err, size_t errlen);
int knob_set(struct device *d, const char *kv, char *err, size_t errlen);
int parse_uuid(const char *s, uint8_t out[16]);      /* into PlatformGUID (SMBIOS) byte order */
bool class_absent(struct device *d, const char *cls); /* caller holds d->lock */
int config_load(const char *path, char *err, size_t errlen);
void device_free(struct device *d);
struct device *device_find(const char *id);

/* ---- conn.c: one accepted client connection (plain or TLS) ---- */
struct conn {
    int fd;
    SSL *ssl;
    struct device *dev;
    long sent;                /* bytes written (for drop-after) */
    bool count_drop;          /* apply drop-after on this stream */
    char peer[64];
};
enum { CONN_EOF = 0, CONN_ERR = -1, CONN_TIMEOUT = -2 };
long conn_read(struct conn *c, void *buf, size_t n, int timeout_ms);
int conn_read_full(struct conn *c, void *buf, size_t n, int timeout_ms);
int conn_write(struct conn *c, const void *buf, size_t n);
void conn_close(struct conn *c);

/* ---- server.c: listeners, connection threads, clean shutdown ---- */
int server_run(void);
void server_track(int fd, bool add);

/* ---- digest / HTTP / WS-Man ---- */
void http_serve(struct conn *c);                        /* http.c */
int http_send_soap(struct conn *c, int status, const struct sbuf *body, bool close); /* http.c */
int replay_load(struct device *d, const char *dir, char *err, size_t errlen); /* replay.c */
void replay_free(struct device *d);
int replay_serve(struct conn *c, const char *body, size_t blen, bool *close);
int wsman_handle(struct device *d, const char *body, size_t len,
                 struct sbuf *out, int *status);         /* wsman.c */

/* ---- optin.c ---- */
void optin_tick(struct device *d, double now);           /* caller holds d->lock */
int optin_start(struct device *d);
int optin_send_code(struct device *d, unsigned long code);
int optin_cancel(struct device *d);
bool optin_needed(struct device *d, bool kvm);           /* consent required and not granted */
void optin_session(struct device *d, bool open);

/* ---- consent_form.c (caller holds d->lock) ---- */
void form_open(struct device *d);                        /* start the code if none is pending */
bool form_key(struct device *d, uint32_t keysym);        /* true: consent granted by this key */
bool form_poll(struct device *d);                        /* true: consent granted meanwhile (WS-Man) */
void form_close(struct device *d);
void form_render(const struct device *d, uint8_t *fb);  /* FB_W*FB_H colour indices */
const char *form_status_name(enum form_status s);

/* ---- cls_power.c ---- */
void power_apply(struct device *d, int ps);             /* caller holds d->lock */
void power_session_ended(struct device *d);             /* caller holds d->lock */

/* ---- redir.c / sol.c / rfb.c ---- */
void redir_serve(struct conn *c);
void sol_run(struct conn *c);
void rfb_run(struct conn *c, bool version_sent, bool consent_pending);

/* ---- screen.c / console.c ---- */
void screen_init(struct screen *s);
void screen_write(struct screen *s, const char *p, size_t n);
void screen_render(struct device *d, uint8_t *idx);      /* FB_W*FB_H colour indices, caller holds lock */
void screen_draw_char(uint8_t *fb, int x0, int y0, char ch, uint8_t fg, uint8_t bg); /* one 9x16 cell at x0,y0 */
size_t console_banner(struct device *d, char *out, size_t cap);
size_t console_input(struct device *d, const uint8_t *in, size_t n, char *out, size_t cap);

/* ---- control.c ---- */
int control_open(const char *path);
void control_handle(int lfd);

#endif
