// A Java 17 JSSE TLS 1.2 peer for Gauntlet's interop runs (interop/README.md).
//
// Server: listens on 127.0.0.1:PORT only, serves the chain and key from PEM
// files, one thread per connection, answers in "http" mode (like
// `openssl s_server -www`: read to the blank line, one response, close_notify,
// close) or "echo" mode (echo until the peer closes).
// Client: connects to 127.0.0.1:PORT, verifies the server's chain against the
// given root and the name with the HTTPS endpoint identification (RFC 2818),
// sends `GET / HTTP/1.0\r\n\r\n`, prints the answer, exits 0 only when the
// handshake and the exchange worked.
//
// Both roles: TLSv1.2 only and exactly the suites given; every socket read
// is bounded by --timeout, and the client also by a whole-run watchdog.
//
// No keystore files: the PEM test PKI is loaded into in-memory KeyStores, so
// the vectors/pki files are used as they are.

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class GauntletPeer {
    private static final char[] PASS = "gauntlet".toCharArray();

    private static void usage() {
        System.err.println(
            "usage: GauntletPeer server --port N --cert LEAF.pem [--chain INT.pem] --key KEY.pem --suite NAME"
                + " [--mode http|echo] [--timeout SECS] [--max-connections N]\n"
                + "       GauntletPeer client --port N --ca ROOT.pem --suite NAME"
                + " [--servername localhost] [--host 127.0.0.1] [--timeout SECS]");
        System.exit(2);
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length < 1) usage();
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) usage();
            opt.put(argv[i].substring(2), argv[++i]);
        }
        allowRsaKeyExchange();
        int timeoutMs = (int) (Double.parseDouble(opt.getOrDefault("timeout", "10")) * 1000);
        String suite = suiteName(req(opt, "suite"));
        switch (argv[0]) {
            case "server" -> server(opt, suite, timeoutMs);
            case "client" -> System.exit(client(opt, suite, timeoutMs));
            default -> usage();
        }
    }

    private static String req(Map<String, String> opt, String key) {
        String v = opt.get(key);
        if (v == null) {
            System.err.println("GauntletPeer: --" + key + " is required");
            usage();
        }
        return v;
    }

    /**
     * Accepts a comma-separated list of IANA names or hex codes (009c,
     * 0x009D, c02f), in order of preference; the names joined by commas.
     */
    private static String suiteName(String list) {
        StringBuilder out = new StringBuilder();
        for (String s : list.split(",")) {
            String name = switch (s.toLowerCase().replaceFirst("^0x", "")) {
                case "009c", "9c" -> "TLS_RSA_WITH_AES_128_GCM_SHA256";
                case "009d", "9d" -> "TLS_RSA_WITH_AES_256_GCM_SHA384";
                case "c02f" -> "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
                case "c030" -> "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
                case "cca8" -> "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
                default -> s;
            };
            if (out.length() > 0) out.append(',');
            out.append(name);
        }
        return out.toString();
    }

    /**
     * Newer JDK updates may list TLS_RSA_* in jdk.tls.disabledAlgorithms; these
     * runs exist to test RSA key exchange, so lift exactly that entry.
     */
    private static void allowRsaKeyExchange() {
        String disabled = Security.getProperty("jdk.tls.disabledAlgorithms");
        if (disabled == null) return;
        List<String> kept = new ArrayList<>();
        for (String entry : disabled.split(",")) {
            if (!entry.trim().startsWith("TLS_RSA_")) kept.add(entry.trim());
        }
        Security.setProperty("jdk.tls.disabledAlgorithms", String.join(", ", kept));
    }

    private static List<X509Certificate> readCerts(String path) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            for (Certificate c : cf.generateCertificates(in)) out.add((X509Certificate) c);
        }
        if (out.isEmpty()) throw new IOException(path + ": no certificate");
        return out;
    }

    /** A PKCS#8 "PRIVATE KEY" PEM block (what vectors/pki/*.key hold). */
    private static PrivateKey readKey(String path) throws Exception {
        String pem = Files.readString(Path.of(path), StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) throw new IOException(path + ": no PKCS#8 PRIVATE KEY block");
        String b64 = pem.substring(begin + 27, end).replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(b64);
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static SSLParameters params(SSLContext ctx, String suite) {
        SSLParameters p = ctx.getDefaultSSLParameters();
        p.setProtocols(new String[] {"TLSv1.2"});
        p.setCipherSuites(suite.split(","));
        return p;
    }

    private static void server(Map<String, String> opt, String suite, int timeoutMs) throws Exception {
        int port = Integer.parseInt(req(opt, "port"));
        String mode = opt.getOrDefault("mode", "http");
        long max = Long.parseLong(opt.getOrDefault("max-connections", "0"));
        List<X509Certificate> chain = new ArrayList<>(readCerts(req(opt, "cert")));
        if (opt.containsKey("chain")) chain.addAll(readCerts(opt.get("chain")));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", readKey(req(opt, "key")), PASS, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, PASS);
        SSLContext ctx = SSLContext.getInstance("TLSv1.2");
        ctx.init(kmf.getKeyManagers(), null, new SecureRandom());

        // Bound to loopback only: never every address.
        SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
            .createServerSocket(port, 64, InetAddress.getByName("127.0.0.1"));
        ss.setSSLParameters(params(ctx, suite));
        System.out.println("GauntletPeer: listening on 127.0.0.1:" + ss.getLocalPort()
            + " " + suite + " mode=" + mode);
        System.out.flush();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        for (long n = 0; max == 0 || n < max; n++) {
            Socket s = ss.accept();
            pool.execute(() -> serveOne((SSLSocket) s, mode, timeoutMs));
        }
        pool.shutdown();
        pool.awaitTermination(timeoutMs * 2L, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private static void serveOne(SSLSocket s, String mode, int timeoutMs) {
        String peer = String.valueOf(s.getRemoteSocketAddress());
        try (s) {
            s.setSoTimeout(timeoutMs);
            s.startHandshake();
            SSLSession sess = s.getSession();
            System.err.println(peer + ": negotiated " + sess.getProtocol() + " " + sess.getCipherSuite());
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16384];
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                if (mode.equals("echo")) {
                    out.write(buf, 0, n);
                    out.flush();
                    continue;
                }
                request.write(buf, 0, n);
                String r = request.toString(StandardCharsets.ISO_8859_1);
                if (r.contains("\r\n\r\n") || r.contains("\n\n") || request.size() > 65536) {
                    String body = "<html><body><pre>Gauntlet JSSE peer\n" + sess.getProtocol() + " "
                        + sess.getCipherSuite() + "\n</pre></body></html>\r\n";
                    out.write(("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n" + body)
                        .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return; // close() sends close_notify
                }
            }
        } catch (SocketTimeoutException e) {
            System.err.println(peer + ": timed out");
        } catch (Exception e) {
            System.err.println(peer + ": " + e);
        }
    }

    private static int client(Map<String, String> opt, String suite, int timeoutMs) throws Exception {
        int port = Integer.parseInt(req(opt, "port"));
        String host = opt.getOrDefault("host", "127.0.0.1");
        String name = opt.getOrDefault("servername", "localhost");
        // Watchdog: a peer that trickles bytes must not keep us alive forever.
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutMs * 3L);
                System.err.println("GauntletPeer: client watchdog expired");
                Runtime.getRuntime().halt(124);
            } catch (InterruptedException ignored) {
                // finished in time
            }
        });
        watchdog.setDaemon(true);
        watchdog.start();

        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (X509Certificate c : readCerts(req(opt, "ca"))) ts.setCertificateEntry("ca" + i++, c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLSv1.2");
        ctx.init(null, tmf.getTrustManagers(), new SecureRandom());

        Socket raw = new Socket();
        try {
            raw.connect(new InetSocketAddress(host, port), timeoutMs);
            raw.setSoTimeout(timeoutMs);
            // `name` is the SNI and the name checked against the certificate.
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, name, port, true);
            SSLParameters p = params(ctx, suite);
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            try (s) {
                s.startHandshake();
                SSLSession sess = s.getSession();
                System.err.println("GauntletPeer: negotiated " + sess.getProtocol() + " " + sess.getCipherSuite());
                OutputStream out = s.getOutputStream();
                out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[16384];
                long total = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    System.out.write(buf, 0, n);
                    total += n;
                }
                System.out.flush();
                if (total == 0) {
                    System.err.println("GauntletPeer: no answer from the server");
                    return 1;
                }
            }
            return 0;
        } catch (Exception e) {
            System.err.println("GauntletPeer: " + e);
            return 1;
        } finally {
            raw.close();
        }
    }
}
