#!/usr/bin/env python3
"""Prints what pyca/cryptography's verifier (cryptography.x509.verification,
42+) says about each chain of manifest.json at its reference time: a second
independent opinion beside `openssl verify` (gen.sh). Informational only:
pyca's WebPKI profile differs from ours in places (no CRL input, no CN-only
leaves), see README.md. Run from the repository root:
    python3 vectors/pki/pyca-check.py
"""
import datetime
import ipaddress
import json
import warnings

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

D = "vectors/pki/"
warnings.simplefilter("ignore")  # pyca warns about the non-positive serials
m = json.load(open(D + "manifest.json"))
when = datetime.datetime.fromtimestamp(m["time"], datetime.timezone.utc)


def load(f):
    return x509.load_der_x509_certificate(open(D + f, "rb").read())


for c in m["chains"]:
    try:
        leaf, ints = load(c["leaf"]), [load(f) for f in c["intermediates"]]
        builder = PolicyBuilder().store(Store([load(c["root"])])).time(when)
        if c["purpose"] == "serverAuth" and c["host"]:
            try:
                subject = x509.IPAddress(ipaddress.ip_address(c["host"]))
            except ValueError:
                subject = x509.DNSName(c["host"])
            builder.build_server_verifier(subject).verify(leaf, ints)
        else:
            builder.build_client_verifier().verify(leaf, ints)
        verdict = "OK"
    except Exception as e:  # any refusal, with pyca's reason
        verdict = f"refused: {e}"
    print(f"{c['name']:36} ours={c['expect']:32} pyca={verdict[:100]}")
