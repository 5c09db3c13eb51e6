//! One check per vector kind (schema in `vectors/README.md`), each using only
//! engine primitives. A kind's `Prepare` runs once per file (parsing what the
//! file shares, such as the RSA key) and returns the per-case check.

use super::replay::{self, Recording};
use super::{de, Case, FieldError, Verdict};
use gauntlet_engine::crypto::rsa_kx::{private_key_from_pem, private_key_from_pkcs8_der};
use gauntlet_engine::crypto::{
    decrypt_premaster, extended_master_secret, key_block, master_secret, prf, verify_data,
    MasterSecret, Premaster, PrfHash, RsaDecrypt,
};
use gauntlet_engine::enums::{AlertDescription, ContentType, ProtocolVersion};
use gauntlet_engine::pki::ocsp::{self, CertIdHash, CertStatus, OcspOptions};
use gauntlet_engine::pki::Time;
use gauntlet_engine::record::protection::{open_with_seq, seal_with_nonce};
use gauntlet_engine::{OcspError, Provider};
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use std::path::Path;

/// The check of one case; may keep per-file state (a key, an RNG).
pub(super) type Check = Box<dyn FnMut(&Case<'_>) -> Result<Verdict, FieldError>>;

/// Builds a file's check from its top-level object and its directory.
pub(super) type Prepare = fn(&Case<'_>, &Path) -> Result<Check, FieldError>;

/// A `Prepare` for a kind whose check needs nothing from the file.
macro_rules! stateless {
    ($check:ident) => {
        (|_: &Case<'_>, _: &Path| -> Result<Check, FieldError> { Ok(Box::new($check)) }) as Prepare
    };
}

pub(super) fn checker(kind: &str) -> Option<Prepare> {
    Some(match kind {
        "prf" => stateless!(check_prf),
        "master_secret" => stateless!(check_master_secret),
        "extended_master_secret" => stateless!(check_extended_master_secret),
        "key_block" => stateless!(check_key_block),
        "finished" => stateless!(check_finished),
        "gcm_record" => stateless!(check_gcm_record),
        "rsa_premaster" => prepare_rsa_premaster,
        "handshake" => prepare_handshake,
        "ocsp" => prepare_ocsp,
        _ => return None,
    })
}

/// Seeds the RNG used for RSA blinding and for the caller-drawn random
/// premaster: fixed, so a run is reproducible; the vectors' generator cannot
/// know it, so a decryption that "returns the random premaster" is ours.
const RNG_SEED: [u8; 32] = *b"gauntlet vectors verify rng seed";

/// `hash`: the PRF's hash.
fn hash<'de, D: Deserializer<'de>>(d: D) -> Result<PrfHash, D::Error> {
    match de::string(d)?.as_str() {
        "sha256" => Ok(PrfHash::Sha256),
        "sha384" => Ok(PrfHash::Sha384),
        _ => Err(D::Error::custom("must be \"sha256\" or \"sha384\"")),
    }
}

/// The fields of each kind, as `vectors/README.md` "Schema" lists them.
#[derive(Deserialize)]
struct PrfCase {
    #[serde(deserialize_with = "hash")]
    hash: PrfHash,
    #[serde(deserialize_with = "de::hex")]
    secret: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    label: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    seed: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    output: Vec<u8>,
}

#[derive(Deserialize)]
struct MasterSecretCase {
    #[serde(deserialize_with = "hash")]
    hash: PrfHash,
    #[serde(deserialize_with = "de::hex_n")]
    premaster: [u8; 48],
    #[serde(deserialize_with = "de::hex_n")]
    client_random: [u8; 32],
    #[serde(deserialize_with = "de::hex_n")]
    server_random: [u8; 32],
    #[serde(deserialize_with = "de::hex_n")]
    master_secret: [u8; 48],
}

#[derive(Deserialize)]
struct ExtendedMasterSecretCase {
    #[serde(deserialize_with = "hash")]
    hash: PrfHash,
    #[serde(deserialize_with = "de::hex_n")]
    premaster: [u8; 48],
    #[serde(deserialize_with = "de::hex")]
    session_hash: Vec<u8>,
    #[serde(deserialize_with = "de::hex_n")]
    master_secret: [u8; 48],
}

#[derive(Deserialize)]
struct KeyBlockCase {
    #[serde(deserialize_with = "hash")]
    hash: PrfHash,
    #[serde(deserialize_with = "de::u64_int")]
    key_len: u64,
    #[serde(deserialize_with = "de::hex_n")]
    master_secret: [u8; 48],
    #[serde(deserialize_with = "de::hex_n")]
    client_random: [u8; 32],
    #[serde(deserialize_with = "de::hex_n")]
    server_random: [u8; 32],
    #[serde(deserialize_with = "de::hex")]
    key_block: Vec<u8>,
}

#[derive(Deserialize)]
struct FinishedCase {
    #[serde(deserialize_with = "hash")]
    hash: PrfHash,
    #[serde(deserialize_with = "de::hex_n")]
    master_secret: [u8; 48],
    #[serde(deserialize_with = "de::hex")]
    label: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    handshake_hash: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    verify_data: Vec<u8>,
}

#[derive(Deserialize)]
struct GcmRecordCase {
    #[serde(deserialize_with = "de::hex")]
    key: Vec<u8>,
    #[serde(deserialize_with = "de::hex_n")]
    salt: [u8; 4],
    #[serde(deserialize_with = "de::u64_int")]
    seq: u64,
    #[serde(deserialize_with = "de::u8_int")]
    content_type: u8,
    #[serde(deserialize_with = "de::u16_int")]
    version: u16,
    #[serde(deserialize_with = "de::hex")]
    fragment: Vec<u8>,
    #[serde(deserialize_with = "de::hex")]
    plaintext: Vec<u8>,
    #[serde(deserialize_with = "de::boolean")]
    valid: bool,
    /// 8 bytes in valid cases; in invalid ones up to 8 (the fragment's start).
    #[serde(deserialize_with = "de::hex")]
    explicit_nonce: Vec<u8>,
}

#[derive(Deserialize)]
struct RsaPremasterFile {
    #[serde(deserialize_with = "de::hex")]
    private_key_pkcs8: Vec<u8>,
}

#[derive(Deserialize)]
struct RsaPremasterCase {
    #[serde(deserialize_with = "de::hex")]
    ciphertext: Vec<u8>,
    #[serde(deserialize_with = "de::u16_int")]
    client_version: u16,
    #[serde(deserialize_with = "de::string")]
    class: String,
    #[serde(deserialize_with = "de::boolean")]
    valid: bool,
    /// Present exactly when `valid`.
    #[serde(default, deserialize_with = "de::some_hex_n")]
    premaster: Option<[u8; 48]>,
}

/// RFC 5246 §5: PRF(secret, label, seed), compared on the vector's length.
fn check_prf(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: PrfCase = case.parse()?;
    if c.output.is_empty() {
        return Err(case.bad("output", "at least one byte of hex"));
    }
    let mut got = vec![0u8; c.output.len()];
    prf(c.hash, &c.secret, &c.label, &c.seed, &mut got);
    Ok(Verdict::eq("PRF output", &got, &c.output))
}

/// RFC 5246 §8.1.
fn check_master_secret(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: MasterSecretCase = case.parse()?;
    let got = master_secret(
        c.hash,
        &Premaster::from_bytes(c.premaster),
        &c.client_random,
        &c.server_random,
    );
    Ok(Verdict::eq(
        "master secret",
        got.as_bytes(),
        &c.master_secret,
    ))
}

/// RFC 7627 §4.
fn check_extended_master_secret(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: ExtendedMasterSecretCase = case.parse()?;
    if c.session_hash.len() != c.hash.output_len() {
        return Err(case.bad("session_hash", "as long as the hash's output"));
    }
    let got = extended_master_secret(c.hash, &Premaster::from_bytes(c.premaster), &c.session_hash);
    Ok(Verdict::eq(
        "extended master secret",
        got.as_bytes(),
        &c.master_secret,
    ))
}

/// RFC 5246 §6.3 with RFC 5288 §3: client key ‖ server key ‖ client IV ‖ server IV.
fn check_key_block(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: KeyBlockCase = case.parse()?;
    let key_len = match c.key_len {
        16 => 16,
        32 => 32,
        _ => return Err(case.bad("key_len", "16 or 32")),
    };
    let kb = key_block(
        c.hash,
        &MasterSecret::from_bytes(c.master_secret),
        &c.client_random,
        &c.server_random,
        key_len,
    )
    .map_err(|e| FieldError(format!("case {}: {e}", case.id)))?;
    let mut got = Vec::with_capacity(2 * key_len + 8);
    got.extend_from_slice(kb.client_write_key());
    got.extend_from_slice(kb.server_write_key());
    got.extend_from_slice(kb.client_write_iv());
    got.extend_from_slice(kb.server_write_iv());
    Ok(Verdict::eq("key block", &got, &c.key_block))
}

/// RFC 5246 §7.4.9.
fn check_finished(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: FinishedCase = case.parse()?;
    let got = verify_data(
        c.hash,
        &MasterSecret::from_bytes(c.master_secret),
        &c.label,
        &c.handshake_hash,
    );
    Ok(Verdict::eq("verify_data", &got, &c.verify_data))
}

/// RFC 5246 §6.2.3.3, RFC 5288 §3. Valid: opening gives the plaintext and
/// sealing with the vector's explicit nonce gives the fragment byte for byte.
/// Invalid: opening fails with the error that sends bad_record_mac.
fn check_gcm_record(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let c: GcmRecordCase = case.parse()?;
    if c.key.len() != 16 && c.key.len() != 32 {
        return Err(case.bad("key", "16 or 32 bytes of hex"));
    }
    let typ = ContentType(c.content_type);
    let version = ProtocolVersion(c.version);
    let opened = open_with_seq(&c.key, &c.salt, c.seq, typ, version, &c.fragment);
    if !c.valid {
        return Ok(match opened {
            Err(e) if e.alert() == Some(AlertDescription::BadRecordMac) => Verdict::Pass,
            Err(e) => Verdict::Fail(format!("open failed with `{e}`, want bad_record_mac")),
            Ok(pt) => Verdict::Fail(format!(
                "open accepted a defective record, giving {}",
                hex::encode(pt)
            )),
        });
    }
    let opened = match opened {
        Ok(pt) => pt,
        Err(e) => return Ok(Verdict::Fail(format!("open failed: {e}"))),
    };
    if let Verdict::Fail(d) = Verdict::eq("opened plaintext", &opened, &c.plaintext) {
        return Ok(Verdict::Fail(d));
    }
    let explicit: [u8; 8] = c
        .explicit_nonce
        .try_into()
        .map_err(|_| case.bad("explicit_nonce", "8 bytes of hex"))?;
    match seal_with_nonce(
        &c.key,
        &c.salt,
        &explicit,
        c.seq,
        typ,
        version,
        &c.plaintext,
    ) {
        Ok(sealed) => Ok(Verdict::eq("sealed fragment", &sealed, &c.fragment)),
        Err(e) => Ok(Verdict::Fail(format!("seal failed: {e}"))),
    }
}

/// RFC 5246 §7.4.7.1. The key is the file's `private_key_pkcs8`, parsed once.
fn prepare_rsa_premaster(top: &Case<'_>, _dir: &Path) -> Result<Check, FieldError> {
    let file: RsaPremasterFile = top.parse()?;
    let key = private_key_from_pkcs8_der(&file.private_key_pkcs8)
        .map_err(|e| FieldError(format!("field `private_key_pkcs8`: {e}")))?;
    let mut rng = Provider::from_seed(RNG_SEED);
    Ok(Box::new(move |case| {
        check_rsa_premaster(&key, &mut rng, case)
    }))
}

/// Valid: the decrypted premaster. Every other class: exactly the random
/// premaster the caller drew, fresh for each case, with no error.
fn check_rsa_premaster(
    key: &dyn RsaDecrypt,
    rng: &mut Provider,
    case: &Case<'_>,
) -> Result<Verdict, FieldError> {
    let c: RsaPremasterCase = case.parse()?;
    if c.valid != (c.class == "valid") {
        return Err(case.bad("valid", "true exactly when `class` is \"valid\""));
    }
    let random: [u8; 48] = rng.array();
    let got = decrypt_premaster(
        key,
        rng,
        &c.ciphertext,
        ProtocolVersion(c.client_version),
        &random,
    );
    if c.valid {
        let want = c
            .premaster
            .ok_or_else(|| FieldError(format!("case {}: missing field `premaster`", case.id)))?;
        if got.as_bytes() == &random {
            return Ok(Verdict::Fail(
                "a valid ciphertext fell back to the random premaster".into(),
            ));
        }
        Ok(Verdict::eq("premaster", got.as_bytes(), &want))
    } else {
        Ok(Verdict::eq(
            &format!(
                "class {}: premaster (want the caller's random one)",
                c.class
            ),
            got.as_bytes(),
            &random,
        ))
    }
}

/// The server key of the recordings: `<dir>/keys/rsa2048.key` (PKCS#8 PEM).
fn prepare_handshake(_top: &Case<'_>, dir: &Path) -> Result<Check, FieldError> {
    let path = dir.join("keys").join("rsa2048.key");
    let pem = std::fs::read_to_string(&path)
        .map_err(|e| FieldError(format!("server key {}: {e}", path.display())))?;
    let key = private_key_from_pem(&pem)
        .map_err(|e| FieldError(format!("server key {}: {e}", path.display())))?;
    let mut rng = Provider::from_seed(RNG_SEED);
    Ok(Box::new(move |case| {
        let recording: Recording = case.parse()?;
        Ok(match replay::replay(&recording, &key, &mut rng) {
            Ok(()) => Verdict::Pass,
            Err(step) => Verdict::Fail(step),
        })
    }))
}

#[derive(Deserialize)]
struct OcspFile {
    /// Named DER certificates the cases refer to.
    certs: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OcspCase {
    #[serde(deserialize_with = "de::hex")]
    response: Vec<u8>,
    #[serde(deserialize_with = "de::string")]
    cert: String,
    #[serde(deserialize_with = "de::string")]
    issuer: String,
    #[serde(deserialize_with = "de::u64_int")]
    now: u64,
    #[serde(default, deserialize_with = "some_hex")]
    nonce: Option<Vec<u8>>,
    #[serde(deserialize_with = "de::string")]
    expect: String,
    /// A third party's OCSPRequest for `cert`, to be reproduced byte for byte.
    #[serde(default, deserialize_with = "some_hex")]
    request: Option<Vec<u8>>,
    #[serde(default)]
    request_hash: Option<String>,
}

fn some_hex<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    de::hex(d).map(Some)
}

/// RFC 6960: the verified status (`good`, `revoked`, `unknown`), or the
/// `OcspError` variant the response is refused with.
fn prepare_ocsp(top: &Case<'_>, _dir: &Path) -> Result<Check, FieldError> {
    let file: OcspFile = top.parse()?;
    let mut certs = std::collections::BTreeMap::new();
    for (name, hex) in file.certs {
        let der = hex::decode(&hex)
            .map_err(|e| FieldError(format!("field `certs.{name}`: not hex: {e}")))?;
        certs.insert(name, der);
    }
    Ok(Box::new(move |case| {
        let c: OcspCase = case.parse()?;
        let get = |name: &str, field: &str| {
            certs
                .get(name)
                .ok_or_else(|| case.bad(field, "a name listed in `certs`"))
        };
        let (cert, issuer) = (get(&c.cert, "cert")?, get(&c.issuer, "issuer")?);
        if let Some(want) = &c.request {
            let hash = match c.request_hash.as_deref() {
                Some("sha1") => CertIdHash::Sha1,
                Some("sha256") => CertIdHash::Sha256,
                _ => return Err(case.bad("request_hash", "\"sha1\" or \"sha256\"")),
            };
            let ours = ocsp::request(cert, issuer, hash, c.nonce.as_deref())
                .map_err(|e| FieldError(format!("case {}: {e:?}", case.id)))?;
            if let Verdict::Fail(why) = Verdict::eq("OCSPRequest", &ours, want) {
                return Ok(Verdict::Fail(why));
            }
        }
        let mut opts = OcspOptions::at(Time(c.now));
        opts.nonce = c.nonce.as_deref();
        let got = match ocsp::verify_response(&c.response, cert, issuer, &opts) {
            Ok(v) => match v.status {
                CertStatus::Good => "good".to_string(),
                CertStatus::Revoked { .. } => "revoked".to_string(),
                CertStatus::Unknown => "unknown".to_string(),
            },
            Err(OcspError::ResponderStatus(n)) => format!("ResponderStatus:{n}"),
            Err(e) => {
                let debug = format!("{e:?}");
                debug.split('(').next().unwrap_or_default().to_string()
            }
        };
        Ok(if got == c.expect {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("want {}, got {got}", c.expect))
        })
    }))
}
