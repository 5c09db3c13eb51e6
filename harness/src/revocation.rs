//! Revocation fetching for our client (`connect --revocation`): the engine
//! names what to ask ([`pki::revocation_queries`]: each certificate below
//! the anchor with its AIA OCSP responders and CRL distribution points) and
//! judges the answers; this module only fetches, over plain HTTP with ureq:
//! OCSP by POST or GET (RFC 6960 appendix A.1) and CRLs by GET (RFC 5280
//! §4.2.1.13), each request bounded by a timeout and a size cap. A responder
//! that is down, slow, answers with an HTTP error or sends too much gives no
//! answer, and the revocation policy decides (soft-fail passes, hard-fail
//! fails); an answer that arrives is judged by the engine, strictly.

use base64::Engine as _;
use gauntlet_engine::config::{PkiVerifier, ServerCertVerifier};
use gauntlet_engine::pki::{self, ocsp, FetchedOcsp, RevocationPolicy, StatusQuery};
use gauntlet_engine::{CertificateError, UnixTime};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// The most bytes read from an OCSP responder: the engine's own cap.
pub const MAX_OCSP_BYTES: u64 = ocsp::MAX_RESPONSE_LEN as u64;
/// The most bytes read from a CRL distribution point.
pub const MAX_CRL_BYTES: u64 = 4 * 1024 * 1024;
/// The most notes kept about one validation's fetches.
const MAX_NOTES: usize = 32;

/// How OCSP requests go out (RFC 6960 appendix A.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OcspMethod {
    /// The DER request as the body, `application/ocsp-request`.
    #[default]
    Post,
    /// `{url}/{url-encoded base64 of the request}`.
    Get,
}

/// Where and how to fetch.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Each request's whole-call timeout.
    pub timeout: Duration,
    pub method: OcspMethod,
    /// Ask this responder about the leaf instead of its AIA URLs (the
    /// intermediates keep theirs: one responder rarely speaks for two CAs).
    pub ocsp_url: Option<String>,
    /// Fetch the leaf's issuer's CRL from this URL instead of the leaf's
    /// distribution points.
    pub crl_url: Option<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            method: OcspMethod::Post,
            ocsp_url: None,
            crl_url: None,
        }
    }
}

/// What the fetches brought, and one line per one that failed.
#[derive(Debug, Default)]
pub struct Fetched {
    pub ocsp: Vec<FetchedOcsp>,
    pub crls: Vec<Vec<u8>>,
    pub notes: Vec<String>,
}

impl Fetched {
    fn note(&mut self, line: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(line);
        }
    }
}

/// Fetches a status for each query: OCSP from its responders first, and
/// its issuer's CRL only if no responder answered. `leaf` is the
/// certificate the URL overrides apply to.
pub fn fetch(queries: &[StatusQuery], leaf: &[u8], opts: &FetchOptions) -> Fetched {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut out = Fetched::default();
    for q in queries {
        let is_leaf = q.cert == leaf;
        let urls: Vec<&str> = match &opts.ocsp_url {
            Some(u) if is_leaf => vec![u.as_str()],
            _ => q.ocsp_urls.iter().map(String::as_str).collect(),
        };
        let mut answered = false;
        if !urls.is_empty() {
            match ocsp::request(&q.cert, &q.issuer, ocsp::CertIdHash::Sha1, None) {
                Ok(request) => {
                    for url in urls.iter().take(4) {
                        match fetch_ocsp(&agent, url, &request, opts.method) {
                            Ok(response) => {
                                out.ocsp.push(FetchedOcsp {
                                    cert: q.cert.clone(),
                                    response,
                                });
                                answered = true;
                                break;
                            }
                            Err(e) => out.note(format!("OCSP {url}: {e}")),
                        }
                    }
                }
                Err(e) => out.note(format!("OCSP request: {e:?}")),
            }
        }
        if answered {
            continue;
        }
        let crl_urls: Vec<&str> = match &opts.crl_url {
            Some(u) if is_leaf => vec![u.as_str()],
            _ => q.crl_urls.iter().map(String::as_str).collect(),
        };
        for url in crl_urls.iter().take(4) {
            match get(&agent, url, MAX_CRL_BYTES) {
                Ok(body) => {
                    out.crls.push(crl_der(body));
                    break;
                }
                Err(e) => out.note(format!("CRL {url}: {e}")),
            }
        }
    }
    out
}

fn fetch_ocsp(
    agent: &ureq::Agent,
    url: &str,
    request: &[u8],
    method: OcspMethod,
) -> Result<Vec<u8>, String> {
    let response = match method {
        OcspMethod::Post => agent
            .post(url)
            .header("Content-Type", "application/ocsp-request")
            .send(request),
        OcspMethod::Get => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(request);
            let sep = if url.ends_with('/') { "" } else { "/" };
            agent.get(format!("{url}{sep}{}", url_encode(&b64))).call()
        }
    };
    read_body(response, MAX_OCSP_BYTES)
}

fn get(agent: &ureq::Agent, url: &str, max: u64) -> Result<Vec<u8>, String> {
    read_body(agent.get(url).call(), max)
}

fn read_body(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    max: u64,
) -> Result<Vec<u8>, String> {
    let mut response = response.map_err(|e| e.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(max)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(n) => format!("more than {n} bytes"),
            e => e.to_string(),
        })
}

/// RFC 3986 percent-encoding of the base64 alphabet's `+`, `/` and `=`.
fn url_encode(b64: &str) -> String {
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// A distribution point serves DER (RFC 5280 §4.2.1.13); PEM is taken too.
fn crl_der(body: Vec<u8>) -> Vec<u8> {
    if body.starts_with(b"-----BEGIN") {
        if let Ok(mut blocks) = pki::pem::der_blocks(&body, "X509 CRL") {
            if !blocks.is_empty() {
                return blocks.swap_remove(0);
            }
        }
    }
    body
}

/// Our client's verifier with fetching: the engine's [`PkiVerifier`] over
/// the given CRLs, the staple, and what [`fetch`] brought for the path.
pub struct FetchingVerifier {
    pub pki: PkiVerifier,
    pub fetch: FetchOptions,
    /// The notes of the last validation's fetches (for `connect` to print).
    pub notes: Mutex<Vec<String>>,
}

impl fmt::Debug for FetchingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchingVerifier")
            .field("pki", &self.pki)
            .field("fetch", &self.fetch)
            .finish()
    }
}

impl ServerCertVerifier for FetchingVerifier {
    fn verify(
        &self,
        chain: &[Vec<u8>],
        server_name: &str,
        ocsp_staple: Option<&[u8]>,
        now: UnixTime,
    ) -> Result<(), CertificateError> {
        if self.pki.revocation == RevocationPolicy::Off {
            return self.pki.verify(chain, server_name, ocsp_staple, now);
        }
        let mut queries = self.pki.revocation_queries(chain, server_name, now)?;
        // The staple answers for the leaf.
        if ocsp_staple.is_some() {
            queries.retain(|q| chain.first() != Some(&q.cert));
        }
        let leaf = chain.first().map_or(&[][..], Vec::as_slice);
        let fetched = fetch(&queries, leaf, &self.fetch);
        if let Ok(mut notes) = self.notes.lock() {
            *notes = fetched.notes.clone();
        }
        self.pki.verify_with_fetched(
            chain,
            server_name,
            ocsp_staple,
            &fetched.ocsp,
            &fetched.crls,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_urls_percent_encode_the_base64_specials() {
        assert_eq!(url_encode("ab+c/d=="), "ab%2Bc%2Fd%3D%3D");
    }
}
