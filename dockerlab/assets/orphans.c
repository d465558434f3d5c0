/* orphans.c: a workload that keeps orphaning children, and logs what that costs.
 *
 * Usage: orphans SECONDS PER_SECOND
 *
 * PER_SECOND times a second it forks a child, which forks a grandchild and
 * exits at once. The grandchild is now an orphan: the kernel hands it to PID 1.
 * It exits too (after 10 ms), and stays a zombie until PID 1 reaps it. A PID 1
 * that never calls wait() collects zombies; under a pids limit, each one holds
 * a process slot until fork() fails.
 *
 * Every 100 ms it prints one line, read by the notebook:
 *     tick MILLISECONDS FORKS_OK FORKS_FAILED ZOMBIES
 * (ZOMBIES: processes in state Z in /proc, read inside the container).
 * After SECONDS it prints "done" and sleeps until it is killed: it must not
 * exit itself, or it would become a zombie too and blur the count.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int zombies(void) {
    DIR *proc = opendir("/proc");
    if (!proc) return -1;
    int n = 0;
    struct dirent *e;
    char path[64], line[1024];
    while ((e = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0])) continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        if (fgets(line, sizeof line, f)) {
            char *close = strrchr(line, ')'); /* the name may hold spaces and ')' */
            if (close && close[1] == ' ' && close[2] == 'Z') n++;
        }
        fclose(f);
    }
    closedir(proc);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: orphans SECONDS PER_SECOND\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    double seconds = atof(argv[1]), rate = atof(argv[2]);
    long ok = 0, failed = 0;
    double t0 = now(), next_fork = t0, next_tick = t0;
    while (now() - t0 < seconds) {
        if (now() >= next_fork) {
            next_fork += 1.0 / rate;
            pid_t child = fork();
            if (child < 0) {
                failed++;
            } else if (child == 0) {
                pid_t grandchild = fork();
                if (grandchild == 0) {
                    usleep(10000);
                    _exit(0);
                }
                _exit(grandchild < 0 ? 1 : 0);
            } else {
                int status = 0;
                waitpid(child, &status, 0); /* our own child: reaped, as it should be */
                if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ok++;
                else failed++;
            }
        }
        if (now() >= next_tick) {
            next_tick += 0.1;
            printf("tick %ld %ld %ld %d\n", (long)((now() - t0) * 1000), ok, failed, zombies());
        }
        usleep(2000);
    }
    printf("done %ld %ld %d\n", ok, failed, zombies());
    for (;;) pause();
}
