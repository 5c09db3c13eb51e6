#!/usr/bin/env python3
"""Generate rsa_premaster.json: RSA-encrypted premaster secrets for the server key
vectors/keys/rsa2048.key, valid ones (Python `cryptography` PKCS#1 v1.5) and the
malformed classes a Bleichenbacher/ROBOT oracle probes (blocks padded by hand,
then raw RSA with the key's public numbers). RFC 5246 §7.4.7.1."""

import secrets
import subprocess

from common import RSA_KEY, ensure_cryptography, openssl_version, write_doc

CRYPTO_VERSION = ensure_cryptography()
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

SCRIPT = "gen_rsa_premaster.py"
CLIENT_VERSION = 0x0303


def openssl_cross_check(cases):
    """`openssl pkeyutl -decrypt` (PKCS#1 v1.5) must agree: valid cases give the
    premaster, the bad-padding classes fail, the valid-padding classes decrypt."""
    padding_ok = {"valid", "wrong_premaster_length", "wrong_version"}
    for c in cases:
        if c["class"] in ("ciphertext_shorter", "ciphertext_longer", "ciphertext_ge_modulus"):
            continue  # length/range handling differs between libraries; not a padding check
        p = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", RSA_KEY,
                            "-pkeyopt", "rsa_padding_mode:pkcs1"],
                           input=bytes.fromhex(c["ciphertext"]), capture_output=True, timeout=30)
        if (p.returncode == 0) != (c["class"] in padding_ok):
            raise RuntimeError(f"openssl pkeyutl disagrees on {c['id']}: rc {p.returncode}")
        if c["valid"] and p.stdout.hex() != c["premaster"]:
            raise RuntimeError(f"openssl pkeyutl decrypts {c['id']} differently")


def main():
    with open(RSA_KEY, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    pub = key.public_key()
    n, e = pub.public_numbers().n, pub.public_numbers().e
    d = key.private_numbers().d
    k = (n.bit_length() + 7) // 8
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())

    def raw_encrypt(block):
        assert len(block) == k
        m = int.from_bytes(block, "big")
        assert m < n
        c = pow(m, e, n).to_bytes(k, "big")
        assert pow(int.from_bytes(c, "big"), d, n) == m  # round-trips with the private key
        return c

    def nonzero(count):
        return bytes(1 + secrets.randbelow(255) for _ in range(count))

    def pkcs1_block(msg, block_type=b"\x00\x02", pad=None):
        pad = nonzero(k - 3 - len(msg)) if pad is None else pad
        return block_type + pad + b"\x00" + msg

    def premaster(version=CLIENT_VERSION):
        return version.to_bytes(2, "big") + secrets.token_bytes(46)

    cases = []

    def add(cid, cls, ct, comment, pm=None):
        c = {"id": cid, "comment": comment, "ciphertext": ct.hex(), "client_version": CLIENT_VERSION,
             "class": cls, "valid": pm is not None}
        if pm is not None:
            c["premaster"] = pm.hex()
        cases.append(c)

    for i in range(4):
        pm = premaster()
        ct = pub.encrypt(pm, padding.PKCS1v15())
        if key.decrypt(ct, padding.PKCS1v15()) != pm:
            raise RuntimeError("cryptography round trip failed")
        add(f"valid-{i}", "valid", ct, "cryptography public_key.encrypt(pm, PKCS1v15())", pm)

    pm = premaster()
    add("wrong_first_byte-01", "wrong_first_byte", raw_encrypt(b"\x01" + pkcs1_block(pm)[1:]),
        "block starts 0x01 0x02 instead of 0x00 0x02")
    add("wrong_first_byte-17", "wrong_first_byte", raw_encrypt(b"\x17" + pkcs1_block(pm)[1:]),
        "block starts 0x17 0x02")
    add("wrong_block_type-01", "wrong_block_type",
        raw_encrypt(pkcs1_block(pm, b"\x00\x01", b"\xff" * (k - 3 - 48))),
        "block type 1 (signature padding, 0xff bytes) instead of 2")
    add("wrong_block_type-03", "wrong_block_type", raw_encrypt(pkcs1_block(pm, b"\x00\x03")),
        "block type 3 instead of 2")
    for pos in (0, 3, 7):
        # A 0x00 inside the first 8 padding bytes: the separator comes too early, so the
        # "message" is longer than 48 bytes and the padding shorter than 8.
        block = bytearray(pkcs1_block(pm))
        block[2 + pos] = 0
        add(f"zero_in_padding-{pos}", "zero_in_padding", raw_encrypt(bytes(block)),
            f"0x00 at padding byte {pos} (block offset {2 + pos})")
    add("no_separator", "no_separator", raw_encrypt(b"\x00\x02" + nonzero(k - 2)),
        "0x00 0x02 followed by nonzero bytes only")
    for plen in (47, 49, 0):
        msg = premaster()[:plen] if plen <= 48 else premaster() + secrets.token_bytes(plen - 48)
        add(f"wrong_premaster_length-{plen}", "wrong_premaster_length", raw_encrypt(pkcs1_block(msg)),
            f"valid padding, {plen}-byte message")
    add("wrong_version-0302", "wrong_version", raw_encrypt(pkcs1_block(premaster(0x0302))),
        "valid padding, 48 bytes, version 0x0302 while client_version is 0x0303")
    add("wrong_version-0000", "wrong_version", raw_encrypt(pkcs1_block(premaster(0x0000))),
        "valid padding, 48 bytes, version 0x0000")

    # A valid ciphertext whose first byte is 0x00, with that byte removed: the integer is
    # unchanged, only the length (k - 1) is wrong.
    while True:
        pm_short = premaster()
        ct = pub.encrypt(pm_short, padding.PKCS1v15())
        if ct[0] == 0:
            break
    add("ciphertext_shorter-strip-zero", "ciphertext_shorter", ct[1:],
        f"valid encryption of premaster {pm_short.hex()} with its leading 0x00 removed ({k - 1} bytes)")
    ct = pub.encrypt(premaster(), padding.PKCS1v15())
    add("ciphertext_shorter-truncated", "ciphertext_shorter", ct[:-1],
        f"valid ciphertext with its last byte removed ({k - 1} bytes)")
    pm_long = premaster()
    ct = pub.encrypt(pm_long, padding.PKCS1v15())
    add("ciphertext_longer-zero-prefix", "ciphertext_longer", b"\x00" + ct,
        f"valid encryption of premaster {pm_long.hex()} with 0x00 prepended ({k + 1} bytes)")
    add("ciphertext_longer-trailing", "ciphertext_longer", ct + b"\x00",
        f"valid ciphertext with 0x00 appended ({k + 1} bytes)")
    add("ciphertext_ge_modulus-n", "ciphertext_ge_modulus", n.to_bytes(k, "big"),
        "ciphertext = n")
    add("ciphertext_ge_modulus-n-plus-1", "ciphertext_ge_modulus", (n + 1).to_bytes(k, "big"),
        "ciphertext = n + 1 (decrypts to 1 if reduced mod n)")
    add("ciphertext_ge_modulus-all-ff", "ciphertext_ge_modulus", b"\xff" * k,
        "ciphertext = 2^2048 - 1")

    openssl_cross_check(cases)
    doc = {
        "kind": "rsa_premaster",
        "source": {"tool": f"Python cryptography {CRYPTO_VERSION} (PKCS1v15 encrypt; raw RSA "
                           "pow(m, e, n) for the malformed classes); padding classes cross-checked with "
                           f"OpenSSL {openssl_version()} `openssl pkeyutl -decrypt`",
                   "script": f"vectors/gen/{SCRIPT}"},
        "description": "RSA key exchange (RFC 5246 §7.4.7.1) against vectors/keys/rsa2048.key. "
                       "Valid cases decrypt to premaster. For every invalid class the server must "
                       "continue with a random 48-byte premaster, never an error or a distinct alert.",
        "private_key_pkcs8": der.hex(),
        "cases": cases,
    }
    if len({c["id"] for c in cases}) != len(cases):
        raise RuntimeError("duplicate ids")
    write_doc("rsa_premaster.json", doc)


if __name__ == "__main__":
    main()
