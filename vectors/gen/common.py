"""Shared helpers for the vector generators.

Every expected value is computed by an independent tool: the OpenSSL CLI
(`openssl kdf ... TLS1-PRF`) or Python `cryptography`. Nothing here imports or
runs the Gauntlet engine.
"""

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys

VECTORS_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
KEYS_DIR = os.path.join(VECTORS_DIR, "keys")
RSA_KEY = os.path.join(KEYS_DIR, "rsa2048.key")
RSA_CRT = os.path.join(KEYS_DIR, "rsa2048.crt")

HASHES = {"sha256": ("SHA256", 32), "sha384": ("SHA384", 48)}


def ensure_cryptography():
    """Import `cryptography`, installing it with pip only if it is missing."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "cryptography"], check=True)
    import cryptography

    return cryptography.__version__


def openssl_version():
    out = subprocess.run(["openssl", "version"], check=True, capture_output=True, text=True).stdout
    m = re.match(r"OpenSSL (\S+)", out)
    if not m:
        raise RuntimeError(f"unexpected `openssl version` output: {out!r}")
    return m.group(1)


def run(cmd, **kw):
    """Run a command with a timeout; fail loudly with its stderr."""
    kw.setdefault("timeout", 60)
    p = subprocess.run(cmd, capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd!r} failed ({p.returncode}): {p.stderr!r}")
    return p.stdout


def openssl_prf(hash_name, secret, label, seed, length):
    """TLS 1.2 PRF(secret, label, seed)[:length] computed by `openssl kdf`."""
    digest, _ = HASHES[hash_name]
    out = run(
        [
            "openssl", "kdf", "-keylen", str(length),
            "-kdfopt", f"digest:{digest}",
            "-kdfopt", f"hexsecret:{secret.hex()}",
            "-kdfopt", f"hexseed:{(label + seed).hex()}",
            "TLS1-PRF",
        ]
    ).decode()
    hexstr = out.strip().replace(":", "").lower()
    if not re.fullmatch(r"[0-9a-f]*", hexstr) or len(hexstr) != 2 * length:
        raise RuntimeError(f"unexpected openssl kdf output: {out!r}")
    result = bytes.fromhex(hexstr)
    # Guard against normalisation mistakes with a stdlib P_hash (RFC 5246 §5).
    if result != stdlib_prf(hash_name, secret, label + seed, length):
        raise RuntimeError("openssl kdf and the hashlib/hmac cross-check disagree")
    return result


def stdlib_prf(hash_name, secret, seed, length):
    """P_hash from RFC 5246 §5 with Python's hmac; used only as a cross-check."""
    h = getattr(hashlib, hash_name)
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, h).digest()
        out += hmac.new(secret, a + seed, h).digest()
    return out[:length]


def write_json(name, kind, tool, script, description, cases):
    ids = [c["id"] for c in cases]
    if len(ids) != len(set(ids)):
        raise RuntimeError(f"{name}: duplicate case ids")
    for c in cases:
        c.setdefault("comment", "")
    doc = {
        "kind": kind,
        "source": {"tool": tool, "script": f"vectors/gen/{script}"},
        "description": description,
        "cases": cases,
    }
    return write_doc(name, doc)


def write_doc(name, doc):
    path = os.path.join(VECTORS_DIR, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote vectors/{name}: {len(doc['cases'])} cases")
    return path
