//! tp-policy
