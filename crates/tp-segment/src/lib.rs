//! tp-segment
