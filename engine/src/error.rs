//! Errors, and the one place where an error chooses its alert.

use crate::enums::{AlertDescription, ContentType, HandshakeType, NamedGroup, ProtocolVersion};
use crate::msgs::SignatureAndHashAlgorithm;
use std::fmt;

/// Bytes that do not decode as the structure they claim to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidMessage {
    /// The input ended while reading the named field.
    MissingData(&'static str),
    /// Bytes followed a complete structure.
    TrailingData(&'static str),
    /// A vector the RFC says must be non-empty was empty.
    EmptyVector(&'static str),
    /// A vector was shorter than the RFC's floor (but not empty).
    VectorTooShort(&'static str),
    /// A vector's length exceeded the RFC's ceiling.
    VectorTooLong(&'static str),
    /// A vector's length is not a multiple of its element size, or an element
    /// does not fit in what remains of the vector.
    BadVectorLength(&'static str),
    /// A field held a value the RFC forbids.
    IllegalValue(&'static str),
    /// The same extension appeared twice in one message (RFC 5246 §7.4.1.4).
    DuplicateExtension(u16),
    /// A record header with a content type outside the RFC's set.
    UnknownContentType(ContentType),
    /// A record header whose version major byte is not 3.
    BadRecordVersion(ProtocolVersion),
    /// A plaintext record (or a decrypted one) longer than 2^14.
    PlaintextRecordTooLarge(usize),
    /// A ciphertext record longer than 2^14 + 2048.
    CiphertextRecordTooLarge(usize),
    /// A zero-length record of a type that must carry data.
    EmptyRecord(ContentType),
    /// A handshake message declaring a body longer than any well-formed
    /// message of its type can be (`record::MessageLimits`), judged from
    /// its header.
    HandshakeMessageTooLarge {
        typ: HandshakeType,
        len: usize,
        max: usize,
    },
    /// A legal handshake message longer than our configured cap (a
    /// Certificate over `ClientConfig::max_certificate_message`).
    HandshakeMessageOverLimit {
        typ: HandshakeType,
        len: usize,
        max: usize,
    },
    /// The joiner was pushed more than one capped message and one record
    /// without being drained (a caller that does not `pop` between pushes).
    HandshakeBufferFull(usize),
    /// A ChangeCipherSpec whose payload is not exactly the byte 0x01.
    InvalidChangeCipherSpec,
    /// An alert record that is not exactly two bytes.
    InvalidAlert,
    /// A handshake message was cut by a record of another content type.
    InterleavedHandshake(ContentType),
}

impl fmt::Display for InvalidMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for InvalidMessage {}

/// The peer sent something well-formed that the protocol forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerMisbehaved {
    UnexpectedMessage {
        expected: &'static str,
        got: ContentType,
        handshake: Option<HandshakeType>,
    },
    EarlyChangeCipherSpec,
    ApplicationDataBeforeFinished,
    SelectedUnofferedCipherSuite,
    SelectedUnofferedCompression,
    /// A resumed session came back with a different suite (RFC 5246 §7.4.1.3).
    ResumedWithDifferentSuite,
    UnsolicitedExtension(u16),
    NoCommonCipherSuite,
    NullCompressionNotOffered,
    UnsupportedVersion(ProtocolVersion),
    InappropriateFallback,
    BadFinished,
    BadRecordMac,
    RenegotiationInfoMismatch,
    ExtendedMasterSecretMismatch,
    EmptyCertificateChain,
    /// CVE-2016-8610: more consecutive warning alerts than
    /// `record::MAX_CONSECUTIVE_WARNING_ALERTS`, with no progress between.
    TooManyWarningAlerts,
    /// More consecutive empty application-data records than
    /// `record::MAX_CONSECUTIVE_EMPTY_RECORDS`.
    TooManyEmptyRecords,
    /// More consecutive HelloRequests ignored while negotiating than
    /// `record::MAX_CONSECUTIVE_IGNORED_HELLO_REQUESTS`.
    TooManyIgnoredHelloRequests,
    /// More consecutive refused renegotiation requests than
    /// `record::MAX_CONSECUTIVE_RENEGOTIATION_REQUESTS`.
    TooManyRenegotiationRequests,
    /// RFC 8422 §5.1.2: an ec_point_formats list without `uncompressed`
    /// ("it MUST include uncompressed"). Alert: illegal_parameter.
    UncompressedPointFormatMissing,
    /// RFC 8422 §5.4 / §5.7: an ECPoint whose length is not its group's
    /// (32 for x25519, 65 for P-256, 97 for P-384 uncompressed).
    EcPointBadLength {
        group: NamedGroup,
        len: usize,
    },
    /// RFC 8422 §5.1.2: a NIST-curve point not in uncompressed form
    /// (compressed, hybrid, or the encoded point at infinity).
    EcPointNotUncompressed,
    /// RFC 8422 §5.11: not a point on the curve (the coordinates fail the
    /// curve equation or are not field elements).
    EcPointNotOnCurve,
    /// RFC 7748 §6.1, RFC 8422 §5.11: an x25519 share that gives the
    /// all-zero shared secret (a small-order point).
    EcdhAllZeroSharedSecret,
    /// RFC 8422 §5.4: ServerKeyExchange names a group the client did not
    /// offer in supported_groups.
    GroupNotOffered(NamedGroup),
    /// RFC 5246 §7.4.1.4.1: ServerKeyExchange signed with a pair the client
    /// did not offer in signature_algorithms (or one not for the server's
    /// key: ECDSA by an RSA certificate, ...).
    SignatureAlgorithmNotOffered(SignatureAndHashAlgorithm),
    /// RFC 5246 §7.4.3: the ServerKeyExchange signature does not verify
    /// under the server certificate's key. Alert: decrypt_error (§7.2.2).
    BadServerKeyExchangeSignature,
    /// RFC 8422 §5.3 / RFC 5246 §7.4.2: the server's certificate key does
    /// not fit the negotiated suite (an RSA key for ECDHE_ECDSA, ...), or
    /// is of a kind we cannot use.
    CertificateKeyMismatch,
    /// RFC 6066 §8: a CertificateStatus whose status_type is not the ocsp
    /// we asked for (the value).
    UnrequestedStatusType(u8),
}

/// An OCSP response (RFC 6960) that says nothing about the certificate:
/// `pki::ocsp::verify_response` returns the status only from one that
/// passes every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OcspError {
    /// Not DER as RFC 6960 §4.2.1 defines it; names the field.
    Malformed(String),
    /// Longer than `pki::ocsp::MAX_RESPONSE_LEN`.
    TooLarge(usize),
    /// More certificates than `pki::ocsp::MAX_RESPONSE_CERTS`.
    TooManyCertificates,
    /// A responseStatus other than successful (§4.2.1): 1 malformedRequest,
    /// 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized.
    ResponderStatus(u8),
    /// A responseType other than id-pkix-ocsp-basic (the OID, in hex).
    UnsupportedResponseType(String),
    UnsupportedSignatureAlgorithm(String),
    /// The signature over tbsResponseData does not verify.
    BadSignature,
    /// The signer is neither the issuer nor a responder the issuer
    /// delegated to (§4.2.2.2); says which condition failed.
    UnauthorizedSigner(&'static str),
    /// No SingleResponse's CertID names the certificate (§3.2 (1)).
    NoMatchingResponse,
    /// thisUpdate is after the validation time (§3.2 (5)).
    NotYetValid,
    /// nextUpdate is before the validation time, or there is none and
    /// thisUpdate is older than the allowed age (§3.2 (6), §4.2.2.1).
    Expired,
    /// The response's nonce is not the request's (RFC 8954).
    NonceMismatch,
    /// A critical extension we do not process (the OID, in hex).
    UnhandledCriticalExtension(String),
    /// The certificate, its issuer or the responder's certificate does not
    /// parse or has a key below the floor.
    Certificate(CertificateError),
}

/// A certificate chain that does not validate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateError {
    BadEncoding(String),
    UnknownIssuer,
    BadSignature,
    UnsupportedSignatureAlgorithm(String),
    Expired,
    NotYetValid,
    NotValidForName,
    NotCa,
    PathLenExceeded,
    BadKeyUsage,
    BadExtendedKeyUsage,
    Revoked,
    /// A CRL for the issuer exists but is not current (thisUpdate after now
    /// or nextUpdate before it, or no nextUpdate at all).
    CrlExpired,
    CrlBadSignature,
    UnhandledCriticalExtension(String),
    /// Revocation checking was required but no CRL covers this issuer.
    RevocationStatusUnknown,
    /// An RSA key in the path (the leaf's, or one that signs) is smaller
    /// than the configured floor (`pki::DEFAULT_MIN_RSA_BITS`).
    RsaModulusTooSmall {
        bits: usize,
        min: usize,
    },
    /// An RSA modulus that is not a whole number of bytes (e.g. 2047 bits).
    RsaModulusNotWholeBytes {
        bits: usize,
    },
    /// The leaf's key is of a type or curve we refuse (DSA, P-192, ...).
    UnsupportedPublicKey(String),
    /// The leaf asserts basicConstraints CA:TRUE.
    LeafIsCa,
    /// A name below a CA is outside its permitted subtrees or inside its
    /// excluded ones (RFC 5280 §4.2.1.10); the name, as shown.
    NameConstraintViolation(String),
    /// A CA constrains a name form we do not process, and a certificate
    /// below it has a name of that form.
    UnsupportedNameConstraint(String),
    /// A certificate that is not self-issued lacks the authorityKeyIdentifier
    /// (or its keyIdentifier) (RFC 5280 §4.2.1.1).
    MissingAuthorityKeyIdentifier,
    /// A CA certificate lacks the subjectKeyIdentifier (RFC 5280 §4.2.1.2).
    MissingSubjectKeyIdentifier,
    /// An authority or subject key identifier marked critical.
    CriticalKeyIdentifier,
    /// A serial number that is zero, negative, or longer than 20 octets
    /// (RFC 5280 §4.1.2.2).
    BadSerialNumber,
    /// An empty subject without a critical subjectAltName (RFC 5280 §4.2.1.6).
    EmptySubjectWithoutCriticalSan,
    /// A SAN dNSName outside the preferred name syntax (an underscore, ...).
    MalformedSanDnsName(String),
    /// The leaf's extendedKeyUsage is marked critical (CA/B Forum BR).
    CriticalExtendedKeyUsage,
    /// The leaf's extendedKeyUsage lists anyExtendedKeyUsage (CA/B Forum BR
    /// §7.1.2.7.10), with or without serverAuth.
    LeafAnyExtendedKeyUsage,
    /// A CRL without the cRLNumber extension (RFC 5280 §5.2.3).
    CrlMissingNumber,
    /// A CRL whose cRLNumber is marked critical (RFC 5280 §5.2.3).
    CrlNumberCritical,
    /// The trust anchor's notAfter is before the validation time.
    TrustAnchorExpired,
    /// The trust anchor's notBefore is after the validation time.
    TrustAnchorNotYetValid,
    /// A v3 trust anchor without basicConstraints CA:TRUE.
    TrustAnchorNotCa,
    /// An OCSP response about a certificate of the path (stapled, RFC 6066
    /// §8, or handed in by the caller) that does not verify.
    BadStatusResponse(Box<OcspError>),
}

/// An engine error. Fatal errors carry the alert we send, chosen in `alert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    InvalidMessage(InvalidMessage),
    PeerMisbehaved(PeerMisbehaved),
    InvalidCertificate(CertificateError),
    /// The peer sent a fatal alert.
    AlertReceived(AlertDescription),
    /// AEAD open failed.
    DecryptError,
    /// Our own misuse: e.g. sending after close. No alert goes out.
    InappropriateState(&'static str),
    /// A local failure (key handling, RNG): `internal_error`.
    Internal(&'static str),
}

impl Error {
    /// The alert for this error: the one mapping in the engine (RFC 5246 §7.2.2).
    /// `None` means no alert is sent (the peer's own alert, or our misuse).
    pub fn alert(&self) -> Option<AlertDescription> {
        use InvalidMessage as M;
        use PeerMisbehaved as P;
        Some(match self {
            Error::InvalidMessage(m) => match m {
                M::PlaintextRecordTooLarge(_) | M::CiphertextRecordTooLarge(_) => {
                    AlertDescription::RecordOverflow
                }
                M::UnknownContentType(_) | M::InterleavedHandshake(_) | M::EmptyRecord(_) => {
                    AlertDescription::UnexpectedMessage
                }
                M::BadRecordVersion(_) => AlertDescription::ProtocolVersion,
                M::DuplicateExtension(_) | M::IllegalValue(_) => AlertDescription::IllegalParameter,
                // The RFC names no alert for "legal but more than we
                // accept"; OpenSSL and BoringSSL send illegal_parameter
                // (SSL_R_EXCESSIVE_MESSAGE_SIZE) for a message over their
                // max_cert_list.
                M::HandshakeMessageOverLimit { .. } => AlertDescription::IllegalParameter,
                M::MissingData(_)
                | M::TrailingData(_)
                | M::EmptyVector(_)
                | M::VectorTooShort(_)
                | M::VectorTooLong(_)
                | M::BadVectorLength(_)
                | M::HandshakeMessageTooLarge { .. }
                | M::HandshakeBufferFull(_)
                | M::InvalidChangeCipherSpec
                | M::InvalidAlert => AlertDescription::DecodeError,
            },
            Error::PeerMisbehaved(p) => match p {
                P::UnexpectedMessage { .. }
                | P::EarlyChangeCipherSpec
                | P::ApplicationDataBeforeFinished => AlertDescription::UnexpectedMessage,
                // OpenSSL: SSL_R_TOO_MANY_WARN_ALERTS and (MAX_EMPTY_RECORDS)
                // SSL_R_RECORD_TOO_SMALL, both with unexpected_message.
                P::TooManyWarningAlerts
                | P::TooManyEmptyRecords
                | P::TooManyIgnoredHelloRequests
                | P::TooManyRenegotiationRequests => AlertDescription::UnexpectedMessage,
                P::SelectedUnofferedCipherSuite
                | P::SelectedUnofferedCompression
                | P::ResumedWithDifferentSuite => AlertDescription::IllegalParameter,
                P::UnsolicitedExtension(_) => AlertDescription::UnsupportedExtension,
                P::NoCommonCipherSuite | P::ExtendedMasterSecretMismatch => {
                    AlertDescription::HandshakeFailure
                }
                P::NullCompressionNotOffered => AlertDescription::IllegalParameter,
                P::UnsupportedVersion(_) => AlertDescription::ProtocolVersion,
                P::InappropriateFallback => AlertDescription::InappropriateFallback,
                P::BadFinished => AlertDescription::DecryptError,
                P::BadRecordMac => AlertDescription::BadRecordMac,
                P::RenegotiationInfoMismatch => AlertDescription::HandshakeFailure,
                P::EmptyCertificateChain => AlertDescription::DecodeError,
                // RFC 8422 §5.1.2 / §5.4 / §5.11 name no alert for a bad
                // point; illegal_parameter is what RFC 5246 §7.2.2 gives a
                // field "out of range or inconsistent with other fields",
                // and what OpenSSL (SSL_R_BAD_ECPOINT), BoringSSL and
                // rustls send. A group the client did not offer, or a
                // point format list without uncompressed, likewise
                // (OpenSSL SSL_R_WRONG_CURVE, SSL_R_ECC_CERT_NOT_FOR_...).
                P::UncompressedPointFormatMissing
                | P::EcPointBadLength { .. }
                | P::EcPointNotUncompressed
                | P::EcPointNotOnCurve
                | P::EcdhAllZeroSharedSecret
                | P::GroupNotOffered(_) => AlertDescription::IllegalParameter,
                // OpenSSL tls12_check_peer_sigalg: SSL_R_WRONG_SIGNATURE_TYPE
                // with illegal_parameter; and SSL_R_WRONG_CERTIFICATE_TYPE.
                P::SignatureAlgorithmNotOffered(_) | P::CertificateKeyMismatch => {
                    AlertDescription::IllegalParameter
                }
                // A field value we did not offer (RFC 5246 §7.2.2).
                P::UnrequestedStatusType(_) => AlertDescription::IllegalParameter,
                // RFC 5246 §7.2.2 decrypt_error: "unable to correctly verify
                // a signature".
                P::BadServerKeyExchangeSignature => AlertDescription::DecryptError,
            },
            Error::InvalidCertificate(c) => match c {
                CertificateError::BadEncoding(_) => AlertDescription::BadCertificate,
                CertificateError::UnknownIssuer => AlertDescription::UnknownCa,
                CertificateError::BadSignature
                | CertificateError::NotValidForName
                | CertificateError::NotCa
                | CertificateError::PathLenExceeded
                | CertificateError::BadKeyUsage
                | CertificateError::BadExtendedKeyUsage
                | CertificateError::CrlBadSignature => AlertDescription::BadCertificate,
                CertificateError::UnsupportedSignatureAlgorithm(_)
                | CertificateError::UnhandledCriticalExtension(_) => {
                    AlertDescription::UnsupportedCertificate
                }
                CertificateError::Expired | CertificateError::NotYetValid => {
                    AlertDescription::CertificateExpired
                }
                CertificateError::Revoked => AlertDescription::CertificateRevoked,
                // RFC 5246 §7.2.2 bad_certificate, "a certificate was corrupt
                // [or] contained signatures that did not verify": a
                // certificate that breaks RFC 5280 / CA/B Forum rules on its
                // own structure, or a key too weak to trust. OpenSSL sends
                // bad_certificate for X509_V_ERR_EE_KEY_TOO_SMALL,
                // CA_KEY_TOO_SMALL and the name-constraint violations.
                CertificateError::RsaModulusTooSmall { .. }
                | CertificateError::RsaModulusNotWholeBytes { .. }
                | CertificateError::LeafIsCa
                | CertificateError::NameConstraintViolation(_)
                | CertificateError::MissingAuthorityKeyIdentifier
                | CertificateError::MissingSubjectKeyIdentifier
                | CertificateError::CriticalKeyIdentifier
                | CertificateError::BadSerialNumber
                | CertificateError::EmptySubjectWithoutCriticalSan
                | CertificateError::MalformedSanDnsName(_)
                | CertificateError::CriticalExtendedKeyUsage
                | CertificateError::LeafAnyExtendedKeyUsage => AlertDescription::BadCertificate,
                // unsupported_certificate, "a certificate was of an
                // unsupported type": a key type we do not take (DSA, P-192)
                // or a name form we cannot check.
                CertificateError::UnsupportedPublicKey(_)
                | CertificateError::UnsupportedNameConstraint(_) => {
                    AlertDescription::UnsupportedCertificate
                }
                // The anchor's own validity, as for any certificate.
                CertificateError::TrustAnchorExpired | CertificateError::TrustAnchorNotYetValid => {
                    AlertDescription::CertificateExpired
                }
                // No usable CA ends the path: "a valid certificate chain ...
                // could not be ... matched with a known, trusted CA"
                // (unknown_ca); OpenSSL sends it for X509_V_ERR_INVALID_CA.
                CertificateError::TrustAnchorNotCa => AlertDescription::UnknownCa,
                // RFC 6066 §8: a client that asked for a status and got an
                // unsatisfactory one "MUST ... abort the handshake" with
                // bad_certificate_status_response.
                CertificateError::BadStatusResponse(_) => {
                    AlertDescription::BadCertificateStatusResponse
                }
                // Like a stale CRL: the CRL is unusable, so the status is
                // unknown; the certificate may be fine.
                CertificateError::CrlMissingNumber | CertificateError::CrlNumberCritical => {
                    AlertDescription::CertificateUnknown
                }
                // The certificate may be fine; its revocation status is
                // unknown: "some other (unspecified) issue" (RFC 5246 §7.2.2).
                CertificateError::CrlExpired | CertificateError::RevocationStatusUnknown => {
                    AlertDescription::CertificateUnknown
                }
            },
            Error::DecryptError => AlertDescription::BadRecordMac,
            Error::Internal(_) => AlertDescription::InternalError,
            Error::AlertReceived(_) | Error::InappropriateState(_) => return None,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidMessage(m) => write!(f, "invalid message: {m:?}"),
            Error::PeerMisbehaved(p) => write!(f, "peer misbehaved: {p:?}"),
            Error::InvalidCertificate(c) => write!(f, "invalid certificate: {c:?}"),
            Error::AlertReceived(a) => write!(f, "received fatal alert: {a:?}"),
            Error::DecryptError => f.write_str("record authentication failed"),
            Error::InappropriateState(s) => write!(f, "inappropriate state: {s}"),
            Error::Internal(s) => write!(f, "internal error: {s}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<InvalidMessage> for Error {
    fn from(m: InvalidMessage) -> Self {
        Error::InvalidMessage(m)
    }
}

impl From<PeerMisbehaved> for Error {
    fn from(p: PeerMisbehaved) -> Self {
        Error::PeerMisbehaved(p)
    }
}

impl From<CertificateError> for Error {
    fn from(c: CertificateError) -> Self {
        Error::InvalidCertificate(c)
    }
}
