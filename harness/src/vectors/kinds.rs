//! One check per vector kind (schema in `vectors/README.md`), each using only
//! engine primitives. A kind's `Prepare` runs once per file (parsing what the
//! file shares, such as the RSA key) and returns the per-case check.

use super::replay::{self, Recording};
use super::{Case, FieldError, Verdict};
use gauntlet_engine::crypto::rsa_kx::{private_key_from_pem, private_key_from_pkcs8_der};
use gauntlet_engine::crypto::{
    decrypt_premaster, extended_master_secret, key_block, master_secret, prf, verify_data,
    MasterSecret, Premaster, PrfHash, RsaDecrypt,
};
use gauntlet_engine::enums::{AlertDescription, ContentType, ProtocolVersion};
use gauntlet_engine::record::protection::{open_with_seq, seal_with_nonce};
use gauntlet_engine::Provider;
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
        _ => return None,
    })
}

/// Seeds the RNG used for RSA blinding and for the caller-drawn random
/// premaster: fixed, so a run is reproducible; the vectors' generator cannot
/// know it, so a decryption that "returns the random premaster" is ours.
const RNG_SEED: [u8; 32] = *b"gauntlet vectors verify rng seed";

fn hash(case: &Case<'_>) -> Result<PrfHash, FieldError> {
    match case.str("hash")? {
        "sha256" => Ok(PrfHash::Sha256),
        "sha384" => Ok(PrfHash::Sha384),
        _ => Err(case.bad("hash", "\"sha256\" or \"sha384\"")),
    }
}

fn premaster(case: &Case<'_>, name: &str) -> Result<Premaster, FieldError> {
    case.hex_n::<48>(name).map(Premaster::from_bytes)
}

fn master(case: &Case<'_>, name: &str) -> Result<MasterSecret, FieldError> {
    case.hex_n::<48>(name).map(MasterSecret::from_bytes)
}

fn u8_field(case: &Case<'_>, name: &str) -> Result<u8, FieldError> {
    u8::try_from(case.u64(name)?).map_err(|_| case.bad(name, "an integer below 256"))
}

fn u16_field(case: &Case<'_>, name: &str) -> Result<u16, FieldError> {
    u16::try_from(case.u64(name)?).map_err(|_| case.bad(name, "an integer below 65536"))
}

/// RFC 5246 §5: PRF(secret, label, seed), compared on the vector's length.
fn check_prf(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let want = case.hex("output")?;
    if want.is_empty() {
        return Err(case.bad("output", "at least one byte of hex"));
    }
    let mut got = vec![0u8; want.len()];
    prf(
        hash(case)?,
        &case.hex("secret")?,
        &case.hex("label")?,
        &case.hex("seed")?,
        &mut got,
    );
    Ok(Verdict::eq("PRF output", &got, &want))
}

/// RFC 5246 §8.1.
fn check_master_secret(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let got = master_secret(
        hash(case)?,
        &premaster(case, "premaster")?,
        &case.hex_n("client_random")?,
        &case.hex_n("server_random")?,
    );
    let want = case.hex_n::<48>("master_secret")?;
    Ok(Verdict::eq("master secret", got.as_bytes(), &want))
}

/// RFC 7627 §4.
fn check_extended_master_secret(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let h = hash(case)?;
    let session_hash = case.hex("session_hash")?;
    if session_hash.len() != h.output_len() {
        return Err(case.bad("session_hash", "as long as the hash's output"));
    }
    let got = extended_master_secret(h, &premaster(case, "premaster")?, &session_hash);
    let want = case.hex_n::<48>("master_secret")?;
    Ok(Verdict::eq("extended master secret", got.as_bytes(), &want))
}

/// RFC 5246 §6.3 with RFC 5288 §3: client key ‖ server key ‖ client IV ‖ server IV.
fn check_key_block(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let key_len = match case.u64("key_len")? {
        16 => 16,
        32 => 32,
        _ => return Err(case.bad("key_len", "16 or 32")),
    };
    let kb = key_block(
        hash(case)?,
        &master(case, "master_secret")?,
        &case.hex_n("client_random")?,
        &case.hex_n("server_random")?,
        key_len,
    )
    .map_err(|e| FieldError(format!("case {}: {e}", case.id)))?;
    let mut got = Vec::with_capacity(2 * key_len + 8);
    got.extend_from_slice(kb.client_write_key());
    got.extend_from_slice(kb.server_write_key());
    got.extend_from_slice(kb.client_write_iv());
    got.extend_from_slice(kb.server_write_iv());
    Ok(Verdict::eq("key block", &got, &case.hex("key_block")?))
}

/// RFC 5246 §7.4.9.
fn check_finished(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let got = verify_data(
        hash(case)?,
        &master(case, "master_secret")?,
        &case.hex("label")?,
        &case.hex("handshake_hash")?,
    );
    Ok(Verdict::eq("verify_data", &got, &case.hex("verify_data")?))
}

/// RFC 5246 §6.2.3.3, RFC 5288 §3. Valid: opening gives the plaintext and
/// sealing with the vector's explicit nonce gives the fragment byte for byte.
/// Invalid: opening fails with the error that sends bad_record_mac.
fn check_gcm_record(case: &Case<'_>) -> Result<Verdict, FieldError> {
    let key = case.hex("key")?;
    if key.len() != 16 && key.len() != 32 {
        return Err(case.bad("key", "16 or 32 bytes of hex"));
    }
    let salt = case.hex_n::<4>("salt")?;
    let seq = case.u64("seq")?;
    let typ = ContentType(u8_field(case, "content_type")?);
    let version = ProtocolVersion(u16_field(case, "version")?);
    let fragment = case.hex("fragment")?;
    let plaintext = case.hex("plaintext")?;
    let opened = open_with_seq(&key, &salt, seq, typ, version, &fragment);
    if !case.bool("valid")? {
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
    if let Verdict::Fail(d) = Verdict::eq("opened plaintext", &opened, &plaintext) {
        return Ok(Verdict::Fail(d));
    }
    let explicit = case.hex_n::<8>("explicit_nonce")?;
    match seal_with_nonce(&key, &salt, &explicit, seq, typ, version, &plaintext) {
        Ok(sealed) => Ok(Verdict::eq("sealed fragment", &sealed, &fragment)),
        Err(e) => Ok(Verdict::Fail(format!("seal failed: {e}"))),
    }
}

/// RFC 5246 §7.4.7.1. The key is the file's `private_key_pkcs8`, parsed once.
fn prepare_rsa_premaster(top: &Case<'_>, _dir: &Path) -> Result<Check, FieldError> {
    let der = top.hex("private_key_pkcs8")?;
    let key = private_key_from_pkcs8_der(&der)
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
    let ciphertext = case.hex("ciphertext")?;
    let client_version = ProtocolVersion(u16_field(case, "client_version")?);
    let class = case.str("class")?;
    let valid = case.bool("valid")?;
    if valid != (class == "valid") {
        return Err(case.bad("valid", "true exactly when `class` is \"valid\""));
    }
    let random: [u8; 48] = rng.array();
    let got = decrypt_premaster(key, rng, &ciphertext, client_version, &random);
    if valid {
        let want = case.hex_n::<48>("premaster")?;
        if got.as_bytes() == &random {
            return Ok(Verdict::Fail(
                "a valid ciphertext fell back to the random premaster".into(),
            ));
        }
        Ok(Verdict::eq("premaster", got.as_bytes(), &want))
    } else {
        Ok(Verdict::eq(
            &format!("class {class}: premaster (want the caller's random one)"),
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
        let recording = Recording::from_case(case)?;
        Ok(match replay::replay(&recording, &key, &mut rng) {
            Ok(()) => Verdict::Pass,
            Err(step) => Verdict::Fail(step),
        })
    }))
}
