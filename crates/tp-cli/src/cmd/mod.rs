//! One module per subcommand: its clap `Args` and its `run`.

pub mod demo;
pub mod design;
pub mod evaluate;
pub mod ope;
pub mod policy;
pub mod profile;
pub mod run;
pub mod segment;
pub mod simulate;
pub mod uplift;
