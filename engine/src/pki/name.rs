//! Reference names (what the client asked for) and their match against a
//! certificate's subjectAltName (RFC 6125 §6.4, RFC 5280 §4.2.1.6).

use std::fmt;
use std::net::IpAddr;

/// The name a certificate must be valid for: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerName {
    Dns(DnsName),
    Ip(IpAddr),
}

impl ServerName {
    /// Parses an IP address literal (v4 or v6) or else a DNS name.
    pub fn parse(s: &str) -> Result<ServerName, InvalidServerName> {
        match s.parse::<IpAddr>() {
            Ok(ip) => Ok(ServerName::Ip(ip)),
            Err(_) => DnsName::parse(s).map(ServerName::Dns),
        }
    }
}

impl TryFrom<&str> for ServerName {
    type Error = InvalidServerName;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        ServerName::parse(s)
    }
}

impl From<IpAddr> for ServerName {
    fn from(ip: IpAddr) -> Self {
        ServerName::Ip(ip)
    }
}

/// A syntactically valid DNS name, stored lowercase without a trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnsName(String);

impl DnsName {
    /// Letters, digits, `-` and `_` in labels of 1..=63 bytes, no label
    /// starting or ending with `-`, at most 253 bytes; one trailing dot allowed.
    pub fn parse(s: &str) -> Result<DnsName, InvalidServerName> {
        let s = s.strip_suffix('.').unwrap_or(s);
        if s.is_empty() || s.len() > 253 {
            return Err(InvalidServerName);
        }
        for label in s.split('.') {
            let ok_chars = label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if label.is_empty()
                || label.len() > 63
                || !ok_chars
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(InvalidServerName);
            }
        }
        Ok(DnsName(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A string that is neither an IP address nor a valid DNS name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidServerName;

impl fmt::Display for InvalidServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid DNS name or IP address")
    }
}

impl std::error::Error for InvalidServerName {}

/// A subjectAltName entry. Only `Dns` and `Ip` match a reference name; the
/// others matter for name constraints (RFC 5280 §4.2.1.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SanEntry {
    Dns(String),
    /// 4 or 16 octets (checked at parse).
    Ip(Vec<u8>),
    /// rfc822Name.
    Email(String),
    /// directoryName: the raw DER of the Name.
    Dir(Vec<u8>),
    /// Any other form, by its RFC 5280 §4.2.1.6 name.
    Other(&'static str),
}

/// CA/B Forum BR §7.1.4.2.1 / RFC 5280 §4.2.1.6 (preferred name syntax,
/// RFC 1034 §3.5): a SAN dNSName is letters, digits, hyphens and dots, plus
/// `*` (whose placement the matcher judges). An underscore, a space or any
/// other byte makes the certificate malformed.
pub(crate) fn is_valid_san_dns(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'*')
}

/// True when some SAN entry matches `name`.
pub(crate) fn matches_any(san: &[SanEntry], name: &ServerName) -> bool {
    san.iter().any(|entry| match (entry, name) {
        (SanEntry::Dns(pattern), ServerName::Dns(dns)) => dns_matches(pattern, dns),
        (SanEntry::Ip(bytes), ServerName::Ip(IpAddr::V4(ip))) => bytes[..] == ip.octets(),
        (SanEntry::Ip(bytes), ServerName::Ip(IpAddr::V6(ip))) => bytes[..] == ip.octets(),
        (SanEntry::Dns(_) | SanEntry::Ip(_), _)
        | (SanEntry::Email(_) | SanEntry::Dir(_) | SanEntry::Other(_), _) => false,
    })
}

/// RFC 6125 §6.4.1 (case-insensitive) and §6.4.3, restricted as browsers do:
/// a wildcard is only a whole leftmost label `*`, stands for exactly one
/// non-empty label, and needs at least two labels after it (`*.test` is refused).
fn dns_matches(pattern: &str, name: &DnsName) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    if !pattern.is_ascii() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(base) => {
            if base.contains('*') || !base.contains('.') || base.split('.').any(str::is_empty) {
                return false;
            }
            match name.as_str().split_once('.') {
                Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(base),
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(name.as_str()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // unwrap is fine in tests
mod tests {
    use super::*;

    fn dns(s: &str) -> DnsName {
        DnsName::parse(s).unwrap()
    }

    // RFC 6125 §6.4.3: the wildcard covers exactly one leftmost label.
    #[test]
    fn wildcard_matches_exactly_one_label() {
        assert!(dns_matches("*.example.test", &dns("a.example.test")));
        assert!(dns_matches("*.EXAMPLE.test", &dns("A.example.TEST")));
        assert!(!dns_matches("*.example.test", &dns("a.b.example.test")));
        assert!(!dns_matches("*.example.test", &dns("example.test")));
    }

    // Partial-label wildcards and wildcards over a single label are refused.
    #[test]
    fn rejects_partial_and_top_level_wildcards() {
        assert!(!dns_matches("f*.example.test", &dns("foo.example.test")));
        assert!(!dns_matches("*.test", &dns("example.test")));
        assert!(!dns_matches("*.*.example.test", &dns("a.b.example.test")));
        assert!(!dns_matches("a.*.example.test", &dns("a.b.example.test")));
    }

    // A trailing dot is the same name (RFC 1034 §3.1).
    #[test]
    fn ignores_one_trailing_dot() {
        assert!(dns_matches("localhost.", &dns("localhost")));
        assert_eq!(dns("LocalHost."), dns("localhost"));
    }

    #[test]
    fn parses_ip_literals_before_dns_names() {
        assert_eq!(
            ServerName::parse("127.0.0.1"),
            Ok(ServerName::Ip("127.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            ServerName::parse("::1"),
            Ok(ServerName::Ip("::1".parse().unwrap()))
        );
        assert!(matches!(ServerName::parse("a.b"), Ok(ServerName::Dns(_))));
    }

    #[test]
    fn rejects_malformed_dns_names() {
        for bad in ["", ".", "a..b", "-a.b", "a-.b", "a b", "ä.test", "*.test"] {
            assert_eq!(ServerName::parse(bad), Err(InvalidServerName), "{bad:?}");
        }
        assert!(DnsName::parse(&"a".repeat(64)).is_err());
        assert!(DnsName::parse(&["a"; 128].join(".")).is_err());
    }

    // An IPv4 reference never matches a 16-byte SAN, nor a DNS SAN spelling it.
    #[test]
    fn ip_matches_only_ip_entries_of_the_same_family() {
        let v4 = ServerName::parse("127.0.0.1").unwrap();
        assert!(matches_any(&[SanEntry::Ip(vec![127, 0, 0, 1])], &v4));
        assert!(!matches_any(&[SanEntry::Dns("127.0.0.1".into())], &v4));
        let mapped = "::ffff:127.0.0.1".parse::<std::net::Ipv6Addr>().unwrap();
        assert!(!matches_any(&[SanEntry::Ip(mapped.octets().to_vec())], &v4));
    }
}
