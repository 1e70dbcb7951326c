//! The library side of `tp`: every command's arguments and driver, the pipeline behind `tp run`,
//! and the table-to-[`tp_core::CausalData`] glue, so that the Python package (`crates/tp-python`)
//! calls the same code as the binary.
//!
//! A bridge until the pipeline moves into its own crate (issue #17): no code moved here, the
//! modules are the binary's own; `main.rs` keeps only argument parsing and the exit code.

pub mod arms;
pub mod causal;
pub mod cmd;
pub mod html;
pub mod pipeline;
pub mod report;
