/* tls.c: the certificate and key of direct HTTPS (--tls-cert/--tls-key).
 * libmicrohttpd takes them as PEM text; they are read and checked here with
 * GnuTLS first, so that a missing, unreadable, malformed or mismatched file
 * stops the start with one line saying which and why. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define PEM_MAX (1024 * 1024) /* a chain of certificates is a few KiB */

/* The whole file as a NUL-terminated string, or NULL with why in err. */
static char *read_pem(const char *flag, const char *path, char *err, size_t en)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, en, "cannot read %s %s: %s", flag, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(PEM_MAX + 1);
    size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed || n == 0 || n > PEM_MAX) {
        snprintf(err, en, "cannot read %s %s: %s", flag, path,
                 !buf ? "out of memory" : failed ? "read error (is it a folder?)" : n == 0 ? "the file is empty"
                                                                                     : "over 1 MiB, not a PEM file");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

int http_tls_load(struct app *app, const char *cert_path, const char *key_path, char *err, size_t en)
{
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, en, "this libmicrohttpd was built without TLS: --tls-cert cannot be served");
        return -1;
    }
    char *cert = read_pem("--tls-cert", cert_path, err, en);
    char *key = cert ? read_pem("--tls-key", key_path, err, en) : NULL;
    if (!key) goto fail;
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS) {
        snprintf(err, en, "cannot set up TLS: out of memory");
        goto fail;
    }
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
    /* also checks that the key is the certificate's */
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0) {
        snprintf(err, en, "--tls-cert %s with --tls-key %s: %s", cert_path, key_path, gnutls_strerror(rc));
        goto fail;
    }
    app->tls = true;
    app->tls_cert = cert;
    app->tls_key = key;
    return 0;
fail:
    free(cert);
    if (key) sodium_memzero(key, strlen(key));
    free(key);
    return -1;
}

void http_tls_free(struct app *app)
{
    if (!app->tls) return;
    sodium_memzero((char *)app->tls_key, strlen(app->tls_key));
    free((char *)app->tls_key);
    free((char *)app->tls_cert);
    app->tls = false;
    app->tls_cert = app->tls_key = NULL;
}
