//! tp-sim
