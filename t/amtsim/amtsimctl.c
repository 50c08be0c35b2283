/* amtsimctl SOCKET COMMAND... - talk to a running amtsim's control channel.
 * Prints the reply body; exit 0 on "ok", 1 on "error ..." (message to stderr),
 * 2 on usage or connection problems. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
    if (argc < 3 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 3 ? stderr : stdout,
                "usage: amtsimctl SOCKET COMMAND [ARGS...]\n"
                "commands: list | code ID | state ID | power ID on|off|N | fault ID key=value...\n"
                "          reset-stats ID | type ID TEXT... | screen ID\n"
                "ID is the device UUID or its address.\n");
        return argc < 3 ? 2 : 0;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(argv[1]) >= sizeof sa.sun_path) {
        fprintf(stderr, "amtsimctl: socket path too long\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        perror("amtsimctl: connect");
        return 2;
    }
    char req[1024];
    size_t n = 0;
    for (int i = 2; i < argc; i++) {
        int w = snprintf(req + n, sizeof req - n, "%s%s", i > 2 ? " " : "", argv[i]);
        if (w < 0 || (size_t)w >= sizeof req - n) {
            fprintf(stderr, "amtsimctl: command too long\n");
            return 2;
        }
        n += (size_t)w;
    }
    req[n++] = '\n';
    if (write(fd, req, n) != (ssize_t)n) {
        perror("amtsimctl: write");
        return 2;
    }
    char buf[16384];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
    close(fd);
    if (!strncmp(buf, "ok\n", 3)) {
        fputs(buf + 3, stdout);
        return 0;
    }
    if (!strncmp(buf, "error ", 6)) {
        fprintf(stderr, "amtsimctl: %s", buf + 6);
        return 1;
    }
    fprintf(stderr, "amtsimctl: bad reply\n");
    return 2;
}
