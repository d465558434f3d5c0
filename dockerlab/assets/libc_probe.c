/* libc_probe.c: ask the C library a few questions whose answers differ
 * between glibc and musl. Same source, two builds: gcc (glibc) and musl-gcc. */
#define _GNU_SOURCE
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char version[64] = "";
    /* glibc answers with its version; musl has no such setting (returns 0). */
    if (confstr(_CS_GNU_LIBC_VERSION, version, sizeof version) == 0)
        strcpy(version, "(none: not glibc)");
    printf("confstr(_CS_GNU_LIBC_VERSION): %s\n", version);

    /* The message for "no error". */
    printf("strerror(0): %s\n", strerror(0));

    /* A locale that is not installed in either image. */
    const char *loc = setlocale(LC_ALL, "fr_FR.UTF-8");
    printf("setlocale(\"fr_FR.UTF-8\"): %s\n", loc ? loc : "NULL (refused)");

    /* A legacy character set: glibc loads it from its gconv modules. */
    iconv_t cd = iconv_open("IBM037", "UTF-8");
    printf("iconv_open(\"IBM037\"): %s\n", cd == (iconv_t)-1 ? strerror(errno) : "supported");
    return 0;
}
