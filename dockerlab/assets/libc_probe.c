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

    /* Two EBCDIC code pages: glibc loads both from its gconv modules; musl has
     * one EBCDIC page built in, IBM1047, and not IBM037. */
    const char *pages[] = {"IBM037", "IBM1047"};
    for (int i = 0; i < 2; i++) {
        iconv_t cd = iconv_open(pages[i], "UTF-8");
        printf("iconv_open(\"%s\"): %s\n", pages[i],
               cd == (iconv_t)-1 ? strerror(errno) : "supported");
        if (cd != (iconv_t)-1)
            iconv_close(cd);
    }
    return 0;
}
