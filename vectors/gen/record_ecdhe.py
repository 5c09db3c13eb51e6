#!/usr/bin/env python3
"""Record third-party ECDHE TLS 1.2 handshakes into vectors/handshakes_ecdhe.json.

Both roles of both stacks: `openssl s_client` against `gnutls-serv`, and
`gnutls-cli` against `openssl s_server -www`, for ECDHE_RSA (vectors/keys/rsa2048.*)
and ECDHE_ECDSA (vectors/keys/ec256.*) with AES-128-GCM and AES-256-GCM, each case
over one group (x25519, secp256r1, secp384r1: the server takes only that one; the
client offers it, and secp256r1 too for the P-256 certificate of ECDHE_ECDSA).
A Python TCP relay on 127.0.0.1 records both byte streams; the client writes an NSS
key log. Servers listen on a port found by binding 127.0.0.1:0 and are polled for
readiness; everything started is killed in a `finally`; every wait has a timeout.

Each recording is verified independently of the Gauntlet engine (Python
`cryptography`, `openssl kdf`), and the script fails if anything disagrees:
  * suite, EMS and group are read from the recorded ServerHello/ServerKeyExchange;
  * the ServerKeyExchange signature is verified with the certificate's key over
    client_random || server_random || params (RFC 8422 §5.4), and both ECDH shares
    are decoded as points of the group (x25519: 32 bytes);
  * the master secret is the key log's (an ephemeral ECDH secret cannot be
    recomputed from a recording); with EMS its derivation is not checked here,
    but the key block derived from it must open every encrypted record with
    AESGCM and give both Finished verify_data (`openssl kdf`), and the application
    data must be the request sent and what the client printed.

Usage: record_ecdhe.py     (writes handshakes_ecdhe.json)
"""

import hashlib
import os
import socket
import struct
import subprocess
import tempfile
import threading
import time

from common import KEYS_DIR, ensure_cryptography, openssl_prf, openssl_version, write_json
from record_handshake import (REQUEST, TIMEOUT, Relay, deframe, gnutls_version, parse_hello,
                              parse_keylog, split_handshake, wait_port)

CRYPTO_VERSION = ensure_cryptography()
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

SCRIPT = "record_ecdhe.py"

# suite: names per stack, PRF hash, key length, certificate
SUITES = {
    0xC02F: {"openssl": "ECDHE-RSA-AES128-GCM-SHA256", "kx": "+ECDHE-RSA", "cipher": "+AES-128-GCM",
             "hash": "sha256", "key_len": 16, "cert": "rsa2048"},
    0xC030: {"openssl": "ECDHE-RSA-AES256-GCM-SHA384", "kx": "+ECDHE-RSA", "cipher": "+AES-256-GCM",
             "hash": "sha384", "key_len": 32, "cert": "rsa2048"},
    0xC02B: {"openssl": "ECDHE-ECDSA-AES128-GCM-SHA256", "kx": "+ECDHE-ECDSA", "cipher": "+AES-128-GCM",
             "hash": "sha256", "key_len": 16, "cert": "ec256"},
    0xC02C: {"openssl": "ECDHE-ECDSA-AES256-GCM-SHA384", "kx": "+ECDHE-ECDSA", "cipher": "+AES-256-GCM",
             "hash": "sha384", "key_len": 32, "cert": "ec256"},
}
# group code: (OpenSSL -groups name, GnuTLS priority item, curve or None for x25519)
GROUPS = {
    0x001D: ("X25519", "+GROUP-X25519", None),
    0x0017: ("P-256", "+GROUP-SECP256R1", ec.SECP256R1()),
    0x0018: ("P-384", "+GROUP-SECP384R1", ec.SECP384R1()),
}
GROUP_NAMES = {0x001D: "x25519", 0x0017: "secp256r1", 0x0018: "secp384r1"}
# (client, server, suite, group): each stack in each role, every suite, every group.
MATRIX = [
    ("openssl", "gnutls", 0xC02F, 0x001D),
    ("openssl", "gnutls", 0xC030, 0x0018),
    ("openssl", "gnutls", 0xC02B, 0x0017),
    ("openssl", "gnutls", 0xC02C, 0x001D),
    ("gnutls", "openssl", 0xC02F, 0x0017),
    ("gnutls", "openssl", 0xC030, 0x001D),
    ("gnutls", "openssl", 0xC02B, 0x001D),
    ("gnutls", "openssl", 0xC02C, 0x0018),
]
# RFC 5246 §7.4.1.4.1 / RFC 8446 §4.2.3 SignatureScheme codes to (cryptography hash, kind)
SCHEMES = {
    0x0401: (hashes.SHA256, "pkcs1"), 0x0501: (hashes.SHA384, "pkcs1"), 0x0601: (hashes.SHA512, "pkcs1"),
    0x0804: (hashes.SHA256, "pss"), 0x0805: (hashes.SHA384, "pss"), 0x0806: (hashes.SHA512, "pss"),
    0x0403: (hashes.SHA256, "ecdsa"), 0x0503: (hashes.SHA384, "ecdsa"), 0x0603: (hashes.SHA512, "ecdsa"),
}


def cert_paths(suite):
    name = SUITES[suite]["cert"]
    return os.path.join(KEYS_DIR, f"{name}.key"), os.path.join(KEYS_DIR, f"{name}.crt")


def client_groups(suite, group):
    """The groups a client offers: the case's, plus secp256r1 for an ECDSA suite
    (RFC 8422 §5.1: supported_groups also names the curves the client takes in
    the server's certificate, ec256's P-256). The server is held to the case's."""
    if SUITES[suite]["cert"] == "ec256" and group != 0x0017:
        return [group, 0x0017]
    return [group]


def gnutls_prio(suite, groups):
    items = ":".join(GROUPS[g][1] for g in groups)
    return (f"NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:{SUITES[suite]['kx']}:-CIPHER-ALL:"
            f"{SUITES[suite]['cipher']}:-GROUP-ALL:{items}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(server, suite, group, workdir):
    key, crt = cert_paths(suite)
    log = open(os.path.join(workdir, "server.log"), "wb")
    if server == "openssl":
        # Relative paths from vectors/keys: -www echoes its command line to the client.
        port = None
        cmd = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-key", os.path.basename(key),
               "-cert", os.path.basename(crt), "-tls1_2", "-cipher", SUITES[suite]["openssl"],
               "-groups", GROUPS[group][0], "-www"]
    else:
        port = free_port()
        cmd = ["gnutls-serv", "--http", "--port", str(port), "--x509certfile", os.path.basename(crt),
               "--x509keyfile", os.path.basename(key), "--priority", gnutls_prio(suite, [group]),
               "--disable-client-cert"]
    proc = subprocess.Popen(cmd, cwd=KEYS_DIR, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + TIMEOUT
    try:
        while port is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{server} server did not start")
            for line in open(os.path.join(workdir, "server.log"), "rb").read().splitlines():
                if line.startswith(b"ACCEPT 127.0.0.1:"):
                    port = int(line.split(b":")[1])
            time.sleep(0.05)
        wait_port(port, deadline)
    except BaseException:
        proc.kill()
        proc.wait(5)
        raise
    return proc, port


def run_client(client, suite, group, port, workdir):
    keylog = os.path.join(workdir, "keylog.txt")
    _, crt = cert_paths(suite)
    env = dict(os.environ)
    if client == "openssl":
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
               "-cipher", SUITES[suite]["openssl"],
               "-groups", ":".join(GROUPS[g][0] for g in client_groups(suite, group)),
               "-keylogfile", keylog, "-quiet", "-CAfile", crt, "-verify_return_error",
               "-verify_ip", "127.0.0.1"]
    else:
        cmd = ["gnutls-cli", f"--priority={gnutls_prio(suite, client_groups(suite, group))}", f"--x509cafile={crt}",
               "--verify-hostname=127.0.0.1", f"--logfile={os.path.join(workdir, 'gnutls.log')}",
               "-p", str(port), "127.0.0.1"]
        env["SSLKEYLOGFILE"] = keylog
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    try:
        proc.stdin.write(REQUEST)
        proc.stdin.flush()
        out = []
        reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
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
        return out[0], f.read(), proc.returncode


def record(client, server, suite, group):
    with tempfile.TemporaryDirectory() as workdir:
        proc = None
        try:
            proc, port = start_server(server, suite, group, workdir)
            relay = Relay(port)
            printed, keylog, rc = run_client(client, suite, group, relay.port, workdir)
            c2s, s2c = relay.join()
        finally:
            if proc is not None:
                proc.kill()
                proc.wait(5)
    return c2s, s2c, printed, keylog, rc


# ---------------------------------------------------------------- independent verification

def records_after_ccs(records):
    """(plaintext handshake bytes before CCS, protected records after it)."""
    plain = bytearray()
    for i, (ctype, _, body) in enumerate(records):
        if ctype == 20:
            if body != b"\x01":
                raise RuntimeError("bad ChangeCipherSpec")
            return bytes(plain), records[i + 1:]
        if ctype != 22:
            raise RuntimeError(f"unexpected plaintext record type {ctype}")
        plain += body
    raise RuntimeError("no ChangeCipherSpec")


def open_records(protected, key, salt):
    aead, hs, app, alerts = AESGCM(key), bytearray(), [], []
    for seq, (ctype, version, frag) in enumerate(protected):
        aad = struct.pack(">QBHH", seq, ctype, version, len(frag) - 24)
        pt = aead.decrypt(salt + frag[:8], frag[8:], aad)
        if ctype == 22:
            hs += pt
        elif ctype == 23:
            app.append(pt)
        elif ctype == 21:
            alerts.append(pt)
        else:
            raise RuntimeError(f"unexpected encrypted record type {ctype}")
    return bytes(hs), app, alerts


def load_point(group, share):
    curve = GROUPS[group][2]
    if curve is None:
        if len(share) != 32:
            raise RuntimeError(f"x25519 share of {len(share)} bytes")
        X25519PublicKey.from_public_bytes(share)
    else:
        if share[:1] != b"\x04":
            raise RuntimeError("share not in the uncompressed form")
        ec.EllipticCurvePublicKey.from_encoded_point(curve, share)  # raises off the curve


def verify_ske(ske_body, client_random, server_random, leaf_der):
    if ske_body[0] != 3:
        raise RuntimeError("ServerKeyExchange: curve_type is not named_curve")
    group = int.from_bytes(ske_body[1:3], "big")
    n = ske_body[3]
    share = ske_body[4:4 + n]
    params = ske_body[:4 + n]
    scheme = int.from_bytes(ske_body[4 + n:6 + n], "big")
    slen = int.from_bytes(ske_body[6 + n:8 + n], "big")
    signature = ske_body[8 + n:8 + n + slen]
    if 8 + n + slen != len(ske_body):
        raise RuntimeError("ServerKeyExchange: trailing bytes")
    if group not in GROUPS:
        raise RuntimeError(f"ServerKeyExchange: group {group:#06x} is not one of ours")
    load_point(group, share)
    h, kind = SCHEMES[scheme]
    key = x509.load_der_x509_certificate(leaf_der).public_key()
    message = client_random + server_random + params
    if kind == "ecdsa":
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise RuntimeError("ECDSA signature with a non-EC certificate")
        key.verify(signature, message, ec.ECDSA(h()))
    else:
        if not isinstance(key, rsa.RSAPublicKey):
            raise RuntimeError("RSA signature with a non-RSA certificate")
        pad = padding.PKCS1v15() if kind == "pkcs1" else padding.PSS(
            mgf=padding.MGF1(h()), salt_length=h.digest_size)
        key.verify(signature, message, pad, h())
    return group, scheme


def verify(c2s_bytes, s2c_bytes, keylog_text):
    c_plain, c_prot = records_after_ccs(deframe(c2s_bytes))
    s_plain, s_prot = records_after_ccs(deframe(s2c_bytes))
    cmsgs, smsgs = split_handshake(c_plain), split_handshake(s_plain)
    if [t for t, _ in cmsgs] != [1, 16]:
        raise RuntimeError(f"client flight is not ClientHello, ClientKeyExchange: {[t for t, _ in cmsgs]}")
    stypes = [t for t, _ in smsgs]
    if stypes[:4] != [2, 11, 12, 14] or stypes[4:] not in ([], [4]):
        raise RuntimeError(f"unexpected server flight {stypes}")
    client_random, offered, client_exts = parse_hello(cmsgs[0][1])
    server_random, suite, server_exts = parse_hello(smsgs[0][1])
    if suite not in SUITES or suite not in offered:
        raise RuntimeError(f"negotiated suite {suite:#06x} is not one of ours")
    ems = 23 in server_exts
    if ems and 23 not in client_exts:
        raise RuntimeError("server sent EMS the client did not offer")
    cert_body = smsgs[1][1][4:]
    leaf_len = int.from_bytes(cert_body[3:6], "big")
    leaf = cert_body[6:6 + leaf_len]
    group, scheme = verify_ske(smsgs[2][1][4:], client_random, server_random, leaf)
    cke = cmsgs[1][1][4:]
    if cke[0] != len(cke) - 1:
        raise RuntimeError("ClientKeyExchange: point length does not fill the message")
    load_point(group, cke[1:])
    h, key_len = SUITES[suite]["hash"], SUITES[suite]["key_len"]
    master = parse_keylog(keylog_text, client_random)
    kb = openssl_prf(h, master, b"key expansion", server_random + client_random, 2 * key_len + 8)
    ck, sk = kb[:key_len], kb[key_len:2 * key_len]
    civ, siv = kb[2 * key_len:2 * key_len + 4], kb[2 * key_len + 4:]
    c_hs, c_app, c_alerts = open_records(c_prot, ck, civ)
    s_hs, s_app, s_alerts = open_records(s_prot, sk, siv)
    transcript = cmsgs[0][1] + b"".join(m for _, m in smsgs[:4]) + cmsgs[1][1]
    cfin, sfin = split_handshake(c_hs), split_handshake(s_hs)
    if [t for t, _ in cfin] != [20] or [t for t, _ in sfin] != [20]:
        raise RuntimeError("encrypted handshake is not exactly one Finished per side")
    want = openssl_prf(h, master, b"client finished", getattr(hashlib, h)(transcript).digest(), 12)
    if cfin[0][1][4:] != want:
        raise RuntimeError("client Finished verify_data mismatch")
    transcript += cfin[0][1] + b"".join(m for _, m in smsgs[4:])
    want = openssl_prf(h, master, b"server finished", getattr(hashlib, h)(transcript).digest(), 12)
    if sfin[0][1][4:] != want:
        raise RuntimeError("server Finished verify_data mismatch")
    return {"suite": suite, "ems": ems, "group": group, "scheme": scheme,
            "client_random": client_random, "master": master,
            "c2s_app": c_app, "s2c_app": s_app, "c2s_alerts": c_alerts, "s2c_alerts": s_alerts}


# ---------------------------------------------------------------- main

def one(client, server, suite, group, versions):
    c2s, s2c, printed, keylog, rc = record(client, server, suite, group)
    v = verify(c2s, s2c, keylog)
    if v["suite"] != suite or v["group"] != group:
        raise RuntimeError(f"{client}->{server}: negotiated {v['suite']:#06x}/{v['group']:#06x}")
    if b"".join(v["c2s_app"]) != REQUEST:
        raise RuntimeError(f"client application data {v['c2s_app']!r} is not the request sent")
    if b"".join(v["s2c_app"]) != printed:
        raise RuntimeError("server application data differs from what the client printed")
    alerts = lambda a: ",".join(x.hex() for x in a) or "none"  # noqa: E731
    names = {"openssl": (f"OpenSSL {versions['openssl']} s_client", f"OpenSSL {versions['openssl']} s_server -www"),
             "gnutls": (f"GnuTLS {versions['gnutls']} gnutls-cli", f"GnuTLS {versions['gnutls']} gnutls-serv --http")}
    return {
        "id": f"{client}-client-{server}-server-{suite:04x}-{GROUP_NAMES[group]}",
        "comment": (f"ECDHE over {GROUP_NAMES[group]}, ServerKeyExchange signed with scheme "
                    f"{v['scheme']:#06x} (verified), EMS {'on' if v['ems'] else 'off'}; encrypted alerts "
                    f"c2s {alerts(v['c2s_alerts'])}, s2c {alerts(v['s2c_alerts'])}; client exit {rc}; "
                    f"{len(c2s)}/{len(s2c)} bytes"),
        "client": names[client][0],
        "server": names[server][1],
        "suite": v["suite"],
        "ems": v["ems"],
        "client_to_server": c2s.hex(),
        "server_to_client": s2c.hex(),
        "keylog": {"client_random": v["client_random"].hex(), "master_secret": v["master"].hex()},
        "application_data": {"client_to_server": [p.hex() for p in v["c2s_app"]],
                             "server_to_client": [p.hex() for p in v["s2c_app"]]},
    }


def main():
    versions = {"openssl": openssl_version(), "gnutls": gnutls_version()}
    cases = []
    for client, server, suite, group in MATRIX:
        c = one(client, server, suite, group, versions)
        print(f"  {c['id']}: suite {c['suite']:#06x} ems {c['ems']} (verified from the recording)")
        cases.append(c)
    write_json(
        "handshakes_ecdhe.json", "handshake",
        f"OpenSSL {versions['openssl']} s_server/s_client, GnuTLS {versions['gnutls']} "
        f"gnutls-serv/gnutls-cli; verified with Python cryptography {CRYPTO_VERSION} and "
        f"`openssl kdf TLS1-PRF`",
        SCRIPT,
        "Full ECDHE TLS 1.2 handshakes (RFC 8422) between OpenSSL and GnuTLS in both roles, "
        "recorded by a TCP relay on 127.0.0.1; fields as in handshakes.json. The master "
        "secret is the client's key log entry (an ephemeral ECDH secret is not in the "
        "recording); the ServerKeyExchange signature, both shares, every encrypted record and "
        "both Finished were checked against it. Certificates: vectors/keys/rsa2048.crt "
        "(ECDHE_RSA) and vectors/keys/ec256.crt (ECDHE_ECDSA).",
        cases)


if __name__ == "__main__":
    main()
