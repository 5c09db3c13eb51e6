/* A wolfSSL TLS 1.2 peer for Gauntlet's interop runs (interop/README.md),
 * with the command line of the mbedTLS and Java peers:
 *
 *   wolfssl-peer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem
 *                       --suite NAME[,NAME...] [--mode http|echo] [--timeout SECS]
 *   wolfssl-peer client --port N --ca ROOT.pem --suite NAME[,NAME...]
 *                       [--servername localhost] [--timeout SECS]
 *
 * Server: listens on 127.0.0.1:PORT only (0: any free port, printed), one
 * thread per connection; "http" answers one request and closes with
 * close_notify, "echo" echoes until the peer closes. Client: connects to
 * 127.0.0.1:PORT, verifies the chain against ROOT and the name, sends
 * `GET / HTTP/1.0\r\n\r\n`, prints the answer; exit 0 only if both worked.
 * TLS 1.2 only; suites are IANA or OpenSSL names (wolfSSL takes both); every
 * socket read and write is bounded by --timeout. Debian 12's libwolfssl
 * (5.5.4) has no RSA key exchange suites enabled by default, so Gauntlet
 * runs it in the ECDHE cells only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

struct opts {
    const char *role, *port, *cert, *chain, *key, *ca, *suite, *mode, *servername;
    double timeout;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: wolfssl-peer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem --suite S\n"
            "                           [--mode http|echo] [--timeout SECS]\n"
            "       wolfssl-peer client --port N --ca ROOT.pem --suite S [--servername NAME] [--timeout SECS]\n");
    exit(2);
}

static void die(const char *what)
{
    fprintf(stderr, "wolfssl-peer: %s\n", what);
    exit(1);
}

static void set_timeouts(int fd, double secs)
{
    struct timeval tv = {.tv_sec = (time_t) secs, .tv_usec = (suseconds_t) ((secs - (time_t) secs) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* The comma-separated list as wolfSSL's colon-separated cipher list. */
static void set_suites(WOLFSSL_CTX *ctx, const char *list)
{
    char buf[512];
    if (strlen(list) >= sizeof buf)
        die("suite list too long");
    strcpy(buf, list);
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = ':';
    if (wolfSSL_CTX_set_cipher_list(ctx, buf) != WOLFSSL_SUCCESS) {
        fprintf(stderr, "wolfssl-peer: unknown suite in %s\n", list);
        exit(2);
    }
}

/* Reads a whole small file (a PEM), appending to *buf. */
static void append_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (*len + n > (1 << 20))
            die("PEM file too large");
        char *grown = realloc(*buf, *len + n + 1);
        if (grown == NULL)
            die("out of memory");
        *buf = grown;
        memcpy(*buf + *len, chunk, n);
        *len += n;
        (*buf)[(*len)++] = '\n';
    }
    fclose(f);
}

struct job {
    WOLFSSL_CTX *ctx;
    int fd;
    const struct opts *o;
};

static void *serve_one(void *arg)
{
    struct job *j = arg;
    WOLFSSL *ssl = wolfSSL_new(j->ctx);
    if (ssl == NULL || wolfSSL_set_fd(ssl, j->fd) != WOLFSSL_SUCCESS)
        goto done;
    if (wolfSSL_accept(ssl) != WOLFSSL_SUCCESS) {
        char err[80];
        fprintf(stderr, "wolfssl-peer: handshake: %s\n",
                wolfSSL_ERR_error_string((unsigned long) wolfSSL_get_error(ssl, 0), err));
        goto done;
    }
    fprintf(stderr, "wolfssl-peer: negotiated %s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher_name(ssl));
    char buf[16384], request[65536];
    size_t have = 0;
    for (;;) {
        int n = wolfSSL_read(ssl, buf, sizeof buf);
        if (n <= 0)
            break;
        if (strcmp(j->o->mode, "echo") == 0) {
            if (wolfSSL_write(ssl, buf, n) != n)
                break;
            continue;
        }
        size_t take = (size_t) n < sizeof request - 1 - have ? (size_t) n : sizeof request - 1 - have;
        memcpy(request + have, buf, take);
        have += take;
        request[have] = 0;
        if (strstr(request, "\r\n\r\n") || strstr(request, "\n\n") || have == sizeof request - 1) {
            char body[512];
            int len = snprintf(body, sizeof body,
                               "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n"
                               "<html><body><pre>Gauntlet wolfSSL peer\n%s %s\n</pre></body></html>\r\n",
                               wolfSSL_get_version(ssl), wolfSSL_get_cipher_name(ssl));
            wolfSSL_write(ssl, body, len);
            wolfSSL_shutdown(ssl); /* close_notify */
            break;
        }
    }
done:
    if (ssl != NULL)
        wolfSSL_free(ssl);
    close(j->fd);
    free(j);
    return NULL;
}

static int run_server(const struct opts *o)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_2_server_method());
    if (ctx == NULL)
        die("CTX_new");
    char *pem = NULL;
    size_t len = 0;
    append_file(o->cert, &pem, &len);
    if (o->chain != NULL)
        append_file(o->chain, &pem, &len);
    if (wolfSSL_CTX_use_certificate_chain_buffer_format(ctx, (const unsigned char *) pem, (long) len,
                                                        WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
        die("cannot load the certificate chain");
    free(pem);
    if (wolfSSL_CTX_use_PrivateKey_file(ctx, o->key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
        die("cannot load the private key");
    set_suites(ctx, o->suite);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(o->port))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen(lfd, 128) != 0) {
        perror("wolfssl-peer: bind/listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *) &addr, &alen);
    printf("wolfssl-peer: listening on 127.0.0.1:%u mode=%s\n", (unsigned) ntohs(addr.sin_port), o->mode);
    fflush(stdout);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            perror("wolfssl-peer: accept");
            return 1;
        }
        set_timeouts(fd, o->timeout);
        struct job *j = calloc(1, sizeof *j);
        if (j == NULL)
            die("out of memory");
        j->ctx = ctx;
        j->fd = fd;
        j->o = o;
        pthread_t tid;
        if (pthread_create(&tid, &attr, serve_one, j) != 0) {
            close(fd);
            free(j);
        }
    }
}

static int run_client(const struct opts *o)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    if (ctx == NULL)
        die("CTX_new");
    if (wolfSSL_CTX_load_verify_locations(ctx, o->ca, NULL) != WOLFSSL_SUCCESS)
        die("cannot load the root");
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    set_suites(ctx, o->suite);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    set_timeouts(fd, o->timeout);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(o->port))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        perror("wolfssl-peer: connect");
        return 1;
    }
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (ssl == NULL || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS)
        die("new");
    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, o->servername, (unsigned short) strlen(o->servername));
    wolfSSL_check_domain_name(ssl, o->servername);
    if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
        char err[80];
        fprintf(stderr, "wolfssl-peer: handshake: %s\n",
                wolfSSL_ERR_error_string((unsigned long) wolfSSL_get_error(ssl, 0), err));
        return 1;
    }
    fprintf(stderr, "wolfssl-peer: negotiated %s %s\n", wolfSSL_get_version(ssl), wolfSSL_get_cipher_name(ssl));
    const char *req = "GET / HTTP/1.0\r\n\r\n";
    if (wolfSSL_write(ssl, req, (int) strlen(req)) != (int) strlen(req))
        die("write");
    char buf[16384];
    long total = 0;
    int n;
    while ((n = wolfSSL_read(ssl, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t) n, stdout);
        total += n;
    }
    fflush(stdout);
    int err = wolfSSL_get_error(ssl, n);
    wolfSSL_free(ssl);
    close(fd);
    if (total == 0) {
        fprintf(stderr, "wolfssl-peer: no answer from the server\n");
        return 1;
    }
    /* The answer must end with the server's close_notify. */
    return err == WOLFSSL_ERROR_ZERO_RETURN ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct opts o = {.mode = "http", .servername = "localhost", .timeout = 10};
    if (argc < 2)
        usage();
    o.role = argv[1];
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *a = argv[i], *v = argv[++i];
        if (!strcmp(a, "--port")) o.port = v;
        else if (!strcmp(a, "--cert")) o.cert = v;
        else if (!strcmp(a, "--chain")) o.chain = v;
        else if (!strcmp(a, "--key")) o.key = v;
        else if (!strcmp(a, "--ca")) o.ca = v;
        else if (!strcmp(a, "--suite")) o.suite = v;
        else if (!strcmp(a, "--mode")) o.mode = v;
        else if (!strcmp(a, "--servername")) o.servername = v;
        else if (!strcmp(a, "--timeout")) o.timeout = atof(v);
        else usage();
    }
    if (!o.port || !o.suite || o.timeout <= 0 || (strcmp(o.mode, "http") && strcmp(o.mode, "echo")))
        usage();
    signal(SIGPIPE, SIG_IGN);
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        die("init");
    if (!strcmp(o.role, "server")) {
        if (!o.cert || !o.key)
            usage();
        return run_server(&o);
    }
    if (!strcmp(o.role, "client")) {
        if (!o.ca)
            usage();
        return run_client(&o);
    }
    usage();
    return 2;
}
