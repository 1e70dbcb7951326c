//! tp-profile
