/* certcount.c: can this container verify TLS? Count the CA certificates it has.
 *
 * A TLS client (curl, a Go or Python program) trusts the certificates in a CA
 * bundle, usually /etc/ssl/certs/ca-certificates.crt. An image FROM scratch has
 * none, so every HTTPS call fails. This program opens the bundle (the path in
 * SSL_CERT_FILE if set, as OpenSSL does) and counts the certificates in it.
 * Built with `musl-gcc -static`, it runs FROM scratch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const char *path = getenv("SSL_CERT_FILE");
    if (path == NULL || *path == '\0') path = "/etc/ssl/certs/ca-certificates.crt";
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        printf("cannot open %s: %s: no CA certificates, TLS cannot verify anyone\n",
               path, strerror(errno));
        return 1;
    }
    char line[4096];
    long certs = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) certs++;
    }
    fclose(f);
    printf("%ld CA certificates in %s\n", certs, path);
    return certs > 0 ? 0 : 1;
}
