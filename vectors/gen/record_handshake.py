#!/usr/bin/env python3
"""Record third-party TLS 1.2 handshakes into vectors/handshakes.json.

For each matrix entry (client {openssl s_client, gnutls-cli} x suite {0x009c, 0x009d}
x EMS {on, off}) this starts `openssl s_server -www` on 127.0.0.1 (port 0, the real
port read from its ACCEPT line and polled), runs the client through a Python TCP
relay on 127.0.0.1 that records both byte streams, and collects the client's NSS key
log. Everything started is killed in a `finally`; every wait has a timeout.

Each recording is then verified independently of the Gauntlet engine, and the script
fails if anything disagrees:
  * suite and EMS are read from the recorded ServerHello (extension 23), not from
    what was asked for;
  * the premaster is decrypted from the recorded ClientKeyExchange with
    vectors/keys/rsa2048.key (Python `cryptography`), the master secret recomputed
    with `openssl kdf TLS1-PRF` (EMS session hash with hashlib) and compared with the
    key log;
  * the key block is derived, every encrypted record opened with AESGCM, both
    Finished verify_data checked, and the application data compared with what the
    script sent and what the client printed.

Usage: record_handshake.py            (the full matrix, writes handshakes.json)
       record_handshake.py --one CLIENT SUITE EMS   (e.g. gnutls 0x009d off; prints only)
"""

import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from common import (RSA_CRT, RSA_KEY, ensure_cryptography, openssl_prf, openssl_version,
                    write_json)

CRYPTO_VERSION = ensure_cryptography()
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

SCRIPT = "record_handshake.py"
REQUEST = b"GET / HTTP/1.0\r\n\r\n"
TIMEOUT = 20.0

SUITES = {
    0x009C: {"openssl": "AES128-GCM-SHA256", "gnutls": "+AES-128-GCM", "hash": "sha256", "key_len": 16},
    0x009D: {"openssl": "AES256-GCM-SHA384", "gnutls": "+AES-256-GCM", "hash": "sha384", "key_len": 32},
}

# OpenSSL 3.0 has no command-line switch to stop offering EMS; SSL_OP_NO_EXTENDED_MASTER_SECRET
# is reachable through the SSL_CONF "Options" command in a config file.
NO_EMS_CONF = """openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
"""


def gnutls_version():
    out = subprocess.run(["gnutls-cli", "--version"], capture_output=True, text=True, timeout=10).stdout
    return out.split()[1]  # "gnutls-cli 3.7.9"


# ---------------------------------------------------------------- processes and relay

def start_server(suite, workdir):
    log_path = os.path.join(workdir, "s_server.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        # Run from vectors/keys with relative paths: -www echoes its command line to the client.
        ["openssl", "s_server", "-accept", "127.0.0.1:0", "-key", os.path.basename(RSA_KEY),
         "-cert", os.path.basename(RSA_CRT), "-tls1_2", "-cipher", SUITES[suite]["openssl"], "-www"],
        cwd=os.path.dirname(RSA_KEY), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + TIMEOUT
    port = None
    while port is None:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"s_server did not start: {open(log_path, 'rb').read()!r}")
        for line in open(log_path, "rb").read().splitlines():
            if line.startswith(b"ACCEPT 127.0.0.1:"):
                port = int(line.split(b":")[1])
        time.sleep(0.05)
    wait_port(port, deadline)
    return proc, port


def wait_port(port, deadline):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {port} never became ready")
            time.sleep(0.05)


class Relay:
    """Accepts one connection on 127.0.0.1:<random>, forwards it to the server and
    records each direction's bytes."""

    def __init__(self, server_port):
        self.server_port = server_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.c2s, self.s2c = bytearray(), bytearray()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.server_port), timeout=TIMEOUT)
            client.settimeout(TIMEOUT)
            pumps = [threading.Thread(target=self._pump, args=(client, server, self.c2s), daemon=True),
                     threading.Thread(target=self._pump, args=(server, client, self.s2c), daemon=True)]
            for p in pumps:
                p.start()
            for p in pumps:
                p.join(TIMEOUT)
            client.close()
            server.close()
        except Exception as e:  # reported by join()
            self.error = e
        finally:
            self.listener.close()

    def _pump(self, src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                record += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def join(self):
        self.thread.join(TIMEOUT + 5)
        if self.thread.is_alive():
            raise RuntimeError("relay did not finish")
        if self.error:
            raise RuntimeError(f"relay failed: {self.error}")
        return bytes(self.c2s), bytes(self.s2c)


def run_client(client, suite, ems, port, workdir):
    keylog = os.path.join(workdir, "keylog.txt")
    env = dict(os.environ)
    if client == "openssl":
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
               "-cipher", SUITES[suite]["openssl"], "-keylogfile", keylog, "-quiet",
               "-CAfile", RSA_CRT, "-verify_return_error", "-verify_ip", "127.0.0.1"]
        if not ems:
            conf = os.path.join(workdir, "no_ems.cnf")
            with open(conf, "w") as f:
                f.write(NO_EMS_CONF)
            env["OPENSSL_CONF"] = conf
    else:
        prio = f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:{SUITES[suite]['gnutls']}"
        if not ems:
            prio += ":%NO_SESSION_HASH"
        cmd = ["gnutls-cli", f"--priority={prio}", f"--x509cafile={RSA_CRT}",
               "--verify-hostname=127.0.0.1", f"--logfile={os.path.join(workdir, 'gnutls.log')}",
               "-p", str(port), "127.0.0.1"]
        env["SSLKEYLOGFILE"] = keylog
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        # Both clients send the request after the handshake, then read until the
        # server (s_server -www) closes; stdin stays open so gnutls-cli does not
        # close first.
        proc.stdin.write(REQUEST)
        proc.stdin.flush()
        out_chunks = []
        reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
        reader.start()
        reader.join(TIMEOUT)
        if reader.is_alive():
            raise RuntimeError(f"{client} did not finish")
        proc.stdin.close()
        proc.wait(TIMEOUT)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    if proc.returncode != 0 and client == "openssl":
        raise RuntimeError(f"s_client failed ({proc.returncode}): {err!r}")
    with open(keylog) as f:
        return out_chunks[0], f.read(), proc.returncode, err


def record(client, suite, ems):
    with tempfile.TemporaryDirectory() as workdir:
        server = None
        try:
            server, sport = start_server(suite, workdir)
            relay = Relay(sport)
            printed, keylog, rc, err = run_client(client, suite, ems, relay.port, workdir)
            c2s, s2c = relay.join()
        finally:
            if server is not None:
                server.kill()
                server.wait(5)
    return c2s, s2c, printed, keylog, rc, err


# ---------------------------------------------------------------- independent verification

def deframe(stream):
    records, i = [], 0
    while i < len(stream):
        if len(stream) - i < 5:
            raise RuntimeError("truncated record header")
        ctype, version, length = struct.unpack(">BHH", stream[i:i + 5])
        body = stream[i + 5:i + 5 + length]
        if len(body) != length:
            raise RuntimeError("truncated record body")
        records.append((ctype, version, body))
        i += 5 + length
    return records


def split_handshake(buf):
    msgs, i = [], 0
    while i < len(buf):
        mtype, length = buf[i], int.from_bytes(buf[i + 1:i + 4], "big")
        msgs.append((mtype, buf[i:i + 4 + length]))
        i += 4 + length
    if i != len(buf):
        raise RuntimeError("handshake message spans past the end of the stream")
    return msgs


def parse_hello(msg):
    """(random, cipher_suites or suite, extension types) of a ClientHello/ServerHello."""
    body, is_client = msg[4:], msg[0] == 1
    p = 2
    random = body[p:p + 32]
    p += 32
    p += 1 + body[p]  # session id
    if is_client:
        n = int.from_bytes(body[p:p + 2], "big")
        suites = [int.from_bytes(body[p + 2 + j:p + 4 + j], "big") for j in range(0, n, 2)]
        p += 2 + n
        p += 1 + body[p]  # compression methods
    else:
        suites = int.from_bytes(body[p:p + 2], "big")
        p += 3
    exts = []
    if p < len(body):
        end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p < end:
            etype, elen = struct.unpack(">HH", body[p:p + 4])
            exts.append(etype)
            p += 4 + elen
    return random, suites, exts


class Direction:
    def __init__(self, records):
        self.records = records
        self.plain_hs = bytearray()   # handshake bytes before ChangeCipherSpec
        self.enc_hs = bytearray()     # decrypted handshake bytes after it
        self.app_data, self.alerts = [], []
        self.ccs_index = None
        for i, (ctype, _, body) in enumerate(records):
            if ctype == 20:
                if body != b"\x01":
                    raise RuntimeError("bad ChangeCipherSpec")
                self.ccs_index = i
                break
            if ctype != 22:
                raise RuntimeError(f"unexpected plaintext record type {ctype}")
            self.plain_hs += body
        if self.ccs_index is None:
            raise RuntimeError("no ChangeCipherSpec")

    def decrypt(self, key, salt):
        aead = AESGCM(key)
        for seq, (ctype, version, frag) in enumerate(self.records[self.ccs_index + 1:]):
            aad = struct.pack(">QBHH", seq, ctype, version, len(frag) - 24)
            pt = aead.decrypt(salt + frag[:8], frag[8:], aad)
            if ctype == 22:
                self.enc_hs += pt
            elif ctype == 23:
                self.app_data.append(pt)
            elif ctype == 21:
                self.alerts.append(pt)
            else:
                raise RuntimeError(f"unexpected encrypted record type {ctype}")


def parse_keylog(text, client_random):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "CLIENT_RANDOM" and parts[1].lower() == client_random.hex():
            return bytes.fromhex(parts[2])
    raise RuntimeError("no CLIENT_RANDOM line for this handshake in the key log")


def verify(c2s_bytes, s2c_bytes, keylog_text, private_key):
    c2s, s2c = Direction(deframe(c2s_bytes)), Direction(deframe(s2c_bytes))
    cmsgs, smsgs = split_handshake(bytes(c2s.plain_hs)), split_handshake(bytes(s2c.plain_hs))
    if [t for t, _ in cmsgs] != [1, 16]:
        raise RuntimeError(f"client flight is not ClientHello, ClientKeyExchange: {[t for t, _ in cmsgs]}")
    stypes = [t for t, _ in smsgs]
    if stypes[:3] != [2, 11, 14] or stypes[3:] not in ([], [4]):
        raise RuntimeError(f"unexpected server flight {stypes}")
    client_random, offered, client_exts = parse_hello(cmsgs[0][1])
    server_random, suite, server_exts = parse_hello(smsgs[0][1])
    if suite not in SUITES or suite not in offered:
        raise RuntimeError(f"negotiated suite {suite:#06x} is not one of ours")
    ems = 23 in server_exts
    if ems and 23 not in client_exts:
        raise RuntimeError("server sent EMS the client did not offer")
    h, key_len = SUITES[suite]["hash"], SUITES[suite]["key_len"]

    # Premaster from the recorded ClientKeyExchange, then the master secret.
    cke = cmsgs[1][1][4:]
    enc = cke[2:2 + int.from_bytes(cke[:2], "big")]
    premaster = private_key.decrypt(enc, padding.PKCS1v15())
    if len(premaster) != 48 or premaster[:2] != b"\x03\x03":
        raise RuntimeError("premaster is not 48 bytes of version 0x0303")
    if ems:  # RFC 7627 §4: hash of every handshake message up to and including CKE
        session_hash = getattr(hashlib, h)(cmsgs[0][1] + b"".join(m for _, m in smsgs[:3]) + cmsgs[1][1]).digest()
        master = openssl_prf(h, premaster, b"extended master secret", session_hash, 48)
    else:
        master = openssl_prf(h, premaster, b"master secret", client_random + server_random, 48)
    logged = parse_keylog(keylog_text, client_random)
    if master != logged:
        raise RuntimeError("key log master secret differs from the one derived from the recording")

    kb = openssl_prf(h, master, b"key expansion", server_random + client_random, 2 * key_len + 8)
    ck, sk = kb[:key_len], kb[key_len:2 * key_len]
    civ, siv = kb[2 * key_len:2 * key_len + 4], kb[2 * key_len + 4:]
    c2s.decrypt(ck, civ)
    s2c.decrypt(sk, siv)

    # Finished (RFC 5246 §7.4.9) in transcript order: CH, SH, Cert, SHD, CKE, cFin, [NST], sFin.
    transcript = cmsgs[0][1] + b"".join(m for _, m in smsgs[:3]) + cmsgs[1][1]
    cfin, sfin = split_handshake(bytes(c2s.enc_hs)), split_handshake(bytes(s2c.enc_hs))
    if [t for t, _ in cfin] != [20] or [t for t, _ in sfin] != [20]:
        raise RuntimeError("encrypted handshake is not exactly one Finished per side")
    want = openssl_prf(h, master, b"client finished", getattr(hashlib, h)(transcript).digest(), 12)
    if cfin[0][1][4:] != want:
        raise RuntimeError("client Finished verify_data mismatch")
    transcript += cfin[0][1] + b"".join(m for _, m in smsgs[3:])
    want = openssl_prf(h, master, b"server finished", getattr(hashlib, h)(transcript).digest(), 12)
    if sfin[0][1][4:] != want:
        raise RuntimeError("server Finished verify_data mismatch")
    return {
        "suite": suite, "ems": ems, "client_random": client_random, "master": master,
        "c2s_app": c2s.app_data, "s2c_app": s2c.app_data,
        "c2s_alerts": c2s.alerts, "s2c_alerts": s2c.alerts,
        "client_offered_ems": 23 in client_exts, "nst": 4 in stypes,
        "first_record_version": c2s.records[0][1],
    }


# ---------------------------------------------------------------- main

def one(client, suite, ems, private_key, versions):
    c2s, s2c, printed, keylog, rc, err = record(client, suite, ems)
    v = verify(c2s, s2c, keylog, private_key)
    if v["suite"] != suite or v["ems"] != ems:
        raise RuntimeError(f"{client} {suite:#06x} ems={ems}: recording negotiated "
                           f"{v['suite']:#06x} ems={v['ems']}")
    if b"".join(v["c2s_app"]) != REQUEST:
        raise RuntimeError(f"client application data {v['c2s_app']!r} is not the request sent")
    if b"".join(v["s2c_app"]) != printed:
        raise RuntimeError("server application data differs from what the client printed")
    alerts = lambda a: ",".join(x.hex() for x in a) or "none"  # noqa: E731
    comment = (f"ClientHello record version {v['first_record_version']:#06x}; client "
               f"{'offered' if v['client_offered_ems'] else 'did not offer'} EMS; "
               f"NewSessionTicket {'sent' if v['nst'] else 'not sent'}; encrypted alerts "
               f"c2s {alerts(v['c2s_alerts'])}, s2c {alerts(v['s2c_alerts'])}; client exit {rc}; "
               f"{len(c2s)}/{len(s2c)} bytes")
    name = {"openssl": f"OpenSSL {versions['openssl']} s_client",
            "gnutls": f"GnuTLS {versions['gnutls']} gnutls-cli"}[client]
    return {
        "id": f"{client}-{suite:04x}-ems-{'on' if ems else 'off'}",
        "comment": comment,
        "client": name,
        "server": f"OpenSSL {versions['openssl']} s_server -www",
        "suite": v["suite"],
        "ems": v["ems"],
        "client_to_server": c2s.hex(),
        "server_to_client": s2c.hex(),
        "keylog": {"client_random": v["client_random"].hex(), "master_secret": v["master"].hex()},
        "application_data": {"client_to_server": [p.hex() for p in v["c2s_app"]],
                             "server_to_client": [p.hex() for p in v["s2c_app"]]},
    }


def main():
    with open(RSA_KEY, "rb") as f:
        private_key = serialization.load_pem_private_key(f.read(), password=None)
    versions = {"openssl": openssl_version(), "gnutls": gnutls_version()}
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        c = one(sys.argv[2], int(sys.argv[3], 16), sys.argv[4] == "on", private_key, versions)
        print(json.dumps({k: c[k] for k in ("id", "comment", "suite", "ems", "application_data")}, indent=1))
        return
    cases = []
    for client in ("openssl", "gnutls"):
        for suite in (0x009C, 0x009D):
            for ems in (True, False):
                c = one(client, suite, ems, private_key, versions)
                print(f"  {c['id']}: suite {c['suite']:#06x} ems {c['ems']} (verified from the recording)")
                cases.append(c)
    write_json(
        "handshakes.json", "handshake",
        f"OpenSSL {versions['openssl']} s_server/s_client, GnuTLS {versions['gnutls']} gnutls-cli; "
        f"verified with Python cryptography {CRYPTO_VERSION} and `openssl kdf TLS1-PRF`",
        SCRIPT,
        "Full TLS 1.2 handshakes between third-party peers recorded by a TCP relay on 127.0.0.1. "
        "client_to_server/server_to_client are the complete raw TCP byte streams. keylog is the "
        "client's NSS key log entry. application_data lists, per direction, the plaintext of each "
        "application_data record in order (opened by the script with the keys derived from the "
        "recording); its concatenation equals the request the script sent (client_to_server) and "
        "the bytes the client printed (server_to_client). Suite and EMS come from the recorded "
        "ServerHello. The server key is vectors/keys/rsa2048.key.",
        cases)


if __name__ == "__main__":
    main()
