// A Go crypto/tls TLS 1.2 peer for Gauntlet's interop runs (interop/README.md),
// with the command line of the Java and mbedTLS peers.
//
// Server: listens on 127.0.0.1:PORT only, serves the chain and key from PEM
// files, one goroutine per connection, answers in "http" mode (read to the
// blank line, one response, close_notify, close) or "echo" mode.
// Client: connects to 127.0.0.1:PORT, verifies the chain against the given
// root and the name, sends `GET / HTTP/1.0\r\n\r\n`, prints the answer, exits
// 0 only when the handshake and the exchange worked.
//
// Both roles: TLS 1.2 only. Go's crypto/tls has no RSA key exchange unless
// asked (and Gauntlet's ECDHE cells need none): --suite takes a
// comma-separated list of IANA names or hex codes, default Go's own list.
// Every read and write is bounded by --timeout; the client also by a
// whole-run deadline.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

func die(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-peer: "+format+"\n", args...)
	os.Exit(code)
}

// suites parses --suite: IANA names or hex codes; nil means Go's defaults.
func suites(list string) []uint16 {
	if list == "" {
		return nil
	}
	byName := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		byName[s.Name] = s.ID
	}
	for _, s := range tls.InsecureCipherSuites() {
		byName[s.Name] = s.ID
	}
	var out []uint16
	for _, one := range strings.Split(list, ",") {
		if id, ok := byName[one]; ok {
			out = append(out, id)
			continue
		}
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(one), "0x"), 16, 16)
		if err != nil {
			die(2, "unknown suite %s", one)
		}
		out = append(out, uint16(v))
	}
	return out
}

func main() {
	if len(os.Args) < 2 {
		die(2, "usage: go-peer server|client --port N [--cert LEAF.pem --chain INT.pem --key KEY.pem | --ca ROOT.pem] [--suite LIST] [--mode http|echo] [--servername NAME] [--timeout SECS]")
	}
	role := os.Args[1]
	fs := flag.NewFlagSet(role, flag.ExitOnError)
	port := fs.Int("port", 0, "port")
	cert := fs.String("cert", "", "leaf certificate (PEM)")
	chain := fs.String("chain", "", "intermediate certificates (PEM)")
	key := fs.String("key", "", "private key (PEM)")
	ca := fs.String("ca", "", "trusted root (PEM)")
	suite := fs.String("suite", "", "suites")
	mode := fs.String("mode", "http", "http or echo")
	name := fs.String("servername", "localhost", "server name")
	timeout := fs.Float64("timeout", 10, "seconds per read or write")
	if err := fs.Parse(os.Args[2:]); err != nil || *port < 0 || *port > 65535 || *timeout <= 0 {
		die(2, "bad arguments")
	}
	limit := time.Duration(*timeout * float64(time.Second))
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: suites(*suite)}
	switch role {
	case "server":
		pem, err := os.ReadFile(*cert)
		if err != nil {
			die(2, "%v", err)
		}
		if *chain != "" {
			more, err := os.ReadFile(*chain)
			if err != nil {
				die(2, "%v", err)
			}
			pem = append(append(pem, '\n'), more...)
		}
		keyPem, err := os.ReadFile(*key)
		if err != nil {
			die(2, "%v", err)
		}
		pair, err := tls.X509KeyPair(pem, keyPem)
		if err != nil {
			die(2, "%v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
		server(cfg, *port, *mode, limit)
	case "client":
		roots := x509.NewCertPool()
		pem, err := os.ReadFile(*ca)
		if err != nil || !roots.AppendCertsFromPEM(pem) {
			die(2, "no root certificate in %s", *ca)
		}
		cfg.RootCAs = roots
		cfg.ServerName = *name
		os.Exit(client(cfg, *port, limit))
	default:
		die(2, "unknown role %s", role)
	}
}

func server(cfg *tls.Config, port int, mode string, limit time.Duration) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		die(1, "%v", err)
	}
	fmt.Printf("go-peer: listening on %s mode=%s\n", ln.Addr(), mode)
	for {
		c, err := ln.Accept()
		if err != nil {
			die(1, "accept: %v", err)
		}
		go serveOne(tls.Server(c, cfg), mode, limit)
	}
}

func serveOne(c *tls.Conn, mode string, limit time.Duration) {
	defer c.Close()
	peer := c.RemoteAddr().String()
	c.SetDeadline(time.Now().Add(limit))
	if err := c.Handshake(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", peer, err)
		return
	}
	st := c.ConnectionState()
	fmt.Fprintf(os.Stderr, "%s: negotiated TLSv1.2 %s\n", peer, tls.CipherSuiteName(st.CipherSuite))
	buf := make([]byte, 16384)
	var request bytes.Buffer
	for {
		c.SetDeadline(time.Now().Add(limit))
		n, err := c.Read(buf)
		if n > 0 && mode == "echo" {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		} else if n > 0 {
			request.Write(buf[:n])
			if bytes.Contains(request.Bytes(), []byte("\r\n\r\n")) || bytes.Contains(request.Bytes(), []byte("\n\n")) || request.Len() > 65536 {
				body := fmt.Sprintf("<html><body><pre>Gauntlet Go peer\nTLSv1.2 %s\n</pre></body></html>\r\n", tls.CipherSuiteName(st.CipherSuite))
				c.Write([]byte("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n" + body))
				c.CloseWrite() // close_notify
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func client(cfg *tls.Config, port int, limit time.Duration) int {
	deadline := time.Now().Add(3 * limit)
	raw, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), limit)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		return 1
	}
	c := tls.Client(raw, cfg)
	defer c.Close()
	c.SetDeadline(deadline)
	if err := c.Handshake(); err != nil {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		return 1
	}
	st := c.ConnectionState()
	fmt.Fprintf(os.Stderr, "go-peer: negotiated TLSv1.2 %s\n", tls.CipherSuiteName(st.CipherSuite))
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		return 1
	}
	n, err := io.Copy(os.Stdout, c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-peer: %v\n", err)
		return 1
	}
	if n == 0 {
		fmt.Fprintln(os.Stderr, "go-peer: no answer from the server")
		return 1
	}
	return 0
}
