/* Listeners, one thread per accepted connection, and a shutdown that waits
 * for every connection thread so that nothing is leaked at exit. */
#include "amtsim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

enum { L_WSMAN, L_REDIR, L_WSMAN_TLS, L_REDIR_TLS };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_threads;
#define MAX_TRACK 4096
static int g_fds[MAX_TRACK];
static int g_nfds;
static int g_sigpipe[2] = { -1, -1 };

void server_track(int fd, bool add)
{
    pthread_mutex_lock(&g_lock);
    if (add) {
        if (g_nfds < MAX_TRACK)
            g_fds[g_nfds++] = fd;
    } else {
        for (int i = 0; i < g_nfds; i++)
            if (g_fds[i] == fd) {
                g_fds[i] = g_fds[--g_nfds];
                break;
            }
    }
    pthread_mutex_unlock(&g_lock);
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    if (g_sigpipe[1] >= 0) {
        ssize_t r = write(g_sigpipe[1], "x", 1);
        (void)r;
    }
}

static int listen_on(const char *addr, int port, int *bound)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "amtsim: bad IPv4 address %s\n", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 64)) {
        fprintf(stderr, "amtsim: cannot listen on %s:%d: %s\n", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *bound = ntohs(sa.sin_port);
    return fd;
}

/* Connection threads are joinable and reaped by the main loop (then all at
 * exit): a detached thread still unwinding when main() returns shows up as a
 * "possibly lost" block under valgrind. */
struct job {
    struct conn c;
    int kind;
    pthread_t tid;
    bool done;
    struct job *next;
};
static struct job *g_jobs;

static void reap(bool all)
{
    pthread_mutex_lock(&g_lock);
    struct job **pp = &g_jobs;
    while (*pp) {
        struct job *j = *pp;
        if (j->done || all) {
            *pp = j->next;
            pthread_mutex_unlock(&g_lock);
            pthread_join(j->tid, NULL);
            free(j);
            pthread_mutex_lock(&g_lock);
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

static void *conn_thread(void *arg)
{
    struct job *j = arg;
    struct conn *c = &j->c;
    struct device *d = c->dev;
    bool tls = j->kind == L_WSMAN_TLS || j->kind == L_REDIR_TLS;
    bool ok = true;
    if (tls) {
        /* bound the handshake so a silent client cannot pin a thread */
        struct timeval tv = { 10, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        c->ssl = SSL_new(d->ssl);
        if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_accept(c->ssl) != 1) {
            logmsg(d, "TLS handshake from %s failed", c->peer);
            ok = false;
        }
        struct timeval zero = { 0, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero);
    }
    if (ok) {
        if (j->kind == L_WSMAN || j->kind == L_WSMAN_TLS)
            http_serve(c);
        else
            redir_serve(c);
    }
    if (j->kind == L_WSMAN || j->kind == L_WSMAN_TLS) {
        pthread_mutex_lock(&d->lock);
        d->wsman_conns--;
        pthread_mutex_unlock(&d->lock);
    }
    conn_close(c);
    pthread_mutex_lock(&g_lock);
    j->done = true;
    g_threads--;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static void do_accept(struct device *d, int kind)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = accept4(d->lfd[kind], (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (kind == L_WSMAN || kind == L_WSMAN_TLS) {
        pthread_mutex_lock(&d->lock);
        bool full = d->knobs.wsman_max_conn > 0 && d->wsman_conns >= d->knobs.wsman_max_conn;
        if (!full)
            d->wsman_conns++;
        pthread_mutex_unlock(&d->lock);
        if (full) {
            /* small embedded web server: beyond its cap the connection is reset */
            struct linger lg = { 1, 0 };
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            close(fd);
            logmsg(d, "wsman-max-conn reached, connection reset");
            return;
        }
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        close(fd);
        return;
    }
    j->kind = kind;
    j->c.fd = fd;
    j->c.dev = d;
    inet_ntop(AF_INET, &sa.sin_addr, j->c.peer, sizeof j->c.peer);
    server_track(fd, true);
    pthread_mutex_lock(&g_lock);
    if (pthread_create(&j->tid, NULL, conn_thread, j)) {
        pthread_mutex_unlock(&g_lock);
        server_track(fd, false);
        close(fd);
        free(j);
        return;
    }
    g_threads++;
    j->next = g_jobs;
    g_jobs = j;
    pthread_mutex_unlock(&g_lock);
}

static int write_file(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fputs(text, f);
    if (fclose(f) || rename(tmp, path))
        return -1;
    return 0;
}

int server_run(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(g_sigpipe, O_CLOEXEC | O_NONBLOCK))
        return 1;

    int rc = 0, cfd = -1;
    struct sbuf ready;
    sb_init(&ready);
    for (int i = 0; i < g_sim.ndev && !rc; i++) {
        struct device *d = g_sim.dev[i];
        int ports[4] = { d->wsman_port, d->redir_port, d->wsman_tls_port, d->redir_tls_port };
        int bound[4] = { 0, 0, 0, 0 };
        for (int k = 0; k < 4 && !rc; k++) {
            if (ports[k] < 0)
                continue;
            d->lfd[k] = listen_on(d->addr, ports[k], &bound[k]);
            if (d->lfd[k] < 0)
                rc = 1;
        }
        sb_printf(&ready, "%s %s wsman=%d redir=%d wsman-tls=%d redir-tls=%d\n", d->id, d->addr,
                  bound[0], bound[1], bound[2], bound[3]);
    }
    if (!rc && g_sim.control_path) {
        cfd = control_open(g_sim.control_path);
        if (cfd < 0)
            rc = 1;
    }
    if (!rc && g_sim.pid_file) {
        char pid[32];
        snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (write_file(g_sim.pid_file, pid))
            fprintf(stderr, "amtsim: cannot write %s\n", g_sim.pid_file), rc = 1;
    }
    if (!rc && g_sim.ready_file && write_file(g_sim.ready_file, ready.p ? ready.p : ""))
        fprintf(stderr, "amtsim: cannot write %s\n", g_sim.ready_file), rc = 1;
    sb_free(&ready);

    struct pollfd pf[2 + 4 * AMTSIM_MAX_DEVICES];
    int who[2 + 4 * AMTSIM_MAX_DEVICES][2];
    while (!rc && !g_stop) {
        int n = 0;
        pf[n] = (struct pollfd){ .fd = g_sigpipe[0], .events = POLLIN };
        who[n][0] = -1, n++;
        if (cfd >= 0) {
            pf[n] = (struct pollfd){ .fd = cfd, .events = POLLIN };
            who[n][0] = -2, n++;
        }
        for (int i = 0; i < g_sim.ndev; i++) {
            struct device *d = g_sim.dev[i];
            /* "down": leave connections in the backlog unanswered, like an unreachable host */
            if (d->knobs.down)
                continue;
            for (int k = 0; k < 4; k++)
                if (d->lfd[k] >= 0) {
                    pf[n] = (struct pollfd){ .fd = d->lfd[k], .events = POLLIN };
                    who[n][0] = i, who[n][1] = k, n++;
                }
        }
        reap(false);
        /* wake up periodically so a "down=off" takes effect without traffic */
        int r = poll(pf, (nfds_t)n, 200);
        if (r <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            if (who[i][0] == -1)
                continue;
            if (who[i][0] == -2)
                control_handle(cfd);
            else
                do_accept(g_sim.dev[who[i][0]], who[i][1]);
        }
    }

    /* orderly shutdown: stop listening, kick every connection, wait for threads */
    for (int i = 0; i < g_sim.ndev; i++)
        for (int k = 0; k < 4; k++)
            if (g_sim.dev[i]->lfd[k] >= 0) {
                close(g_sim.dev[i]->lfd[k]);
                g_sim.dev[i]->lfd[k] = -1;
            }
    if (cfd >= 0) {
        close(cfd);
        unlink(g_sim.control_path);
    }
    g_stop = 1;
    pthread_mutex_lock(&g_lock);
    while (g_threads > 0) {
        for (int i = 0; i < g_nfds; i++)
            shutdown(g_fds[i], SHUT_RDWR);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g_cond, &g_lock, &ts);
    }
    pthread_mutex_unlock(&g_lock);
    reap(true);
    close(g_sigpipe[0]);
    close(g_sigpipe[1]);
    if (g_sim.ready_file)
        unlink(g_sim.ready_file);
    if (g_sim.pid_file)
        unlink(g_sim.pid_file);
    return rc;
}
