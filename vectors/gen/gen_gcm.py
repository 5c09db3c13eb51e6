#!/usr/bin/env python3
"""Generate gcm_record.json: TLS 1.2 AES-GCM record protection (RFC 5288,
RFC 5246 §6.2.3.3) sealed with Python `cryptography`'s AESGCM."""

import secrets
import struct

from common import ensure_cryptography, write_json

CRYPTO_VERSION = ensure_cryptography()
from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

SCRIPT = "gen_gcm.py"
TLS12 = 0x0303


def aad(seq, ctype, version, plen):
    return struct.pack(">QBHH", seq, ctype, version, plen)


def seal(key, salt, explicit, seq, ctype, version, pt):
    ct_tag = AESGCM(key).encrypt(salt + explicit, pt, aad(seq, ctype, version, len(pt)))
    return explicit + ct_tag


def open_as_consumer(c):
    """Open a case exactly as the consumer must: the nonce comes from the fragment,
    the AAD from the case's seq/type/version and the fragment length."""
    frag = bytes.fromhex(c["fragment"])
    if len(frag) < 24:
        return None
    key, salt = bytes.fromhex(c["key"]), bytes.fromhex(c["salt"])
    try:
        return AESGCM(key).decrypt(
            salt + frag[:8], frag[8:], aad(c["seq"], c["content_type"], c["version"], len(frag) - 24)
        )
    except InvalidTag:
        return None


def case(cid, comment, key, salt, explicit, seq, ctype, pt, frag, valid, version=TLS12):
    return {
        "id": cid, "comment": comment, "key": key.hex(), "salt": salt.hex(),
        "explicit_nonce": explicit.hex(), "seq": seq, "content_type": ctype,
        "version": version, "plaintext": pt.hex() if valid else "", "fragment": frag.hex(),
        "valid": valid,
    }


def flip(b, i, bit=0):
    b = bytearray(b)
    b[i] ^= 1 << bit
    return bytes(b)


def main():
    cases = []
    seqs = [0, 1, 7, 255, 4096, 2**32 + 5, 2**64 - 1]
    for key_len in (16, 32):
        for n, plen in enumerate((0, 1, 15, 16, 17, 1000, 16384)):
            modes = ("random",) if plen == 16384 else ("seq", "random")
            for mode in modes:
                key, salt, pt = secrets.token_bytes(key_len), secrets.token_bytes(4), secrets.token_bytes(plen)
                seq = seqs[n]
                ctype = 22 if n == 2 else 23  # one handshake-type record per key size
                if mode == "seq":
                    explicit = struct.pack(">Q", seq)
                    comment = "explicit nonce = seq (as we send)"
                else:
                    explicit = secrets.token_bytes(8)
                    comment = "explicit nonce random, != seq (as OpenSSL sends)"
                frag = seal(key, salt, explicit, seq, ctype, TLS12, pt)
                cases.append(case(f"aes{key_len * 8}-len{plen}-nonce-{mode}", comment,
                                  key, salt, explicit, seq, ctype, pt, frag, True))

        # An encrypted close_notify alert, as both peers send at the end.
        key, salt, explicit = secrets.token_bytes(key_len), secrets.token_bytes(4), secrets.token_bytes(8)
        frag = seal(key, salt, explicit, 3, 21, TLS12, b"\x01\x00")
        cases.append(case(f"aes{key_len * 8}-alert-close-notify", "close_notify alert, content_type 21",
                          key, salt, explicit, 3, 21, b"\x01\x00", frag, True))

    # Invalid: each case carries one defect; the consumer must reject it (bad_record_mac).
    for key_len in (16, 32):
        key, salt, pt = secrets.token_bytes(key_len), secrets.token_bytes(4), secrets.token_bytes(32)
        seq, explicit = 5, secrets.token_bytes(8)
        good = seal(key, salt, explicit, seq, 23, TLS12, pt)
        p = f"aes{key_len * 8}"
        bad = [
            ("tag-bit-flip", "last tag byte, low bit flipped", seq, 23, TLS12, flip(good, len(good) - 1)),
            ("tag-first-bit-flip", "first tag byte, high bit flipped", seq, 23, TLS12,
             flip(good, len(good) - 16, 7)),
            ("ciphertext-bit-flip", "first ciphertext byte flipped", seq, 23, TLS12, flip(good, 8)),
            ("explicit-nonce-bit-flip", "explicit nonce byte 7 flipped", seq, 23, TLS12, flip(good, 7)),
            ("wrong-seq-in-aad", "sealed with seq 5; the case's seq (6) is what the reader uses",
             seq + 1, 23, TLS12, good),
            ("wrong-type-in-aad", "sealed as application_data (23); case says handshake (22)",
             seq, 22, TLS12, good),
            ("wrong-version-in-aad", "sealed with 0x0303; case says 0x0302", seq, 23, 0x0302, good),
            ("truncated-tag-1", "last tag byte removed", seq, 23, TLS12, good[:-1]),
            ("truncated-tag-16", "whole tag removed (fragment still >= 24 bytes)", seq, 23, TLS12, good[:-16]),
            ("short-fragment-23", "fragment of 23 bytes (< 8 nonce + 16 tag)", seq, 23, TLS12, good[:23]),
            ("short-fragment-8", "explicit nonce only", seq, 23, TLS12, good[:8]),
            ("short-fragment-0", "empty fragment", seq, 23, TLS12, b""),
        ]
        for cid, comment, cseq, ctype, version, frag in bad:
            cases.append(case(f"{p}-invalid-{cid}", comment, key, salt, frag[:8], cseq, ctype, pt,
                              frag, False, version))

    # Self-check with the consumer's procedure.
    for c in cases:
        got = open_as_consumer(c)
        if c["valid"] != (got is not None) or (got is not None and got.hex() != c["plaintext"]):
            raise RuntimeError(f"self-check failed for {c['id']}")
    write_json(
        "gcm_record.json", "gcm_record", f"Python cryptography {CRYPTO_VERSION} AESGCM", SCRIPT,
        "TLS 1.2 AES-GCM records (RFC 5288 §3, RFC 5246 §6.2.3.3). nonce = salt || explicit_nonce; "
        "AAD = seq(8) || content_type(1) || version(2) || plaintext length(2); fragment = "
        "explicit_nonce || ciphertext || tag(16). For invalid cases explicit_nonce is the first "
        "(up to) 8 bytes of the fragment and plaintext is empty.", cases)


if __name__ == "__main__":
    main()
