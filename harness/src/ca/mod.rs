//! The CA as a scripted peer (issue 12 item 3): what a certificate
//! authority hands a client, correct or not. `ocsp` builds OCSP responses,
//! each field a knob. It is the peer's side of the rules the engine's
//! `pki` checks, so it has its own encoders.

pub mod cert;
pub mod crl;
pub mod ocsp;
pub mod responder;
pub mod scenario;

pub use cert::{reissue, ReissueSpec};
pub use crl::CrlSpec;
pub use ocsp::{CertIdHashSpec, OcspResponseSpec, ResponderIdSpec, Signer, StatusSpec};
