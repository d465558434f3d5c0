/* id.c: who am I? A tiny `id` for images that have no shell and no coreutils.
 *
 * Prints the user and group ids the process runs as and, like `id`, their
 * names when /etc/passwd and /etc/group name them. FROM scratch there are no
 * such files: the ids still work (the kernel only knows numbers), the names do
 * not. Built with `musl-gcc -static`, it runs FROM scratch.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    struct passwd *pw = getpwuid(uid);
    struct group *gr = getgrgid(gid);
    printf("uid=%u", (unsigned)uid);
    if (pw != NULL) printf("(%s)", pw->pw_name);
    printf(" gid=%u", (unsigned)gid);
    if (gr != NULL) printf("(%s)", gr->gr_name);
    if (pw == NULL) printf("  [no name: /etc/passwd has no entry for uid %u]", (unsigned)uid);
    else printf("  home=%s", pw->pw_dir);
    printf("\n");
    return 0;
}
