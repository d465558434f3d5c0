/* procstat.c: print every process's /proc/PID/stat line, as the kernel writes it.
 *
 * `docker exec CONTAINER /procstat` reads the process table from INSIDE the
 * container's PID namespace, so it sees what the container sees, zombies
 * included (state Z, the third field). It is static (musl-gcc -static), so it
 * runs in any image, FROM scratch too, and it leaves itself out of the list.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    DIR *proc = opendir("/proc");
    if (!proc) {
        perror("/proc");
        return 1;
    }
    long self = (long)getpid();
    struct dirent *e;
    char path[64], line[1024];
    while ((e = readdir(proc)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == self) continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue; /* it exited (and was reaped) while we looked */
        if (fgets(line, sizeof line, f)) fputs(line, stdout);
        fclose(f);
    }
    closedir(proc);
    return 0;
}
