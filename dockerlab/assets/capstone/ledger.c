/* ledger.c: the capstone's small service. It totals a CSV ledger and reports.
 *
 *   ledger [--once] LEDGER.csv
 *
 * Configuration comes from the environment (twelve-factor style):
 *   LEDGER_TOKEN        required: the key that signs each report (a secret:
 *                       give it at run time, never bake it into the image)
 *   LEDGER_CURRENCY     printed after the totals (default EUR)
 *   LEDGER_INTERVAL_MS  milliseconds between reports in service mode (default 200)
 *
 * Each line of the CSV is `account,amount` (amount in cents). A report gives
 * the number of rows, the total, and a signature (FNV-1a of token + total),
 * never the token itself.
 *
 * --once: write one report to stdout and exit 0.
 * Otherwise it runs as a service: every interval it hands the report to a
 * worker the classic "daemon" way (fork a child that forks the worker and
 * exits at once), and waits for the child only. The worker is an orphan: the
 * kernel gives it to PID 1. If this program IS PID 1 (no init in the
 * container), nobody reaps finished workers and they stay zombies. It installs
 * no SIGTERM handler either, so as PID 1 it ignores `docker stop`'s SIGTERM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(const char *path, const char *token, const char *currency, long n) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    char line[256], account[128];
    long rows = 0, total = 0, cents;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%127[^,],%ld", account, &cents) == 2) {
            rows++;
            total += cents;
        }
    }
    fclose(f);
    uint32_t h = 2166136261u;
    for (const char *p = token; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    for (int i = 0; i < 8; i++) h = (h ^ (unsigned char)(total >> (8 * i))) * 16777619u;
    printf("report %ld: %ld rows, total %ld.%02ld %s, signature %08x\n", n, rows, total / 100,
           labs(total % 100), currency, h);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    if (argc != 2 + once) {
        fprintf(stderr, "usage: ledger [--once] LEDGER.csv\n");
        return 2;
    }
    const char *path = argv[1 + once];
    const char *token = getenv("LEDGER_TOKEN");
    if (!token || !*token) {
        fprintf(stderr, "ledger: LEDGER_TOKEN is not set (give it at run time: -e LEDGER_TOKEN=...)\n");
        return 3;
    }
    const char *currency = getenv("LEDGER_CURRENCY") ? getenv("LEDGER_CURRENCY") : "EUR";
    long ms = getenv("LEDGER_INTERVAL_MS") ? atol(getenv("LEDGER_INTERVAL_MS")) : 200;
    if (once) return report(path, token, currency, 1);

    printf("ledger: serving, one report every %ld ms\n", ms);
    fflush(stdout);
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    for (long n = 1;; n++) {
        pid_t child = fork();
        if (child == 0) {
            if (fork() == 0) _exit(report(path, token, currency, n)); /* the worker */
            _exit(0); /* the child leaves at once: the worker is an orphan */
        }
        if (child > 0) waitpid(child, NULL, 0); /* only our own child, never the orphans */
        nanosleep(&pause, NULL);
    }
}
