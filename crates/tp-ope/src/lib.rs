//! tp-ope
