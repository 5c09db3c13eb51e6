//! CRLs (RFC 5280 §5.1) a CA could publish, correct or not, for the
//! loopback CRL server and the chains [`super::cert::reissue`] points at
//! it: every field the engine judges (times, entries, cRLNumber, AKI,
//! signature) is a knob here.

use super::cert::{positive_integer, sign};
use super::ocsp::{cat, parts, time, tlv, Signer, SHA256_WITH_RSA};
use gauntlet_engine::Provider;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

/// id-ce-cRLNumber, 2.5.29.20 (OID content octets).
const ID_CE_CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
/// id-ce-authorityKeyIdentifier, 2.5.29.35.
const ID_CE_AKI: &[u8] = &[0x55, 0x1d, 0x23];

/// One CRL. The defaults of [`CrlSpec::good`] make a correct CRL; each
/// field, if changed, causes what its doc says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlSpec {
    /// thisUpdate, if set, causes the CRL to be issued at this Unix time.
    pub this_update: u64,
    /// nextUpdate, if set, causes the CRL to expire at this time; None omits
    /// it (RFC 5280 §5.1.2.5: conforming issuers MUST include it).
    pub next_update: Option<u64>,
    /// Entries, if set, cause these serials (INTEGER content octets, as
    /// written) to be listed as revoked at their revocationDate.
    pub revoked: Vec<(Vec<u8>, u64)>,
    /// cRLNumber, if set, causes the (non-critical) extension with this
    /// number; None omits it (§5.2.3: conforming issuers MUST include it).
    pub crl_number: Option<u64>,
    /// authorityKeyIdentifier, if set, causes the extension whose
    /// keyIdentifier is the signer certificate's subjectKeyIdentifier.
    pub authority_key_identifier: bool,
    /// corrupt_signature, if set, causes one bit of the signature to be
    /// flipped after signing.
    pub corrupt_signature: bool,
}

impl CrlSpec {
    /// Issued an hour before `now`, next update a week after it, nothing
    /// revoked, cRLNumber 1, with the AKI.
    pub fn good(now: u64) -> Self {
        Self {
            this_update: now.saturating_sub(3600),
            next_update: Some(now + 7 * 86_400),
            revoked: Vec::new(),
            crl_number: Some(1),
            authority_key_identifier: true,
            corrupt_signature: false,
        }
    }

    /// The DER CertificateList (v2), issuer the signer certificate's subject,
    /// signed by `signer` with sha256WithRSAEncryption.
    pub fn build(&self, signer: &Signer, rng: &mut Provider) -> Result<Vec<u8>, String> {
        let mut fields = vec![
            tlv(0x02, &[1]),
            SHA256_WITH_RSA.to_vec(),
            parts(&signer.cert)?.subject,
            utc_time(self.this_update)?,
        ];
        if let Some(next) = self.next_update {
            fields.push(utc_time(next)?);
        }
        if !self.revoked.is_empty() {
            let entries = self
                .revoked
                .iter()
                .map(|(serial, at)| Ok(tlv(0x30, &cat(&[tlv(0x02, serial), utc_time(*at)?]))))
                .collect::<Result<Vec<_>, String>>()?;
            fields.push(tlv(0x30, &cat(&entries)));
        }
        let extension = |oid, value: Vec<u8>| tlv(0x30, &cat(&[tlv(0x06, oid), tlv(0x04, &value)]));
        let mut exts = Vec::new();
        if self.authority_key_identifier {
            let ski = subject_key_identifier(&signer.cert)?;
            exts.push(extension(ID_CE_AKI, tlv(0x30, &tlv(0x80, &ski))));
        }
        if let Some(n) = self.crl_number {
            let number = positive_integer(&n.to_be_bytes()).unwrap_or_else(|_| vec![0]);
            exts.push(extension(ID_CE_CRL_NUMBER, tlv(0x02, &number)));
        }
        if !exts.is_empty() {
            fields.push(tlv(0xa0, &tlv(0x30, &cat(&exts))));
        }
        sign(
            tlv(0x30, &cat(&fields)),
            signer,
            self.corrupt_signature,
            rng,
        )
    }
}

/// The subjectKeyIdentifier value of a DER certificate.
fn subject_key_identifier(der: &[u8]) -> Result<Vec<u8>, String> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| format!("signer: {e}"))?;
    c.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        })
        .ok_or_else(|| "signer certificate has no subjectKeyIdentifier".into())
}

/// UTCTime `YYMMDDHHMMSSZ`, which RFC 5280 §5.1.2.4 requires through 2049.
fn utc_time(unix: u64) -> Result<Vec<u8>, String> {
    if unix >= 2_524_608_000 {
        return Err(format!("{unix} is after UTCTime's 2049"));
    }
    // The GeneralizedTime TLV is tag, length 15, `YYYYMMDDHHMMSSZ`.
    Ok(tlv(0x17, time(unix).get(4..).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_time_is_two_digit_year_through_2049() {
        assert_eq!(utc_time(1_798_761_600), Ok(tlv(0x17, b"270101000000Z")));
        assert!(utc_time(2_524_608_000).is_err()); // 2050-01-01
    }
}
