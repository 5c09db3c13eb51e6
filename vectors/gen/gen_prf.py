#!/usr/bin/env python3
"""Generate the PRF-based vectors: prf, master_secret, extended_master_secret,
key_block and finished. Every output is computed by `openssl kdf ... TLS1-PRF`
(cross-checked against a stdlib hmac P_hash); inputs come from `secrets`."""

import secrets

from common import HASHES, openssl_prf, openssl_version, write_json

SCRIPT = "gen_prf.py"


def tool():
    return f"OpenSSL {openssl_version()} `openssl kdf TLS1-PRF`"


def rnd(n):
    return secrets.token_bytes(n)


def gen_prf():
    cases = []
    # The published IETF TLS 1.2 PRF vectors (TLS WG list, 2008), label "test label".
    published = [
        ("sha256", "9bbe436ba940f017b17652849a71db35", "a0ba9f936cda311827a6f796ffd5198c", 100,
         "e3f229ba727be17b8d12", "87347b66"),
        ("sha384", "b80b733d6ceefcdc71566ea48e5567df", "cd665cf6a8447dd6ff8b27555edb7465", 148,
         "7b0c18e9ced410ed1804", "3d73e56f"),
    ]
    for h, secret, seed, n, head, tail in published:
        out = openssl_prf(h, bytes.fromhex(secret), b"test label", bytes.fromhex(seed), n).hex()
        if not (out.startswith(head) and out.endswith(tail)):
            raise RuntimeError(f"published {h} PRF vector does not match: {out}")
        cases.append({
            "id": f"ietf-{h}",
            "comment": "published TLS 1.2 PRF test vector (IETF TLS WG list, 2008)",
            "hash": h, "secret": secret, "label": b"test label".hex(), "seed": seed,
            "output": out,
        })
    # Random cases: lengths span HMAC block sizes (64 for SHA-256, 128 for SHA-384),
    # an empty secret, an empty seed (label only) and outputs of 1..300 bytes.
    shapes = [  # (secret_len, label, seed_len, out_len)
        (0, b"test label", 16, 1),
        (1, b"master secret", 64, 12),
        (13, b"key expansion", 64, 31),
        (16, b"x", 0, 32),
        (32, b"client finished", 32, 33),
        (48, b"server finished", 48, 47),
        (48, b"extended master secret", 48, 48),
        (63, None, 7, 49),
        (64, None, 1, 64),
        (65, b"EXPORTER-label", 100, 100),
        (100, None, 77, 128),
        (128, b"a label", 32, 200),
        (129, None, 5, 255),
        (47, b"test label", 33, 300),
    ]
    for h in HASHES:
        for i, (sl, label, seedl, outl) in enumerate(shapes):
            if label is None:  # random non-ASCII label bytes
                label = rnd(1 + secrets.randbelow(20))
            secret, seed = rnd(sl), rnd(seedl)
            cases.append({
                "id": f"random-{h}-{i:02}",
                "comment": f"secret {sl} bytes, label {len(label)}, seed {seedl}, output {outl}",
                "hash": h, "secret": secret.hex(), "label": label.hex(), "seed": seed.hex(),
                "output": openssl_prf(h, secret, label, seed, outl).hex(),
            })
    write_json("prf.json", "prf", tool(), SCRIPT,
               "TLS 1.2 PRF (RFC 5246 §5): output = PRF(secret, label, seed)[:len(output)].",
               cases)


def gen_master_secret():
    cases = []
    for h in HASHES:
        for i in range(8):
            pm = b"\x03\x03" + rnd(46) if i % 2 == 0 else rnd(48)
            cr, sr = rnd(32), rnd(32)
            ms = openssl_prf(h, pm, b"master secret", cr + sr, 48)
            cases.append({
                "id": f"{h}-{i:02}", "comment": "", "hash": h, "premaster": pm.hex(),
                "client_random": cr.hex(), "server_random": sr.hex(), "master_secret": ms.hex(),
            })
    write_json("master_secret.json", "master_secret", tool(), SCRIPT,
               "RFC 5246 §8.1: master_secret = PRF(premaster, \"master secret\", "
               "client_random || server_random)[0..48].", cases)


def gen_ems():
    cases = []
    for h, (_, hlen) in HASHES.items():
        for i in range(8):
            pm, sh = b"\x03\x03" + rnd(46), rnd(hlen)
            ms = openssl_prf(h, pm, b"extended master secret", sh, 48)
            cases.append({
                "id": f"{h}-{i:02}", "comment": "", "hash": h, "premaster": pm.hex(),
                "session_hash": sh.hex(), "master_secret": ms.hex(),
            })
    write_json("extended_master_secret.json", "extended_master_secret", tool(), SCRIPT,
               "RFC 7627 §4: master_secret = PRF(premaster, \"extended master secret\", "
               "session_hash)[0..48].", cases)


def gen_key_block():
    cases = []
    for h, key_len in (("sha256", 16), ("sha384", 32)):
        for i in range(8):
            ms, cr, sr = rnd(48), rnd(32), rnd(32)
            kb = openssl_prf(h, ms, b"key expansion", sr + cr, 2 * key_len + 8)
            cases.append({
                "id": f"{h}-aes{key_len * 8}gcm-{i:02}",
                "comment": "client_write_key || server_write_key || client_write_IV(4) || "
                           "server_write_IV(4)",
                "hash": h, "key_len": key_len, "master_secret": ms.hex(),
                "client_random": cr.hex(), "server_random": sr.hex(), "key_block": kb.hex(),
            })
    write_json("key_block.json", "key_block", tool(), SCRIPT,
               "RFC 5246 §6.3 with RFC 5288 AES-GCM: key_block = PRF(master_secret, "
               "\"key expansion\", server_random || client_random)[0..2*key_len+8].", cases)


def gen_finished():
    cases = []
    for h, (_, hlen) in HASHES.items():
        for i in range(8):
            label = b"client finished" if i % 2 == 0 else b"server finished"
            ms, hh = rnd(48), rnd(hlen)
            vd = openssl_prf(h, ms, label, hh, 12)
            cases.append({
                "id": f"{h}-{label[:6].decode()}-{i:02}", "comment": "", "hash": h,
                "master_secret": ms.hex(), "label": label.hex(), "handshake_hash": hh.hex(),
                "verify_data": vd.hex(),
            })
    write_json("finished.json", "finished", tool(), SCRIPT,
               "RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label, "
               "Hash(handshake_messages))[0..12].", cases)


if __name__ == "__main__":
    gen_prf()
    gen_master_secret()
    gen_ems()
    gen_key_block()
    gen_finished()
