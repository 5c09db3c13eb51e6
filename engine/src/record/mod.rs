//! (to be written)
pub mod protection;
