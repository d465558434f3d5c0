/* minicache.c: a tiny in-memory cache server, one command per line.
 *
 * The "cache" of the one-task-per-container lesson: a real TCP server that
 * answers like Redis's inline protocol does, for a handful of commands:
 *
 *   SET key value   -> OK
 *   GET key         -> the value, or (nil)
 *   INCR key        -> the new integer value
 *   DEBUG SEGFAULT  -> crashes the server on purpose (Redis has the same command)
 *
 * It logs every command to stdout and exits cleanly on SIGTERM, so `docker stop`
 * is quick. Built with `musl-gcc -static`, it runs FROM scratch.
 * Usage: minicache [port]   (default 6379)
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

#define MAX_KEYS 256
static char keys[MAX_KEYS][64], vals[MAX_KEYS][256];
static int nkeys;

static void on_term(int sig) {
    (void)sig;
    static const char msg[] = "cache: SIGTERM received, exiting\n";
    write(1, msg, sizeof msg - 1);
    _exit(0);
}

static int slot(const char *key, int create) {
    for (int i = 0; i < nkeys; i++)
        if (strcmp(keys[i], key) == 0) return i;
    if (!create || nkeys == MAX_KEYS) return -1;
    snprintf(keys[nkeys], sizeof keys[0], "%s", key);
    vals[nkeys][0] = '\0';
    return nkeys++;
}

static void handle(FILE *io) {
    char line[512], *key, *val;
    while (fgets(line, sizeof line, io)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *cmd = strtok(line, " ");
        if (!cmd) continue;
        key = strtok(NULL, " ");
        val = strtok(NULL, "");
        printf("cache: %s %s\n", cmd, key ? key : "");
        if (strcmp(cmd, "SET") == 0 && key && val) {
            int i = slot(key, 1);
            if (i < 0) { fputs("ERR cache full\n", io); continue; }
            snprintf(vals[i], sizeof vals[0], "%s", val);
            fputs("OK\n", io);
        } else if (strcmp(cmd, "GET") == 0 && key) {
            int i = slot(key, 0);
            fprintf(io, "%s\n", i < 0 ? "(nil)" : vals[i]);
        } else if (strcmp(cmd, "INCR") == 0 && key) {
            int i = slot(key, 1);
            if (i < 0) { fputs("ERR cache full\n", io); continue; }
            snprintf(vals[i], sizeof vals[0], "%ld", atol(vals[i]) + 1);
            fprintf(io, "%s\n", vals[i]);
        } else if (strcmp(cmd, "DEBUG") == 0 && key && strcmp(key, "SEGFAULT") == 0) {
            fflush(stdout);
            *(volatile int *)0 = 0;  /* a real crash: SIGSEGV */
        } else {
            fputs("ERR unknown command\n", io);
        }
        fflush(io);
    }
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 6379, one = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(srv, (struct sockaddr *)&addr, sizeof addr) || listen(srv, 64)) {
        perror("cache: cannot listen");
        return 1;
    }
    printf("cache: listening on 127.0.0.1:%d\n", port);
    for (;;) {
        int fd = accept(srv, NULL, NULL);
        if (fd < 0) continue;
        struct timeval tv = {.tv_sec = 2};  /* a silent client cannot block the cache */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        FILE *io = fdopen(fd, "r+");
        if (!io) { close(fd); continue; }
        handle(io);
        fclose(io);
    }
}
