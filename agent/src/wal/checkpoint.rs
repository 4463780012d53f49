//! Per-remote checkpoints: the WAL position up to which a remote's backend has acknowledged
//! every sample (or it was dropped and counted).
//!
//! Entry points: [`read`], [`write`], [`stale`]. The file has two slots of 20 bytes (segment,
//! offset, CRC32); a write overwrites the slot holding the older position in place, so a crash
//! or a torn write leaves the other slot's (older but valid) checkpoint, never a mix. Positions
//! only grow, so the newer valid slot is the checkpoint. It is not fsynced: after a power loss
//! an older checkpoint can come back, which only means duplicates, never loss.
//!
//! Why not a temporary file renamed over the old one: ext4 flushes a file's data when it is
//! renamed over another (`auto_da_alloc`), and a checkpoint follows every acknowledged request;
//! that cost 5% of the agent's CPU at 100,000 samples/s. An in-place write is one `pwrite`.
//! A 20-byte file (one slot, as earlier versions wrote it by rename) is read as slot 0.

use std::io::{self, ErrorKind};
use std::os::unix::fs::FileExt;

use cap_std::fs::{Dir, OpenOptions};
use tracing::warn;

use super::Pos;

const PREFIX: &str = "checkpoint-";
/// Left by earlier versions (which renamed a temporary file into place); removed as stale.
const TMP_SUFFIX: &str = ".tmp";
const SLOT: usize = 20;

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
    let pos = slots(&bytes).into_iter().flatten().max();
    if pos.is_none() {
        warn!(remote, "WAL checkpoint unreadable; replaying the whole WAL for this remote");
    }
    Ok(pos)
}

/// Records the remote's checkpoint in the slot that does not hold the newest valid one.
pub fn write(dir: &Dir, remote: &str, pos: Pos) -> io::Result<()> {
    let file = dir.open_with(file_name(remote), OpenOptions::new().read(true).write(true).create(true))?.into_std();
    let mut current = [0u8; 2 * SLOT];
    let n = read_at_most(&file, &mut current)?;
    let [a, b] = slots(&current[..n]);
    let slot = match (a, b) {
        (Some(a), Some(b)) if a > b => 1,
        (Some(_), None) => 1,
        _ => 0,
    };
    file.write_all_at(&encode(pos), (slot * SLOT) as u64)
}

fn read_at_most(file: &std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The positions in the two slots (`None`: missing, torn or corrupt).
fn slots(b: &[u8]) -> [Option<Pos>; 2] {
    let slot = |i: usize| b.get(i * SLOT..(i + 1) * SLOT).and_then(decode);
    [slot(0), slot(1)]
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
