//! tp-sim (essay to come)

mod assign;
mod catalog;
mod error;
mod household;
mod retail;
mod world;

pub use assign::Assignment;
pub use catalog::{DEPARTMENTS, PRICE_TIERS, TAGS};
pub use error::{Result, SimError};
pub use retail::{ARM_LABELS, MAX_CUSTOMERS, MIN_CUSTOMERS, MIN_PRE_WEEKS, RetailParams};
pub use world::{Calibration, Economics, RetailWorld};
