#!/usr/bin/env python3
"""A loopback OCSP responder over HTTP (RFC 6960 appendix A.1, POST and
GET) whose answers come from `openssl ocsp -index` run per request: OpenSSL
makes every response, this only carries bytes. (`openssl ocsp -port` binds
every address; this binds 127.0.0.1 only.)

  ci/ocsp-responder.py PORT INDEX CA_PEM SIGNER_PEM SIGNER_KEY

Serves until killed; each request's openssl run is bounded by 10 s.
"""

import base64
import http.server
import subprocess
import sys
import urllib.parse

PORT, INDEX, CA, SIGNER, KEY = sys.argv[1:6]
MAX_REQUEST = 64 * 1024


def respond(request):
    p = subprocess.run(
        ["openssl", "ocsp", "-index", INDEX, "-CA", CA, "-rsigner", SIGNER, "-rkey", KEY,
         "-reqin", "/dev/stdin", "-respout", "/dev/stdout", "-ndays", "1"],
        input=request, capture_output=True, timeout=10,
    )
    return p.stdout if p.returncode == 0 else None


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, request):
        response = respond(request) if request else None
        if response is None:
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(response)))
        self.end_headers()
        self.wfile.write(response)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.answer(self.rfile.read(n) if 0 < n <= MAX_REQUEST else None)

    def do_GET(self):
        try:
            request = base64.b64decode(urllib.parse.unquote(self.path.rsplit("/", 1)[-1]))
        except ValueError:
            request = None
        self.answer(request)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
