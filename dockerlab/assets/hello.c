/* hello.c: a program that needs nothing but the kernel.
 *
 * Built with `musl-gcc -static`, it runs in an image FROM scratch: no shell,
 * no libc on disk, no package manager. It prints what it can see of its own
 * root filesystem, to show how empty that is.
 */
#include <dirent.h>
#include <stdio.h>

int main(void) {
    printf("hello from a static binary. / holds:");
    DIR *root = opendir("/");
    if (root) {
        struct dirent *e;
        while ((e = readdir(root)) != NULL) {
            if (e->d_name[0] != '.') printf(" %s", e->d_name);
        }
        closedir(root);
    }
    printf("\n");
    return 0;
}
