"""OCSP responses (RFC 6960) for the test PKI's leaves, from two independent
tools, into vectors/ocsp.json:

- the OpenSSL CLI: `openssl ocsp` as an index.txt responder (`-index`,
  `-reqin`), answering requests that `openssl ocsp -reqout` built: good,
  revoked, unknown, delegated responder, SHA-256 CertID, byKey ResponderID,
  nonce echoed;
- Python `cryptography`'s OCSPResponseBuilder, for what the CLI cannot make:
  chosen times (expired, not yet valid, no nextUpdate), the wrong signer,
  delegated responders without id-kp-OCSPSigning or from another CA, a CertID
  for another certificate, error statuses, critical extensions, malformed DER.

The issuer is vectors/pki's intermediate (harness/pki/int.{pem,key}); the
delegated responders' certificates and keys are written to vectors/ocsp/ once
(kept on rerun unless --new-keys). Nothing here runs the Gauntlet engine.

Run: python3 vectors/gen/gen_ocsp.py [--new-keys]
"""

import datetime
import os
import subprocess
import sys
import tempfile
import time

from common import VECTORS_DIR, ensure_cryptography, openssl_version, run, write_doc

CRYPTOGRAPHY = ensure_cryptography()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509 import ocsp  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

PKI = os.path.join(VECTORS_DIR, "pki")
OUT = os.path.join(VECTORS_DIR, "ocsp")
NEW_KEYS = "--new-keys" in sys.argv[1:]


def load_cert(name):
    with open(os.path.join(PKI, f"{name}.pem"), "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


INT = load_cert("int")
INT_KEY = load_key(os.path.join(PKI, "int.key"))
ROOT = load_cert("root")
ROOT_KEY = load_key(os.path.join(PKI, "root.key"))
# Same subject as the intermediate, another key.
IMPOSTOR = load_cert("int-impostor")
IMPOSTOR_KEY = load_key(os.path.join(PKI, "int-impostor.key"))
LEAF = load_cert("leaf")
REVOKED = load_cert("leaf-revoked")
# A leaf of the same CA that the index does not list: "unknown".
UNLISTED = load_cert("leaf-pss")


def responder(name, issuer, issuer_key, ocsp_signing):
    """A delegated responder certificate (RFC 6960 §4.2.2.2), made once."""
    os.makedirs(OUT, exist_ok=True)
    cert_path = os.path.join(OUT, f"{name}.pem")
    key_path = os.path.join(OUT, f"{name}.key")
    if os.path.exists(cert_path) and not NEW_KEYS:
        with open(cert_path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()), load_key(key_path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gauntlet Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Gauntlet Test OCSP {name}"),
        ]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2028, 1, 1, tzinfo=datetime.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ocsp_signing:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
    return cert, key


DELEGATE, DELEGATE_KEY = responder("responder", INT, INT_KEY, True)
NO_EKU, NO_EKU_KEY = responder("responder-noeku", INT, INT_KEY, False)
OTHER_CA, OTHER_CA_KEY = responder("responder-rootissued", ROOT, ROOT_KEY, True)

CERTS = {
    "leaf": LEAF,
    "leaf-revoked": REVOKED,
    "leaf-unlisted": UNLISTED,
    "int": INT,
}
cases = []


def add(case_id, tool, response, cert, expect, now, nonce=None, comment="", request=None,
        request_hash=None):
    case = {
        "id": case_id,
        "tool": tool,
        "comment": comment,
        "response": response.hex(),
        "cert": cert,
        "issuer": "int",
        "now": now,
        "expect": expect,
    }
    if nonce is not None:
        case["nonce"] = nonce.hex()
    if request is not None:
        # The OCSPRequest `openssl ocsp -reqout` sent, and its CertID hash:
        # a client that builds the same request must produce these bytes.
        case["request"] = request.hex()
        case["request_hash"] = request_hash
    cases.append(case)


# ---- openssl ocsp as an index.txt responder ---------------------------------

def openssl_cases():
    with tempfile.TemporaryDirectory() as tmp:
        def path(name):
            return os.path.join(tmp, name)

        def pem(cert, name):
            with open(path(name), "wb") as f:
                f.write(cert.public_bytes(serialization.Encoding.PEM))
            return path(name)

        def key(k, name):
            with open(path(name), "wb") as f:
                f.write(k.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ))
            return path(name)

        issuer = pem(INT, "int.pem")
        int_key = key(INT_KEY, "int.key")
        delegate = pem(DELEGATE, "responder.pem")
        delegate_key = key(DELEGATE_KEY, "responder.key")
        # index.txt (`openssl ca`'s database): V = valid, R = revoked with
        # its revocation time and reason.
        def serial(c):
            return format(c.serial_number, "X").rjust(2, "0")
        with open(path("index.txt"), "w") as f:
            f.write(f"V\t280101000000Z\t\t{serial(LEAF)}\tunknown\t{LEAF.subject.rfc4514_string()}\n")
            f.write(
                f"R\t280101000000Z\t260601000000Z,keyCompromise\t{serial(REVOKED)}\tunknown\t"
                f"{REVOKED.subject.rfc4514_string()}\n"
            )

        def respond(cid, cert_name, expect, extra_req=(), extra_resp=(), signer=(issuer, int_key),
                    comment=""):
            cert = pem(CERTS[cert_name], f"{cid}-cert.pem")
            req = path(f"{cid}.req")
            resp = path(f"{cid}.resp")
            run(["openssl", "ocsp", "-issuer", issuer, *extra_req, "-cert", cert, "-reqout", req])
            t0 = int(time.time())
            run([
                "openssl", "ocsp", "-index", path("index.txt"), "-CA", issuer,
                "-rsigner", signer[0], "-rkey", signer[1], "-reqin", req, "-respout", resp,
                "-ndays", "7", *extra_resp,
            ])
            with open(resp, "rb") as f:
                response = f.read()
            # The nonce `openssl ocsp` put in the request (it adds one by
            # default), read back with cryptography.
            with open(req, "rb") as f:
                request_der = f.read()
            request = ocsp.load_der_ocsp_request(request_der)
            nonce = None
            for ext in request.extensions:
                if isinstance(ext.value, x509.OCSPNonce):
                    nonce = ext.value.nonce
            add(cid, f"OpenSSL {openssl_version()} `openssl ocsp -index` responder", response,
                cert_name, expect, t0 + 120, nonce, comment, request_der,
                "sha256" if "-sha256" in extra_req else "sha1")

        respond("openssl-good", "leaf", "good", comment="SHA-1 CertID, signed by the CA, nonce echoed")
        respond("openssl-revoked", "leaf-revoked", "revoked",
                comment="index.txt lists it R with keyCompromise")
        respond("openssl-unknown", "leaf-unlisted", "unknown",
                comment="a serial the index does not list")
        respond("openssl-good-sha256-certid", "leaf", "good", extra_req=["-sha256"],
                comment="CertID hashed with SHA-256")
        respond("openssl-good-delegated", "leaf", "good", signer=(delegate, delegate_key),
                comment="signed by a responder the CA issued with id-kp-OCSPSigning, carried in certs")
        respond("openssl-good-by-key", "leaf", "good", extra_resp=["-resp_key_id"],
                comment="ResponderID byKey")
        respond("openssl-good-no-nonce", "leaf", "good", extra_req=["-no_nonce"],
                comment="request without a nonce")
        respond("openssl-delegated-not-in-certs", "leaf", "UnauthorizedSigner",
                signer=(delegate, delegate_key), extra_resp=["-resp_no_certs"],
                comment="the delegated responder's certificate is left out, so nothing names the signer")


# ---- cryptography's OCSPResponseBuilder -------------------------------------

NOW = datetime.datetime(2027, 1, 1, tzinfo=datetime.timezone.utc)
NOW_TS = int(NOW.timestamp())
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
TOOL = f"Python cryptography {CRYPTOGRAPHY} ocsp.OCSPResponseBuilder"


def build(cert=LEAF, status=ocsp.OCSPCertStatus.GOOD, this=NOW - HOUR, next_=NOW + DAY,
          signer=INT, signer_key=INT_KEY, certs=None, by_key=False, hash_alg=hashes.SHA1(),
          revoked_at=None, reason=None, nonce=None, ext=None, issuer=INT, sig_hash=hashes.SHA256()):
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=cert, issuer=issuer, algorithm=hash_alg, cert_status=status,
        this_update=this, next_update=next_, revocation_time=revoked_at,
        revocation_reason=reason,
    ).responder_id(
        ocsp.OCSPResponderEncoding.HASH if by_key else ocsp.OCSPResponderEncoding.NAME, signer
    )
    if certs:
        b = b.certificates(certs)
    if nonce is not None:
        b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
    if ext is not None:
        b = b.add_extension(ext, critical=True)
    return b.sign(signer_key, sig_hash).public_bytes(serialization.Encoding.DER)


def cryptography_cases():
    def c(cid, expect, response, cert="leaf", now=NOW_TS, nonce=None, comment=""):
        add(cid, TOOL, response, cert, expect, now, nonce, comment)

    c("py-good", "good", build(), comment="SHA-1 CertID, byName, signed by the CA")
    c("py-good-sha512-certid", "good", build(hash_alg=hashes.SHA512()))
    c("py-good-sha384-signature", "good", build(sig_hash=hashes.SHA384()))
    c("py-revoked-with-reason", "revoked",
      build(cert=REVOKED, status=ocsp.OCSPCertStatus.REVOKED,
            revoked_at=NOW - 30 * DAY, reason=x509.ReasonFlags.key_compromise),
      cert="leaf-revoked")
    c("py-revoked-without-reason", "revoked",
      build(cert=REVOKED, status=ocsp.OCSPCertStatus.REVOKED, revoked_at=NOW - 30 * DAY),
      cert="leaf-revoked")
    c("py-unknown", "unknown", build(cert=UNLISTED, status=ocsp.OCSPCertStatus.UNKNOWN),
      cert="leaf-unlisted")
    c("py-expired", "Expired", build(this=NOW - 8 * DAY, next_=NOW - DAY),
      comment="nextUpdate a day before the validation time (RFC 6960 §3.2 (6))")
    c("py-expired-by-one-second", "Expired",
      build(this=NOW - DAY, next_=NOW - datetime.timedelta(seconds=1)))
    c("py-next-update-is-now", "good", build(this=NOW - DAY, next_=NOW),
      comment="nextUpdate equal to the validation time is still current")
    c("py-not-yet-valid", "NotYetValid", build(this=NOW + HOUR, next_=NOW + 2 * DAY),
      comment="thisUpdate an hour after the validation time (RFC 6960 §3.2 (5))")
    c("py-no-next-update-fresh", "good", build(this=NOW - HOUR, next_=None),
      comment="no nextUpdate, thisUpdate an hour old: within our 24 h policy")
    c("py-no-next-update-stale", "Expired", build(this=NOW - 2 * DAY, next_=None),
      comment="no nextUpdate, thisUpdate two days old: beyond our 24 h policy")
    c("py-wrong-key", "BadSignature", build(signer=IMPOSTOR, signer_key=IMPOSTOR_KEY),
      comment="names the CA (byName) as responder but is signed by another key under the same name")
    c("py-wrong-key-by-key", "UnauthorizedSigner",
      build(signer=IMPOSTOR, signer_key=IMPOSTOR_KEY, by_key=True),
      comment="byKey names a key that is neither the CA's nor in certs")
    c("py-delegated-by-key", "good",
      build(signer=DELEGATE, signer_key=DELEGATE_KEY, certs=[DELEGATE], by_key=True))
    c("py-delegated-without-ocsp-signing", "UnauthorizedSigner",
      build(signer=NO_EKU, signer_key=NO_EKU_KEY, certs=[NO_EKU]),
      comment="issued by the CA but without id-kp-OCSPSigning (RFC 6960 §4.2.2.2)")
    c("py-delegated-from-another-ca", "UnauthorizedSigner",
      build(signer=OTHER_CA, signer_key=OTHER_CA_KEY, certs=[OTHER_CA]),
      comment="id-kp-OCSPSigning, but issued by the root, not by the leaf's issuer")
    c("py-delegated-not-yet-valid", "UnauthorizedSigner",
      build(signer=DELEGATE, signer_key=DELEGATE_KEY, certs=[DELEGATE]),
      now=int(datetime.datetime(2025, 12, 31, tzinfo=datetime.timezone.utc).timestamp()),
      comment="validated before the responder certificate's notBefore (the leaf is then not yet valid either, which OCSP does not judge)")
    c("py-certid-for-another-cert", "NoMatchingResponse", build(cert=REVOKED),
      comment="a good status for leaf-revoked, checked for leaf")
    c("py-nonce-echoed", "good", build(nonce=b"\x01" * 16), nonce=b"\x01" * 16)
    c("py-nonce-mismatch", "NonceMismatch", build(nonce=b"\x02" * 16), nonce=b"\x01" * 16)
    c("py-nonce-absent", "good", build(), nonce=b"\x01" * 16,
      comment="a response without a nonce is taken (pre-produced, RFC 5019)")
    c("py-critical-unknown-extension", "UnhandledCriticalExtension",
      build(ext=x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x05\x00")))
    for status in ("MALFORMED_REQUEST", "INTERNAL_ERROR", "TRY_LATER", "SIG_REQUIRED", "UNAUTHORIZED"):
        st = getattr(ocsp.OCSPResponseStatus, status)
        c(f"py-status-{status.lower().replace('_', '-')}", f"ResponderStatus:{st.value}",
          ocsp.OCSPResponseBuilder.build_unsuccessful(st).public_bytes(serialization.Encoding.DER))
    good = build()
    c("py-truncated", "Malformed", good[:-1], comment="the good response less its last byte")
    c("py-trailing-byte", "Malformed", good + b"\x00")
    c("py-empty", "Malformed", b"")


openssl_cases()
cryptography_cases()
write_doc("ocsp.json", {
    "kind": "ocsp",
    "source": {
        "tool": f"OpenSSL {openssl_version()} `openssl ocsp` (index.txt responder) and "
                f"Python cryptography {CRYPTOGRAPHY} OCSPResponseBuilder",
        "script": "vectors/gen/gen_ocsp.py",
    },
    "description": "OCSP responses (RFC 6960) about leaves of vectors/pki's intermediate CA. "
                   "expect: good | revoked | unknown (the verified status), or the "
                   "gauntlet_engine::OcspError variant the response must be refused with "
                   "(ResponderStatus:<n> names the responseStatus). now: the validation time, "
                   "Unix seconds.",
    "certs": {name: der(cert).hex() for name, cert in CERTS.items()},
    "cases": cases,
})
