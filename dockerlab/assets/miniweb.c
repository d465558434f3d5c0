/* miniweb.c: a tiny web service that keeps a visit counter in minicache.
 *
 * The "web service" of the one-task-per-container lesson, a real HTTP/1.0 server:
 *
 *   GET /health  -> 200 "ok"                 (does not touch the cache)
 *   GET /visits  -> 200 "visits: N"          (INCR visits in the cache)
 *                   503 "cache unavailable"  (when the cache does not answer)
 *
 * It logs every request but /health to stdout and exits cleanly on SIGTERM.
 * Usage: miniweb [port] [cache-port]   (defaults 8080 and 6379, both on 127.0.0.1)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int cache_port = 6379;

static void on_term(int sig) {
    (void)sig;
    static const char msg[] = "web: SIGTERM received, exiting\n";
    write(1, msg, sizeof msg - 1);
    _exit(0);
}

static void timeouts(int fd, int ms) {
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Ask the cache one command; the first line of its answer goes in `out`. 0 = ok. */
static int ask_cache(const char *command, char *out, size_t len) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(cache_port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    timeouts(fd, 1000);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { close(fd); return -1; }
    if (write(fd, command, strlen(command)) < 0) { close(fd); return -1; }
    shutdown(fd, SHUT_WR);
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n <= 0) return -1;
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static void reply(int fd, int status, const char *reason, const char *body) {
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, reason, strlen(body), body);
    write(fd, buf, n);
}

static void serve(int fd) {
    char req[2048] = "", path[256] = "", body[300], value[256];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof req - 1 && (n = read(fd, req + got, sizeof req - 1 - got)) > 0) {
        got += n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    if (sscanf(req, "GET %255s", path) != 1) {
        reply(fd, 400, "Bad Request", "bad request\n");
        return;
    }
    if (strcmp(path, "/health") == 0) {
        reply(fd, 200, "OK", "ok\n");
        return;
    }
    if (strcmp(path, "/visits") == 0) {
        if (ask_cache("INCR visits\n", value, sizeof value) == 0) {
            snprintf(body, sizeof body, "visits: %s\n", value);
            reply(fd, 200, "OK", body);
            printf("web: GET /visits 200 (visits: %s)\n", value);
        } else {
            reply(fd, 503, "Service Unavailable", "cache unavailable\n");
            printf("web: GET /visits 503 cache unavailable\n");
        }
        return;
    }
    reply(fd, 404, "Not Found", "not found\n");
    printf("web: GET %s 404\n", path);
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 8080, one = 1;
    if (argc > 2) cache_port = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(srv, (struct sockaddr *)&addr, sizeof addr) || listen(srv, 64)) {
        perror("web: cannot listen");
        return 1;
    }
    printf("web: listening on 127.0.0.1:%d, cache expected on 127.0.0.1:%d\n", port, cache_port);
    for (;;) {
        int fd = accept(srv, NULL, NULL);
        if (fd < 0) continue;
        timeouts(fd, 2000);
        serve(fd);
        close(fd);
    }
}
