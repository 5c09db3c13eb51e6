/*
 * An mbedTLS 2.28 TLS 1.2 peer for Gauntlet's interop runs (interop/README.md).
 *
 *   peer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem
 *               --suite 009c|009d|NAME[,NAME...] [--mode http|echo] [--timeout SECS]
 *               [--max-connections N] [--no-ems] [--debug N]
 *   peer client --port N --ca ROOT.pem --suite 009c|009d|NAME[,NAME...]
 *               [--host 127.0.0.1] [--servername localhost] [--timeout SECS]
 *               [--no-ems] [--debug N]
 *
 * Server: binds 127.0.0.1:PORT only, one thread per connection sharing one
 * config and a session cache (so session-ID resumption works), answers
 * "http" (read to the blank line, one response, close_notify) or "echo"
 * (echo until the peer closes).
 * Client: verifies the chain against the root and the name (SNI and
 * certificate name), sends "GET / HTTP/1.0\r\n\r\n", prints the answer to
 * stdout, exits 0 only if the handshake and the exchange worked.
 * Both: TLS 1.2 only, exactly the suites given, every read bounded by
 * --timeout (the client also by an alarm at three times that). --debug N
 * (0-4) prints mbedTLS's own debug log on stderr.
 * One line on stderr per connection says what was negotiated, including
 * extended_master_secret (read from the handshake state, a 2.28 internal).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/debug.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_cache.h"
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/version.h"
#include "mbedtls/x509_crt.h"
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#error "peer.c is written for the mbedTLS 2.28 API"
#endif
#include "mbedtls/ssl_internal.h"

#define REQUEST "GET / HTTP/1.0\r\n\r\n"

struct opts {
    const char *role, *port, *host, *servername, *cert, *chain, *key, *ca, *suite, *mode;
    double timeout;
    long max_connections;
    int no_ems;
    int debug;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: peer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem --suite S\n"
            "                   [--mode http|echo] [--timeout SECS] [--max-connections N] [--no-ems]\n"
            "                   [--debug 0-4]\n"
            "       peer client --port N --ca ROOT.pem --suite S [--host 127.0.0.1]\n"
            "                   [--servername localhost] [--timeout SECS] [--no-ems] [--debug 0-4]\n"
            "S: 009c, 009d or an IANA name (TLS_RSA_WITH_AES_128_GCM_SHA256)\n");
    exit(2);
}

static void die_mbed(const char *what, int ret)
{
    char buf[200];
    mbedtls_strerror(ret, buf, sizeof buf);
    fprintf(stderr, "mbedtls-peer: %s: -0x%04x %s\n", what, (unsigned) -ret, buf);
    exit(1);
}

static int parse_suite(const char *s)
{
    if (!strcasecmp(s, "009c") || !strcasecmp(s, "0x009c") || !strcasecmp(s, "9c"))
        return MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256;
    if (!strcasecmp(s, "009d") || !strcasecmp(s, "0x009d") || !strcasecmp(s, "9d"))
        return MBEDTLS_TLS_RSA_WITH_AES_256_GCM_SHA384;
    /* mbedTLS spells IANA names with hyphens. */
    char name[128];
    size_t n = strlen(s);
    if (n >= sizeof name)
        return 0;
    for (size_t i = 0; i <= n; i++)
        name[i] = s[i] == '_' ? '-' : s[i];
    return mbedtls_ssl_get_ciphersuite_id(name);
}

static void set_socket_timeouts(int fd, double secs)
{
    struct timeval tv;
    tv.tv_sec = (time_t) secs;
    tv.tv_usec = (suseconds_t) ((secs - (double) tv.tv_sec) * 1e6);
    /* Reads are bounded by mbedtls_net_recv_timeout; writes by this. */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void on_alarm(int sig)
{
    (void) sig;
    static const char msg[] = "mbedtls-peer: watchdog expired\n";
    ssize_t unused = write(2, msg, sizeof msg - 1);
    (void) unused;
    _exit(124);
}

static void arm_watchdog(double timeout)
{
    signal(SIGALRM, on_alarm);
    unsigned secs = (unsigned) (timeout * 3) + 1;
    alarm(secs);
}

/* Steps through the handshake so the EMS flag can be read before the
 * handshake parameters are freed. Returns 0 or an mbedTLS error. */
static int handshake(mbedtls_ssl_context *ssl, int *ems)
{
    int ret = 0;
    *ems = -1;
    while (ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        if (ssl->handshake != NULL && ssl->state > MBEDTLS_SSL_SERVER_HELLO)
            *ems = ssl->handshake->extended_ms;
        ret = mbedtls_ssl_handshake_step(ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret != 0)
            return ret;
    }
    return 0;
}

static void describe(const char *who, mbedtls_ssl_context *ssl, int ems)
{
    fprintf(stderr, "%snegotiated %s %s extended_master_secret=%s\n", who,
            mbedtls_ssl_get_version(ssl), mbedtls_ssl_get_ciphersuite(ssl),
            ems < 0 ? "unknown" : ems ? "yes" : "no");
}

static void debug_cb(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void) ctx;
    fprintf(stderr, "mbedtls[%d] %s:%d: %s", level, file, line, msg);
}

static void common_conf(mbedtls_ssl_config *conf, const struct opts *o, int endpoint,
                        const int *suites, mbedtls_ctr_drbg_context *drbg)
{
    int ret = mbedtls_ssl_config_defaults(conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        die_mbed("ssl_config_defaults", ret);
    mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, drbg);
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(conf, suites);
    mbedtls_ssl_conf_read_timeout(conf, (uint32_t) (o->timeout * 1000));
    mbedtls_ssl_conf_extended_master_secret(
        conf, o->no_ems ? MBEDTLS_SSL_EXTENDED_MS_DISABLED : MBEDTLS_SSL_EXTENDED_MS_ENABLED);
    if (o->debug > 0) {
        mbedtls_debug_set_threshold(o->debug);
        mbedtls_ssl_conf_dbg(conf, debug_cb, NULL);
    }
}

static int write_all(mbedtls_ssl_context *ssl, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        int ret = mbedtls_ssl_write(ssl, buf, len);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret < 0)
            return ret;
        buf += ret;
        len -= (size_t) ret;
    }
    return 0;
}

/* One server connection, on its own thread. Returns 0 if it went well. */
static int serve_one(mbedtls_net_context *client, mbedtls_ssl_config *conf, const struct opts *o)
{
    mbedtls_ssl_context ssl;
    int ret, ems, status = 1;
    unsigned char buf[16384];
    size_t have = 0;
    char request[65536];

    mbedtls_ssl_init(&ssl);
    set_socket_timeouts(client->fd, o->timeout);
    if ((ret = mbedtls_ssl_setup(&ssl, conf)) != 0)
        die_mbed("ssl_setup", ret);
    mbedtls_ssl_set_bio(&ssl, client, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    if ((ret = handshake(&ssl, &ems)) != 0) {
        char err[200];
        mbedtls_strerror(ret, err, sizeof err);
        fprintf(stderr, "mbedtls-peer: handshake failed: -0x%04x %s\n", (unsigned) -ret, err);
        goto done;
    }
    describe("mbedtls-peer: ", &ssl, ems);
    for (;;) {
        ret = mbedtls_ssl_read(&ssl, buf, sizeof buf);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
            status = 0;
            break;
        }
        if (ret < 0) {
            char err[200];
            mbedtls_strerror(ret, err, sizeof err);
            fprintf(stderr, "mbedtls-peer: read: -0x%04x %s\n", (unsigned) -ret, err);
            goto done;
        }
        if (!strcmp(o->mode, "echo")) {
            if ((ret = write_all(&ssl, buf, (size_t) ret)) != 0)
                goto done;
            continue;
        }
        size_t n = (size_t) ret;
        if (n > sizeof request - 1 - have)
            n = sizeof request - 1 - have;
        memcpy(request + have, buf, n);
        have += n;
        request[have] = 0;
        if (strstr(request, "\r\n\r\n") || strstr(request, "\n\n") || have == sizeof request - 1) {
            char resp[512];
            int len = snprintf(resp, sizeof resp,
                               "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n"
                               "<html><body><pre>Gauntlet mbedTLS %s peer\n%s %s\n</pre></body></html>\r\n",
                               MBEDTLS_VERSION_STRING, mbedtls_ssl_get_version(&ssl),
                               mbedtls_ssl_get_ciphersuite(&ssl));
            if (write_all(&ssl, (const unsigned char *) resp, (size_t) len) != 0)
                goto done;
            status = 0;
            break;
        }
    }
    mbedtls_ssl_close_notify(&ssl);
done:
    mbedtls_net_free(client);
    mbedtls_ssl_free(&ssl);
    return status;
}

struct conn_job {
    mbedtls_net_context client;
    mbedtls_ssl_config *conf;
    const struct opts *o;
};

static void *conn_thread(void *arg)
{
    struct conn_job *job = arg;
    serve_one(&job->client, job->conf, job->o);
    free(job);
    return NULL;
}

static int run_server(const struct opts *o, const int *suites, mbedtls_ctr_drbg_context *drbg)
{
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
    mbedtls_ssl_cache_context cache;
    mbedtls_net_context listen_fd;
    pthread_attr_t attr;
    int ret;

    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_cache_init(&cache);
    mbedtls_net_init(&listen_fd);
    if ((ret = mbedtls_x509_crt_parse_file(&chain, o->cert)) != 0)
        die_mbed(o->cert, ret);
    if (o->chain && (ret = mbedtls_x509_crt_parse_file(&chain, o->chain)) != 0)
        die_mbed(o->chain, ret);
    if ((ret = mbedtls_pk_parse_keyfile(&key, o->key, NULL)) != 0)
        die_mbed(o->key, ret);
    common_conf(&conf, o, MBEDTLS_SSL_IS_SERVER, suites, drbg);
    if ((ret = mbedtls_ssl_conf_own_cert(&conf, &chain, &key)) != 0)
        die_mbed("ssl_conf_own_cert", ret);
    /* Session-ID resumption (RFC 5246 section 7.3); the cache is thread-safe
     * (MBEDTLS_THREADING_C). */
    mbedtls_ssl_conf_session_cache(&conf, &cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);

    /* Loopback only: never every address. */
    if ((ret = mbedtls_net_bind(&listen_fd, "127.0.0.1", o->port, MBEDTLS_NET_PROTO_TCP)) != 0)
        die_mbed("bind 127.0.0.1", ret);
    /* The bound port, so --port 0 works too. */
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(listen_fd.fd, (struct sockaddr *) &bound, &bound_len) != 0) {
        perror("mbedtls-peer: getsockname");
        return 1;
    }
    printf("mbedtls-peer: listening on 127.0.0.1:%u %s mode=%s\n", (unsigned) ntohs(bound.sin_port),
           mbedtls_ssl_get_ciphersuite_name(suites[0]), o->mode);
    fflush(stdout);

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (long served = 0; o->max_connections == 0 || served < o->max_connections; served++) {
        struct conn_job *job = calloc(1, sizeof *job);
        if (job == NULL) {
            perror("mbedtls-peer: calloc");
            return 1;
        }
        mbedtls_net_init(&job->client);
        job->conf = &conf;
        job->o = o;
        ret = mbedtls_net_accept(&listen_fd, &job->client, NULL, 0, NULL);
        if (ret != 0)
            die_mbed("accept", ret);
        pthread_t tid;
        if (pthread_create(&tid, &attr, conn_thread, job) != 0) {
            perror("mbedtls-peer: pthread_create");
            mbedtls_net_free(&job->client);
            free(job);
        }
    }
    /* Let the last connections finish; the process ends with them. */
    pthread_exit(NULL);
}

static int run_client(const struct opts *o, const int *suites, mbedtls_ctr_drbg_context *drbg)
{
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_net_context fd;
    unsigned char buf[16384];
    long total = 0;
    int ret, ems;

    arm_watchdog(o->timeout);
    mbedtls_x509_crt_init(&ca);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    mbedtls_net_init(&fd);
    if ((ret = mbedtls_x509_crt_parse_file(&ca, o->ca)) != 0)
        die_mbed(o->ca, ret);
    common_conf(&conf, o, MBEDTLS_SSL_IS_CLIENT, suites, drbg);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
    if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0)
        die_mbed("ssl_setup", ret);
    /* SNI and the name the certificate is checked against. */
    if ((ret = mbedtls_ssl_set_hostname(&ssl, o->servername)) != 0)
        die_mbed("ssl_set_hostname", ret);
    if ((ret = mbedtls_net_connect(&fd, o->host, o->port, MBEDTLS_NET_PROTO_TCP)) != 0)
        die_mbed("connect", ret);
    set_socket_timeouts(fd.fd, o->timeout);
    mbedtls_ssl_set_bio(&ssl, &fd, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    if ((ret = handshake(&ssl, &ems)) != 0) {
        uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);
        if (flags != 0 && flags != (uint32_t) -1) {
            char vrfy[512];
            mbedtls_x509_crt_verify_info(vrfy, sizeof vrfy, "  ", flags);
            fprintf(stderr, "mbedtls-peer: certificate verification failed:\n%s", vrfy);
        }
        die_mbed("handshake", ret);
    }
    describe("mbedtls-peer: ", &ssl, ems);
    if ((ret = write_all(&ssl, (const unsigned char *) REQUEST, strlen(REQUEST))) != 0)
        die_mbed("write", ret);
    for (;;) {
        ret = mbedtls_ssl_read(&ssl, buf, sizeof buf);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0)
            break;
        if (ret == MBEDTLS_ERR_SSL_CONN_EOF) {
            fprintf(stderr, "mbedtls-peer: connection closed without close_notify\n");
            break;
        }
        if (ret < 0)
            die_mbed("read", ret);
        fwrite(buf, 1, (size_t) ret, stdout);
        total += ret;
    }
    fflush(stdout);
    mbedtls_ssl_close_notify(&ssl);
    mbedtls_net_free(&fd);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    if (total == 0) {
        fprintf(stderr, "mbedtls-peer: no answer from the server\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {.host = "127.0.0.1", .servername = "localhost", .mode = "http", .timeout = 10};
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int suites[9] = {0}, ret;

    if (argc < 2)
        usage();
    o.role = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-ems")) {
            o.no_ems = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--port")) o.port = v;
        else if (!strcmp(a, "--host")) o.host = v;
        else if (!strcmp(a, "--servername")) o.servername = v;
        else if (!strcmp(a, "--cert")) o.cert = v;
        else if (!strcmp(a, "--chain")) o.chain = v;
        else if (!strcmp(a, "--key")) o.key = v;
        else if (!strcmp(a, "--ca")) o.ca = v;
        else if (!strcmp(a, "--suite")) o.suite = v;
        else if (!strcmp(a, "--mode")) o.mode = v;
        else if (!strcmp(a, "--timeout")) o.timeout = atof(v);
        else if (!strcmp(a, "--max-connections")) o.max_connections = atol(v);
        else if (!strcmp(a, "--debug")) o.debug = atoi(v);
        else usage();
    }
    if (!o.port || !o.suite || o.timeout <= 0)
        usage();
    /* A comma-separated list, in order of preference (at most 8). */
    {
        char list[256];
        size_t n_suites = 0;
        if (strlen(o.suite) >= sizeof list) {
            fprintf(stderr, "mbedtls-peer: suite list too long\n");
            return 2;
        }
        strcpy(list, o.suite);
        for (char *save = NULL, *one = strtok_r(list, ",", &save); one != NULL;
             one = strtok_r(NULL, ",", &save)) {
            if (n_suites + 1 >= sizeof suites / sizeof suites[0]) {
                fprintf(stderr, "mbedtls-peer: more than 8 suites\n");
                return 2;
            }
            if ((suites[n_suites++] = parse_suite(one)) == 0) {
                fprintf(stderr, "mbedtls-peer: unknown suite %s\n", one);
                return 2;
            }
        }
        if (n_suites == 0) {
            fprintf(stderr, "mbedtls-peer: no suite given\n");
            return 2;
        }
    }
    if (strcmp(o.mode, "http") && strcmp(o.mode, "echo"))
        usage();
    /* A peer that closed on us must not kill us with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                     (const unsigned char *) "gauntlet-peer", 13)) != 0)
        die_mbed("ctr_drbg_seed", ret);

    if (!strcmp(o.role, "server")) {
        if (!o.cert || !o.key)
            usage();
        return run_server(&o, suites, &drbg);
    }
    if (!strcmp(o.role, "client")) {
        if (!o.ca)
            usage();
        return run_client(&o, suites, &drbg);
    }
    usage();
    return 2;
}
