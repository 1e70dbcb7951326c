//! tp-io
