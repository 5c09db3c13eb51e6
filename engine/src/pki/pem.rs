//! PEM or DER input for certificates and CRLs, as users hand them over.

use crate::error::CertificateError;

/// Every block labelled `label` (e.g. "CERTIFICATE", "X509 CRL") in a PEM
/// file; input that is not PEM is taken as one DER object.
pub fn der_blocks(input: &[u8], label: &str) -> Result<Vec<Vec<u8>>, CertificateError> {
    if !input.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(vec![input.to_vec()]);
    }
    let mut out = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(input) {
        let pem = block.map_err(|e| CertificateError::BadEncoding(format!("PEM: {e}")))?;
        if pem.label == label {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err(CertificateError::BadEncoding(format!(
            "no PEM block labelled {label}"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_certificate_block_and_passes_der_through() {
        let pem = b"junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN X509 CRL-----\nBAU=\n-----END X509 CRL-----\n";
        assert_eq!(der_blocks(pem, "CERTIFICATE").unwrap(), vec![vec![1, 2, 3]]);
        assert_eq!(der_blocks(pem, "X509 CRL").unwrap(), vec![vec![4, 5]]);
        assert!(der_blocks(pem, "PRIVATE KEY").is_err());
        assert_eq!(
            der_blocks(&[0x30, 0], "CERTIFICATE").unwrap(),
            vec![vec![0x30, 0]]
        );
    }
}
