//! # tp-uplift
//!
//! (essay to come)

mod error;
pub mod evaluate;

pub use error::{Result, UpliftError};
