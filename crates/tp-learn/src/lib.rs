//! tp-learn
