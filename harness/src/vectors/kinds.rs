//! One check per vector kind, each using only engine primitives.

use super::{Case, FieldError, Verdict};

pub(super) type Check = fn(&Case<'_>, &Case<'_>) -> Result<Verdict, FieldError>;

pub(super) fn checker(kind: &str) -> Option<Check> {
    let _ = kind;
    None
}
