//! Name constraints (RFC 5280 §4.2.1.10; applied as §6.1.3 (b)-(c) and
//! §6.1.4 (g) say): dNSName, iPAddress, rfc822Name and directoryName are
//! processed; a constraint on any other form fails closed with
//! `UnsupportedNameConstraint` as soon as a name of that form appears below
//! it (the RFC's "process the constraint or reject the certificate"), whether
//! the extension is critical or not.

use super::cert::bad_encoding;
use super::der;
use super::name::SanEntry;
use crate::error::CertificateError;
use x509_parser::extensions::{GeneralName, GeneralSubtree};

/// One GeneralSubtree's base, in the form we compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subtree {
    /// Lowercase, as written: `example.test`, `.example.test`, or empty.
    Dns(String),
    /// Address and mask, both 4 or both 16 octets.
    Ip { addr: Vec<u8>, mask: Vec<u8> },
    /// A mailbox (`a@example.test`), a host (`example.test`) or a domain
    /// (`.example.test`).
    Email(String),
    /// Raw DER of the Name.
    Dir(Vec<u8>),
    /// A form we do not process, by its RFC 5280 §4.2.1.6 name.
    Other(&'static str),
}

/// A certificate's nameConstraints. `permitted` empty means "no permitted
/// subtrees" (everything not excluded is allowed), as when the field is absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    pub permitted: Vec<Subtree>,
    pub excluded: Vec<Subtree>,
}

/// The RFC 5280 §4.2.1.6 name of a GeneralName form.
fn form_of_general(name: &GeneralName<'_>) -> &'static str {
    match name {
        GeneralName::OtherName(..) => "otherName",
        GeneralName::RFC822Name(_) => "rfc822Name",
        GeneralName::DNSName(_) => "dNSName",
        GeneralName::X400Address(_) => "x400Address",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EDIPartyName(_) => "ediPartyName",
        GeneralName::URI(_) => "uniformResourceIdentifier",
        GeneralName::IPAddress(_) => "iPAddress",
        GeneralName::RegisteredID(_) => "registeredID",
        GeneralName::Invalid(..) => "invalid",
    }
}

fn form_of_subtree(s: &Subtree) -> &'static str {
    match s {
        Subtree::Dns(_) => "dNSName",
        Subtree::Ip { .. } => "iPAddress",
        Subtree::Email(_) => "rfc822Name",
        Subtree::Dir(_) => "directoryName",
        Subtree::Other(f) => f,
    }
}

fn form_of_name(n: &SanEntry) -> &'static str {
    match n {
        SanEntry::Dns(_) => "dNSName",
        SanEntry::Ip(_) => "iPAddress",
        SanEntry::Email(_) => "rfc822Name",
        SanEntry::Dir(_) => "directoryName",
        SanEntry::Other(f) => f,
    }
}

/// A SAN entry from a GeneralName (also used for the subjectAltName itself).
pub(crate) fn san_entry(name: &GeneralName<'_>) -> Result<SanEntry, CertificateError> {
    Ok(match name {
        GeneralName::DNSName(d) => SanEntry::Dns((*d).to_string()),
        GeneralName::IPAddress(ip) => {
            // RFC 5280 §4.2.1.6: four octets (IPv4) or sixteen (IPv6).
            if ip.len() != 4 && ip.len() != 16 {
                return Err(bad_encoding("subjectAltName iPAddress length"));
            }
            SanEntry::Ip(ip.to_vec())
        }
        GeneralName::RFC822Name(e) => SanEntry::Email((*e).to_string()),
        GeneralName::DirectoryName(n) => SanEntry::Dir(n.as_raw().to_vec()),
        GeneralName::Invalid(..) => return Err(bad_encoding("malformed GeneralName")),
        other => SanEntry::Other(form_of_general(other)),
    })
}

fn subtree(s: &GeneralSubtree<'_>) -> Result<Subtree, CertificateError> {
    Ok(match &s.base {
        GeneralName::DNSName(d) => Subtree::Dns(d.to_ascii_lowercase()),
        GeneralName::IPAddress(b) => match b.len() {
            8 | 32 => {
                let (addr, mask) = b.split_at(b.len() / 2);
                Subtree::Ip {
                    addr: addr.to_vec(),
                    mask: mask.to_vec(),
                }
            }
            _ => return Err(bad_encoding("name constraint iPAddress length")),
        },
        GeneralName::RFC822Name(e) => Subtree::Email((*e).to_string()),
        GeneralName::DirectoryName(n) => {
            if rdns(n.as_raw()).is_none() {
                return Err(bad_encoding("name constraint directoryName"));
            }
            Subtree::Dir(n.as_raw().to_vec())
        }
        GeneralName::Invalid(..) => return Err(bad_encoding("malformed name constraint")),
        other => Subtree::Other(form_of_general(other)),
    })
}

impl NameConstraints {
    pub(crate) fn parse(
        nc: &x509_parser::extensions::NameConstraints<'_>,
    ) -> Result<NameConstraints, CertificateError> {
        let conv = |t: &Option<Vec<GeneralSubtree<'_>>>| -> Result<Vec<Subtree>, CertificateError> {
            t.iter().flatten().map(subtree).collect()
        };
        let out = NameConstraints {
            permitted: conv(&nc.permitted_subtrees)?,
            excluded: conv(&nc.excluded_subtrees)?,
        };
        // RFC 5280 §4.2.1.10: "Conforming CAs MUST NOT issue certificates
        // where name constraints is an empty sequence."
        if out.permitted.is_empty() && out.excluded.is_empty() {
            return Err(bad_encoding("empty nameConstraints"));
        }
        Ok(out)
    }

    /// RFC 5280 §6.1.4 (g) / §6.1.3 (b)-(c): every name must lie outside all
    /// excluded subtrees of its form and, when permitted subtrees of its form
    /// exist, inside one of them.
    pub(crate) fn check(&self, names: &[SanEntry]) -> Result<(), CertificateError> {
        for name in names {
            let form = form_of_name(name);
            let same = |s: &&Subtree| form_of_subtree(s) == form;
            for sub in self.excluded.iter().filter(same) {
                if within(name, sub, true)? {
                    return Err(violation(name));
                }
            }
            let mut permitted = self.permitted.iter().filter(same).peekable();
            if permitted.peek().is_some() {
                let mut inside = false;
                for sub in permitted {
                    if within(name, sub, false)? {
                        inside = true;
                        break;
                    }
                }
                if !inside {
                    return Err(violation(name));
                }
            }
        }
        Ok(())
    }
}

fn violation(name: &SanEntry) -> CertificateError {
    let shown = match name {
        SanEntry::Dns(d) => format!("dNSName {d}"),
        SanEntry::Ip(ip) => format!("iPAddress {ip:02x?}"),
        SanEntry::Email(e) => format!("rfc822Name {e}"),
        SanEntry::Dir(_) => "directoryName".to_string(),
        SanEntry::Other(f) => (*f).to_string(),
    };
    CertificateError::NameConstraintViolation(shown)
}

/// Is `name` inside `sub` (same form)? For an excluded subtree a wildcard
/// name counts as inside when any name it covers is (fail closed).
fn within(name: &SanEntry, sub: &Subtree, excluded: bool) -> Result<bool, CertificateError> {
    Ok(match (name, sub) {
        (SanEntry::Dns(n), Subtree::Dns(c)) => {
            let n = n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase();
            dns_within(&n, c) || (excluded && wildcard_covers(&n, c))
        }
        (SanEntry::Ip(n), Subtree::Ip { addr, mask }) => {
            n.len() == addr.len()
                && n.iter()
                    .zip(addr)
                    .zip(mask)
                    .all(|((n, a), m)| n & m == a & m)
        }
        (SanEntry::Email(n), Subtree::Email(c)) => match n.rsplit_once('@') {
            Some((_, host)) if !host.is_empty() => email_within(n, host, c),
            // A mailbox without a host cannot be placed: fail closed.
            _ => return Err(violation(name)),
        },
        (SanEntry::Dir(n), Subtree::Dir(c)) => match (rdns(n), rdns(c)) {
            (Some(n), Some(c)) => n.len() >= c.len() && n.iter().zip(&c).all(|(a, b)| a == b),
            _ => return Err(violation(name)),
        },
        (SanEntry::Other(_), Subtree::Other(form)) => {
            return Err(CertificateError::UnsupportedNameConstraint(
                (*form).to_string(),
            ))
        }
        _ => false,
    })
}

/// RFC 5280 §4.2.1.10: "any DNS name that can be constructed by simply
/// adding zero or more labels to the left-hand side" of the constraint; a
/// leading `.` (common practice, OpenSSL's reading) means subdomains only; an
/// empty constraint covers every name.
fn dns_within(name: &str, constraint: &str) -> bool {
    let c = constraint.strip_suffix('.').unwrap_or(constraint);
    if c.is_empty() {
        return true;
    }
    if c.starts_with('.') {
        return name.ends_with(c);
    }
    name == c
        || name
            .strip_suffix(c)
            .is_some_and(|head| head.ends_with('.') && head.len() > 1)
}

/// Does the wildcard `*.base` cover some name in the subtree `constraint`?
/// It covers exactly the names one label above `base`, so that happens when
/// the constraint is itself one label above `base` (`bad.base`). (A
/// constraint that contains `base` is caught by `dns_within`.)
fn wildcard_covers(name: &str, constraint: &str) -> bool {
    let Some(base) = name.strip_prefix("*.") else {
        return false;
    };
    let c = constraint.strip_suffix('.').unwrap_or(constraint);
    match c.split_once('.') {
        Some((label, parent)) => !label.is_empty() && !label.contains('*') && parent == base,
        None => false,
    }
}

/// RFC 5280 §4.2.1.10 for rfc822Name: a mailbox matches exactly, a host
/// matches the mailboxes on that host, `.domain` the hosts below it. Hosts
/// compare without regard to case.
fn email_within(name: &str, host: &str, c: &str) -> bool {
    if let Some((c_local, c_host)) = c.rsplit_once('@') {
        name.rsplit_once('@')
            .is_some_and(|(local, _)| local == c_local && host.eq_ignore_ascii_case(c_host))
    } else if c.starts_with('.') {
        host.len() > c.len()
            && host
                .get(host.len() - c.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(c))
    } else {
        host.eq_ignore_ascii_case(c)
    }
}

/// The RelativeDistinguishedNames of a DER Name, raw; `None` if malformed.
fn rdns(name: &[u8]) -> Option<Vec<&[u8]>> {
    let (seq, rest) = der::read_tlv(name)?;
    if seq.tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut input = seq.content;
    while !input.is_empty() {
        let (rdn, rest) = der::read_tlv(input)?;
        if rdn.tag != 0x31 {
            return None;
        }
        out.push(rdn.raw);
        input = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5280 §4.2.1.10: labels added on the left only, on a label boundary.
    #[test]
    fn dns_constraint_covers_the_name_and_its_subdomains() {
        assert!(dns_within("example.test", "example.test"));
        assert!(dns_within("a.b.example.test", "example.test"));
        assert!(!dns_within("badexample.test", "example.test"));
        assert!(!dns_within("example.test", ".example.test"));
        assert!(dns_within("a.example.test", ".example.test"));
        assert!(dns_within("anything", ""));
        assert!(!dns_within("test", "example.test"));
    }

    // A wildcard is inside a permitted subtree only when all it covers is.
    #[test]
    fn wildcard_meets_an_excluded_subtree_one_label_above_its_base() {
        assert!(wildcard_covers("*.example.test", "bad.example.test"));
        assert!(!wildcard_covers("*.example.test", "a.bad.example.test"));
        assert!(!wildcard_covers("*.example.test", ".bad.example.test"));
        assert!(!wildcard_covers("a.example.test", "bad.example.test"));
        assert!(dns_within("*.example.test", "example.test"));
        assert!(!dns_within("*.example.test", "a.example.test"));
    }

    #[test]
    fn email_constraints_match_mailbox_host_or_domain() {
        let m = |n: &str, c: &str| email_within(n, n.rsplit_once('@').unwrap_or(("", "")).1, c);
        assert!(m("x@example.test", "example.test"));
        assert!(m("x@EXAMPLE.test", "example.test"));
        assert!(!m("x@a.example.test", "example.test"));
        assert!(m("x@a.example.test", ".example.test"));
        assert!(!m("x@example.test", ".example.test"));
        assert!(m("x@example.test", "x@example.test"));
        assert!(!m("y@example.test", "x@example.test"));
    }

    #[test]
    fn ip_constraint_compares_under_the_mask_and_within_one_family() {
        let sub = Subtree::Ip {
            addr: vec![127, 0, 0, 0],
            mask: vec![255, 0, 0, 0],
        };
        let ip = |b: &[u8]| SanEntry::Ip(b.to_vec());
        assert_eq!(within(&ip(&[127, 9, 9, 9]), &sub, false), Ok(true));
        assert_eq!(within(&ip(&[10, 0, 0, 1]), &sub, false), Ok(false));
        assert_eq!(within(&ip(&[127; 16]), &sub, false), Ok(false));
    }
}
