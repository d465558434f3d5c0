/* probe.c: an HTTP client that watches a service from inside its network namespace.
 *
 *   probe get PORT PATH
 *       One GET on 127.0.0.1:PORT; prints the status code (0 if nothing answered)
 *       and the body.
 *   probe watch PORT INTERVAL_MS TIMEOUT_MS PATH...
 *       GETs every PATH every INTERVAL_MS and prints a line "MS PATH STATUS" each
 *       time a path's status changes (MS: milliseconds since the probe started).
 *       Once any path has failed (status other than 200) and every path answers
 *       200 again, it prints "MS recovered" and exits 0; after TIMEOUT_MS it
 *       prints "MS timeout" and exits 1.
 *
 * Polling from inside, every few milliseconds, times an outage far more finely
 * than `docker exec` round trips could (each costs about 0.1 s).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATHS 8

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* GET path; returns the HTTP status, 0 if the connection failed. The body goes to `body`. */
static int get(int port, const char *path, char *body, size_t len) {
    char buf[4096];
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (body && len) body[0] = '\0';
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\n\r\n", path);
        size_t got = 0;
        ssize_t r;
        if (write(fd, buf, n) == n) {
            while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
                got += r;
            buf[got] = '\0';
            if (sscanf(buf, "HTTP/%*s %d", &status) != 1) status = 0;
            char *start = strstr(buf, "\r\n\r\n");
            if (body && len && start) snprintf(body, len, "%s", start + 4);
        }
    }
    close(fd);
    return status;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "get") == 0) {
        char body[2048];
        int status = get(atoi(argv[2]), argv[3], body, sizeof body);
        printf("%d\n%s", status, body);
        return status == 200 ? 0 : 1;
    }
    if (argc < 6 || strcmp(argv[1], "watch") != 0) {
        fprintf(stderr, "usage: probe get PORT PATH | probe watch PORT INTERVAL_MS TIMEOUT_MS PATH...\n");
        return 2;
    }
    int port = atoi(argv[2]), npaths = argc - 5, last[MAX_PATHS], failed = 0;
    long interval = atol(argv[3]), timeout = atol(argv[4]), t0 = now_ms();
    if (npaths > MAX_PATHS) npaths = MAX_PATHS;
    for (int i = 0; i < npaths; i++) last[i] = -1;
    for (;;) {
        int all_ok = 1;
        for (int i = 0; i < npaths; i++) {
            int status = get(port, argv[5 + i], NULL, 0);
            if (status != last[i]) printf("%ld %s %d\n", now_ms() - t0, argv[5 + i], status);
            last[i] = status;
            if (status != 200) failed = 1, all_ok = 0;
        }
        if (failed && all_ok) {
            printf("%ld recovered\n", now_ms() - t0);
            return 0;
        }
        if (now_ms() - t0 > timeout) {
            printf("%ld timeout\n", now_ms() - t0);
            return 1;
        }
        usleep(interval * 1000);
    }
}
