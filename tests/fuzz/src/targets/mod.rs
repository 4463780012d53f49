//! The fuzz targets (see the crate docs). Each sets up what it needs once, per process.

mod exposition;
mod jolokia;
mod remote_write;
mod wal;

pub use exposition::exposition;
pub use jolokia::jolokia_reply;
pub use remote_write::remote_write_response;
pub use wal::wal_records;

/// The first byte picks a variant (a format, a plan, a mode); the rest is the input.
fn split_mode(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((mode, rest)) => (*mode, rest),
        None => (0, data),
    }
}
