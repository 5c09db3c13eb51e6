//! A strict reader for the unsigned outer layer of a signed X.509 object
//! (Certificate, CertificateList: SEQUENCE { tbs, AlgorithmIdentifier,
//! BIT STRING }). x509-parser is lenient about tags there, and those bytes are
//! not covered by the signature, so we check them ourselves.

use crate::error::CertificateError;

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;

/// One DER element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// The whole encoding: tag, length and content.
    pub raw: &'a [u8],
}

/// Reads one element with a single-byte tag and a minimally encoded definite
/// length (X.690 §10.1), returning it and what follows.
pub(crate) fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur where we look
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None; // indefinite length, or longer than any input we take
        }
        let bytes = rest.get(..n)?;
        rest = rest.get(n..)?;
        if bytes.first() == Some(&0) {
            return None; // not minimal
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None; // should have used the short form
        }
        len
    };
    let content = rest.get(..len)?;
    let after = rest.get(len..)?;
    let header_len = input.len() - rest.len();
    let raw = input.get(..header_len + len)?;
    Some((Tlv { tag, content, raw }, after))
}

/// The three parts of a signed object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    pub tbs: Tlv<'a>,
    /// Raw DER of the outer signatureAlgorithm.
    pub alg: &'a [u8],
    /// The signature octets (the BIT STRING must have no unused bits).
    pub signature: &'a [u8],
}

pub(crate) fn split_signed<'a>(der: &'a [u8], what: &str) -> Result<Signed<'a>, CertificateError> {
    let bad = || CertificateError::BadEncoding(format!("{what}: malformed outer structure"));
    let (outer, trailing) = read_tlv(der).ok_or_else(bad)?;
    if outer.tag != SEQUENCE || !trailing.is_empty() {
        return Err(bad());
    }
    let (tbs, rest) = read_tlv(outer.content).ok_or_else(bad)?;
    let (alg, rest) = read_tlv(rest).ok_or_else(bad)?;
    let (sig, rest) = read_tlv(rest).ok_or_else(bad)?;
    if tbs.tag != SEQUENCE || alg.tag != SEQUENCE || sig.tag != BIT_STRING || !rest.is_empty() {
        return Err(bad());
    }
    match sig.content.split_first() {
        Some((0, signature)) => Ok(Signed {
            tbs,
            alg: alg.raw,
            signature,
        }),
        _ => Err(bad()),
    }
}

/// The raw signature AlgorithmIdentifier inside a TBS structure, after the
/// optional element tagged `optional_tag` and `skip` further elements.
pub(crate) fn inner_alg<'a>(tbs: &Tlv<'a>, optional_tag: u8, skip: usize) -> Option<&'a [u8]> {
    let (mut tlv, mut rest) = read_tlv(tbs.content)?;
    if tlv.tag == optional_tag {
        (tlv, rest) = read_tlv(rest)?;
    }
    for _ in 0..skip {
        (tlv, rest) = read_tlv(rest)?;
    }
    (tlv.tag == SEQUENCE).then_some(tlv.raw)
}

/// Reads the elements of a constructed value one by one, strictly: every
/// element must be well formed and `finish` insists nothing is left.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(content: &'a [u8]) -> Self {
        Cursor { rest: content }
    }

    /// The next element, which must carry `tag`.
    pub fn tagged(&mut self, tag: u8) -> Option<Tlv<'a>> {
        let (tlv, rest) = read_tlv(self.rest)?;
        if tlv.tag != tag {
            return None;
        }
        self.rest = rest;
        Some(tlv)
    }

    /// The next element if it carries `tag` (an OPTIONAL or DEFAULT field);
    /// `Err` only if what is there is malformed.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, ()> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (tlv, rest) = read_tlv(self.rest).ok_or(())?;
        if tlv.tag != tag {
            return Ok(None);
        }
        self.rest = rest;
        Ok(Some(tlv))
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self) -> Option<Tlv<'a>> {
        let (tlv, rest) = read_tlv(self.rest)?;
        self.rest = rest;
        Some(tlv)
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// `Some(())` if every byte was read.
    pub fn finish(self) -> Option<()> {
        self.rest.is_empty().then_some(())
    }
}

/// Encodes one element with a single-byte tag and a minimal length.
pub(crate) fn write_tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// `write_tlv` into a fresh vector.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    write_tlv(tag, content, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // unwrap is fine in tests
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let (t, rest) = read_tlv(&[0x04, 0x01, 0xaa, 0xbb]).unwrap();
        assert_eq!(
            (t.tag, t.content, t.raw, rest),
            (4, &[0xaa][..], &[4, 1, 0xaa][..], &[0xbb][..])
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7; 0x80]);
        let (t, rest) = read_tlv(&long).unwrap();
        assert_eq!((t.content.len(), rest.len()), (0x80, 0));
    }

    // X.690 §10.1: DER lengths are definite and minimal.
    #[test]
    fn rejects_non_minimal_indefinite_and_short_lengths() {
        assert!(read_tlv(&[0x04, 0x81, 0x01, 0x00]).is_none()); // long form for 1
        assert!(read_tlv(&[0x04, 0x82, 0x00, 0x80]).is_none()); // leading zero
        assert!(read_tlv(&[0x30, 0x80, 0x00, 0x00]).is_none()); // indefinite
        assert!(read_tlv(&[0x04, 0x02, 0x00]).is_none()); // truncated content
        assert!(read_tlv(&[0x1f, 0x01, 0x00]).is_none()); // high tag number
        assert!(read_tlv(&[0x04, 0x85, 1, 0, 0, 0, 0]).is_none());
        assert!(read_tlv(&[]).is_none());
    }

    #[test]
    fn written_lengths_read_back() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0x1_0000] {
            let content = vec![0x5a; len];
            let der = tlv(0x04, &content);
            let (t, rest) = read_tlv(&der).unwrap();
            assert_eq!((t.tag, t.content.len(), rest.len()), (0x04, len, 0));
        }
    }
}
