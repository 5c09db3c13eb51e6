//! Wire enums. Each is a newtype over its integer so unknown values
//! round-trip unchanged; known values print by name, unknown ones in hex.

use crate::codec::{Codec, LenPrefix, LenWidth, Reader, TlsListElement};
use crate::error::InvalidMessage;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($int:ty) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $int);

        #[allow(non_upper_case_globals)]
        impl $name {
            $( $(#[$vmeta])* pub const $variant: $name = $name($value); )*

            /// Every value this crate names, in declaration order.
            pub const KNOWN: &'static [$name] = &[ $( $name($value), )* ];

            /// The RFC name of a known value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some(stringify!($variant)), )*
                    _ => None,
                }
            }

            pub fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(
                        f,
                        concat!(stringify!($name), "(0x{:0width$x})"),
                        self.0,
                        width = 2 * std::mem::size_of::<$int>()
                    ),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self, f)
            }
        }

        impl From<$int> for $name {
            fn from(v: $int) -> Self {
                $name(v)
            }
        }

        impl From<$name> for $int {
            fn from(v: $name) -> $int {
                v.0
            }
        }

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                self.0.encode(out)
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
                <$int>::read(r).map($name)
            }
        }
    };
}

wire_enum! {
    /// RFC 5246 §6.2.1 `ContentType`.
    pub struct ContentType(u8) {
        ChangeCipherSpec = 0x14,
        Alert = 0x15,
        Handshake = 0x16,
        ApplicationData = 0x17,
        Heartbeat = 0x18,
    }
}

wire_enum! {
    /// `ProtocolVersion` as a 16-bit value (major << 8 | minor).
    pub struct ProtocolVersion(u16) {
        SSLv2 = 0x0002,
        SSLv3 = 0x0300,
        TLSv1_0 = 0x0301,
        TLSv1_1 = 0x0302,
        TLSv1_2 = 0x0303,
        TLSv1_3 = 0x0304,
    }
}

wire_enum! {
    /// RFC 5246 §7.4 `HandshakeType`.
    pub struct HandshakeType(u8) {
        HelloRequest = 0,
        ClientHello = 1,
        ServerHello = 2,
        NewSessionTicket = 4,
        Certificate = 11,
        ServerKeyExchange = 12,
        CertificateRequest = 13,
        ServerHelloDone = 14,
        CertificateVerify = 15,
        ClientKeyExchange = 16,
        Finished = 20,
        CertificateStatus = 22,
    }
}

wire_enum! {
    /// RFC 5246 §7.2 `AlertLevel`.
    pub struct AlertLevel(u8) {
        Warning = 1,
        Fatal = 2,
    }
}

wire_enum! {
    /// RFC 5246 §7.2 `AlertDescription`, plus later registrations.
    pub struct AlertDescription(u8) {
        CloseNotify = 0,
        UnexpectedMessage = 10,
        BadRecordMac = 20,
        DecryptionFailed = 21,
        RecordOverflow = 22,
        DecompressionFailure = 30,
        HandshakeFailure = 40,
        NoCertificate = 41,
        BadCertificate = 42,
        UnsupportedCertificate = 43,
        CertificateRevoked = 44,
        CertificateExpired = 45,
        CertificateUnknown = 46,
        IllegalParameter = 47,
        UnknownCa = 48,
        AccessDenied = 49,
        DecodeError = 50,
        DecryptError = 51,
        ExportRestriction = 60,
        ProtocolVersion = 70,
        InsufficientSecurity = 71,
        InternalError = 80,
        InappropriateFallback = 86,
        UserCanceled = 90,
        NoRenegotiation = 100,
        UnsupportedExtension = 110,
        UnrecognizedName = 112,
        /// RFC 6066 §8: a stapled OCSP response that is not satisfactory.
        BadCertificateStatusResponse = 113,
    }
}

wire_enum! {
    /// Cipher suites (IANA registry). Only the two RSA AES-GCM suites are
    /// negotiable; the SCSVs are signals; the others are named for reports.
    pub struct CipherSuite(u16) {
        TLS_NULL_WITH_NULL_NULL = 0x0000,
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f,
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035,
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c,
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d,
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
        TLS_FALLBACK_SCSV = 0x5600,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
        TLS_AES_128_GCM_SHA256 = 0x1301,
    }
}

impl TlsListElement for CipherSuite {
    // RFC 5246 §7.4.1.2: CipherSuite cipher_suites<2..2^16-2>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 2, 0xfffe, "cipher_suites");
}

wire_enum! {
    /// RFC 5246 §7.4.1.2 `CompressionMethod`.
    pub struct Compression(u8) {
        Null = 0,
        Deflate = 1,
    }
}

impl TlsListElement for Compression {
    // RFC 5246 §7.4.1.2: CompressionMethod compression_methods<1..2^8-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U8, 1, 0xff, "compression_methods");
}

wire_enum! {
    /// IANA `ExtensionType`.
    pub struct ExtensionType(u16) {
        ServerName = 0,
        MaxFragmentLength = 1,
        StatusRequest = 5,
        SupportedGroups = 10,
        EcPointFormats = 11,
        SignatureAlgorithms = 13,
        Heartbeat = 15,
        Alpn = 16,
        SignedCertificateTimestamp = 18,
        EncryptThenMac = 22,
        ExtendedMasterSecret = 23,
        SessionTicket = 35,
        SupportedVersions = 43,
        RenegotiationInfo = 0xff01,
    }
}

wire_enum! {
    /// RFC 5246 §7.4.1.4.1 `HashAlgorithm`.
    pub struct HashAlgorithm(u8) {
        None = 0,
        Md5 = 1,
        Sha1 = 2,
        Sha224 = 3,
        Sha256 = 4,
        Sha384 = 5,
        Sha512 = 6,
        Intrinsic = 8,
    }
}

wire_enum! {
    /// RFC 5246 §7.4.1.4.1 `SignatureAlgorithm`.
    pub struct SignatureAlgorithm(u8) {
        Anonymous = 0,
        Rsa = 1,
        Dsa = 2,
        Ecdsa = 3,
        /// RFC 8446 §4.2.3 code points, which TLS 1.2 reads as
        /// `{hash: intrinsic(8), signature: 4..6}` (RFC 8447 §5).
        RsaPssRsaeSha256 = 4,
        RsaPssRsaeSha384 = 5,
        RsaPssRsaeSha512 = 6,
        Ed25519 = 7,
    }
}

wire_enum! {
    /// RFC 5246 §7.4.4 `ClientCertificateType`, with the ECC values of
    /// RFC 8422 §5.5 (what OpenSSL and others send).
    pub struct ClientCertificateType(u8) {
        RsaSign = 1,
        DssSign = 2,
        RsaFixedDh = 3,
        DssFixedDh = 4,
        EcdsaSign = 64,
        RsaFixedEcdh = 65,
        EcdsaFixedEcdh = 66,
    }
}

impl TlsListElement for ClientCertificateType {
    // RFC 5246 §7.4.4: ClientCertificateType certificate_types<1..2^8-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U8, 1, 0xff, "certificate_types");
}

wire_enum! {
    /// RFC 6066 §3 `NameType`.
    pub struct ServerNameType(u8) {
        HostName = 0,
    }
}

wire_enum! {
    /// RFC 8422 §5.1.1 `NamedCurve` (RFC 7919's supported_groups).
    pub struct NamedGroup(u16) {
        secp256r1 = 23,
        secp384r1 = 24,
        secp521r1 = 25,
        x25519 = 29,
        x448 = 30,
        ffdhe2048 = 256,
    }
}

impl TlsListElement for NamedGroup {
    // RFC 8422 §5.1.1: NamedCurve named_curve_list<2..2^16-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U16, 2, 0xffff, "named_curve_list");
}

wire_enum! {
    /// RFC 8422 §5.1.2 `ECPointFormat`.
    pub struct EcPointFormat(u8) {
        Uncompressed = 0,
        AnsiX962CompressedPrime = 1,
        AnsiX962CompressedChar2 = 2,
    }
}

impl TlsListElement for EcPointFormat {
    // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>;
    const PREFIX: LenPrefix = LenPrefix::new(LenWidth::U8, 1, 0xff, "ec_point_format_list");
}

wire_enum! {
    /// RFC 8422 §5.4 `ECCurveType`: only named_curve remains in use.
    pub struct EcCurveType(u8) {
        ExplicitPrime = 1,
        ExplicitChar2 = 2,
        NamedCurve = 3,
    }
}

wire_enum! {
    /// RFC 5246 §7.1: the single byte of a ChangeCipherSpec message.
    pub struct ChangeCipherSpecType(u8) {
        ChangeCipherSpec = 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_round_trip_and_print_in_hex() {
        let ct = ContentType::read_bytes(&[0x42]);
        assert_eq!(ct, Ok(ContentType(0x42)));
        assert_eq!(format!("{:?}", ContentType(0x42)), "ContentType(0x42)");
        assert_eq!(format!("{:?}", CipherSuite(0x1234)), "CipherSuite(0x1234)");
        assert_eq!(
            format!("{:?}", CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256),
            "TLS_RSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(ExtensionType(0xfafa).get_encoding(), [0xfa, 0xfa]);
    }
}
