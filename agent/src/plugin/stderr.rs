//! A plugin's stderr: the agent keeps its last 8 KiB (where a Rust panic message lands) and
//! drops the rest, never failing a write. (wasmtime's `MemoryOutputPipe` traps once full, which
//! made a chatty plugin's `eprintln!` panic.)
//!
//! Entry point: [`Tail`].

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Bytes of a plugin's stderr kept.
const KEEP: usize = 8 << 10;

/// The last [`KEEP`] bytes a plugin wrote to stderr.
#[derive(Clone, Default)]
pub struct Tail(Arc<Mutex<Vec<u8>>>);

impl Tail {
    /// What was kept, lossily decoded.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    fn push(&self, bytes: &[u8]) {
        let mut kept = self.0.lock().unwrap();
        let bytes = &bytes[bytes.len().saturating_sub(KEEP)..];
        let over = (kept.len() + bytes.len()).saturating_sub(KEEP);
        kept.drain(..over);
        kept.extend_from_slice(bytes);
    }
}

impl OutputStream for Tail {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Tail {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Tail {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for Tail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Tail {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_never_fails() {
        let mut tail = Tail::default();
        for _ in 0..100 {
            tail.write(Bytes::from(vec![b'x'; 1000])).unwrap();
        }
        tail.write(Bytes::from_static(b"panicked at src/lib.rs")).unwrap();
        let text = tail.text();
        assert_eq!(text.len(), KEEP);
        assert!(text.ends_with("panicked at src/lib.rs"));
        tail.push(&vec![b'y'; 3 * KEEP]);
        assert_eq!(tail.text(), "y".repeat(KEEP));
    }
}
