//! Per-remote checkpoints: the WAL position up to which a remote's backend has acknowledged
//! every sample (or it was dropped and counted).
//!
//! Entry points: [`read`], [`write`], [`stale`]. A checkpoint is 20 bytes (segment, offset,
//! CRC32) written to a temporary file and renamed over the old one, so a crash leaves either
//! the old or the new checkpoint, never a mix. It is not fsynced: after a power loss an older
//! checkpoint can come back, which only means duplicates, never loss.

use std::io::{self, ErrorKind};

use cap_std::fs::Dir;
use tracing::warn;

use super::Pos;

const PREFIX: &str = "checkpoint-";
const TMP_SUFFIX: &str = ".tmp";

/// The checkpoint file of `remote` (its name hex-encoded, so any name is a safe file name).
pub fn file_name(remote: &str) -> String {
    let hex: String = remote.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{hex}")
}

/// The remote's acknowledged position; `None` if it has none (or an unreadable one, logged).
pub fn read(dir: &Dir, remote: &str) -> io::Result<Option<Pos>> {
    let bytes = match dir.read(file_name(remote)) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let pos = decode(&bytes);
    if pos.is_none() {
        warn!(remote, "WAL checkpoint unreadable; replaying the whole WAL for this remote");
    }
    Ok(pos)
}

/// Replaces the remote's checkpoint atomically (temporary file + rename).
pub fn write(dir: &Dir, remote: &str, pos: Pos) -> io::Result<()> {
    let name = file_name(remote);
    let tmp = format!("{name}{TMP_SUFFIX}");
    dir.write(&tmp, encode(pos))?;
    dir.rename(&tmp, dir, &name)
}

/// Checkpoint files (and leftover temporary files) of remotes not in `remotes`: a remote that was
/// removed from the config must not keep segments alive forever.
pub fn stale(dir: &Dir, remotes: &[&str]) -> io::Result<Vec<String>> {
    let keep: Vec<String> = remotes.iter().map(|r| file_name(r)).collect();
    let mut out = Vec::new();
    for entry in dir.entries()? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && (name.ends_with(TMP_SUFFIX) || !keep.contains(&name)) {
            out.push(name);
        }
    }
    Ok(out)
}

fn encode(pos: Pos) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    out.extend_from_slice(&pos.seg.to_le_bytes());
    out.extend_from_slice(&pos.off.to_le_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn decode(b: &[u8]) -> Option<Pos> {
    let (body, crc) = b.split_at_checked(16)?;
    if crc.len() != 4 || crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    let seg = u64::from_le_bytes(body[..8].try_into().ok()?);
    let off = u64::from_le_bytes(body[8..].try_into().ok()?);
    Some(Pos { seg, off })
}
