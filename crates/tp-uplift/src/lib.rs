//! tp-uplift
