/* clock.c: what time is it in $TZ? Shows two fixed instants in local time.
 *
 * Local time needs the time zone's rules: a file under /usr/share/zoneinfo
 * named by TZ (TZ=Europe/Paris), or the rules spelled out in TZ itself (a
 * POSIX TZ string such as TZ=CET-1CEST,M3.5.0,M10.5.0/3). FROM scratch has no
 * zoneinfo, and a zone name that cannot be found silently falls back to UTC.
 * The instants are fixed (winter and summer 2025) so the output can be checked.
 * Built with `musl-gcc -static`, it runs FROM scratch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
    const time_t instants[] = {1736942400, 1751371200}; /* 2025-01-15 and 2025-07-01, 12:00 UTC */
    const char *tz = getenv("TZ");
    tzset();
    printf("TZ=%s\n", tz ? tz : "(unset)");
    for (int i = 0; i < 2; i++) {
        char utc[32], local[48];
        strftime(utc, sizeof utc, "%Y-%m-%d %H:%M UTC", gmtime(&instants[i]));
        strftime(local, sizeof local, "%H:%M %Z (UTC%z)", localtime(&instants[i]));
        printf("%s is %s\n", utc, local);
    }
    return 0;
}
