//! Per-remote checkpoints: the WAL position up to which a remote's backend has acknowledged
//! every sample (or it was dropped and counted), and how far each of its shards got beyond it.
//!
//! Entry points: [`read`], [`Writer`], [`stale`]. The file has two slots; a write overwrites the
//! slot holding the older position in place, so a crash or a torn write leaves the other slot's
//! (older but valid) checkpoint, never a mix. Positions only grow, so the newer valid slot is the
//! checkpoint. It is not fsynced: after a power loss an older checkpoint can come back, which only
//! means duplicates, never loss.
//!
//! A slot (`SLC2`, a sequence number, segment, offset, shard count, one position per shard,
//! CRC32; the newer of two valid slots is the one with the higher number) also says, per
//! remote-write shard, up to where that shard had every one of its samples acknowledged: samples
//! of a series are sent by the shard of its label hash, and a shard ahead of the others must not
//! send again after a restart what the backend already took (a strict backend such as Prometheus
//! refuses a request holding an older sample of a series, and with it the new samples beside it).
//! Slots of earlier versions (segment, offset, CRC32: 20 bytes, one or two of them) are read too.
//!
//! Why not a temporary file renamed over the old one: ext4 flushes a file's data when it is
//! renamed over another (`auto_da_alloc`), and a checkpoint follows every acknowledged request;
//! that cost 5% of the agent's CPU at 100,000 samples/s. An in-place write is one `pwrite`.

use std::io::{self, ErrorKind};
use std::os::unix::fs::FileExt;

use cap_std::fs::{Dir, OpenOptions};
use tracing::warn;

use super::Pos;

const PREFIX: &str = "checkpoint-";
/// Left by earlier versions (which renamed a temporary file into place); removed as stale.
const TMP_SUFFIX: &str = ".tmp";
/// An earlier version's slot: segment, offset, CRC32.
const OLD_SLOT: usize = 20;
const MAGIC: &[u8; 4] = b"SLC2";
/// Shard positions kept at most (more shards: none are kept, and a restart may resend).
pub const MAX_SHARDS: usize = 1024;
/// Where the second slot starts: room for the largest first one.
const SLOT_SPACE: usize = slot_len(MAX_SHARDS);

const fn slot_len(shards: usize) -> usize {
    4 + 8 + 16 + 4 + 16 * shards + 4
}

/// What a remote's backend has acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Every sample before this is acknowledged.
    pub pos: Pos,
    /// Per shard (of as many as there are entries), the position before which every sample of
    /// that shard's series is acknowledged; never before `pos`. Empty: no such knowledge.
    pub shards: Vec<Pos>,
}

/// The checkpoint file of `remote` (its name hex-encoded, so any name is a safe file name).
pub fn file_name(remote: &str) -> String {
    let hex: String = remote.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{hex}")
}

/// The remote's checkpoint; `None` if it has none (or an unreadable one, logged).
pub fn read(dir: &Dir, remote: &str) -> io::Result<Option<Checkpoint>> {
    let bytes = match dir.read(file_name(remote)) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let found = slots(&bytes).into_iter().flatten().max_by_key(|(seq, c)| (*seq, c.pos));
    if found.is_none() {
        warn!(remote, "WAL checkpoint unreadable; replaying the whole WAL for this remote");
    }
    Ok(found.map(|(_, c)| c))
}

/// Writes one remote's checkpoints, each into the slot that does not hold the newest valid one
/// (the file is read once, when the writer is made; it is the file's only writer).
#[derive(Debug)]
pub struct Writer {
    name: String,
    /// Opened at the first write and kept.
    file: Option<std::fs::File>,
    /// The slot the next write goes to, and its sequence number.
    next_slot: usize,
    next_seq: u64,
}

impl Writer {
    pub fn new(dir: &Dir, remote: &str) -> io::Result<Writer> {
        let name = file_name(remote);
        let current = match dir.read(&name) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let [a, b] = slots(&current);
        let old_format = !current.is_empty() && current.len() <= 2 * OLD_SLOT && &current[..4] != MAGIC;
        let seq = |s: &Option<(u64, Checkpoint)>| s.as_ref().map(|(seq, _)| *seq);
        let next_seq = seq(&a).max(seq(&b)).map_or(1, |s| s + 1);
        let next_slot = match (seq(&a), seq(&b)) {
            _ if old_format => 1, // slot 0 of an earlier version's file stays valid until slot 1 is
            (Some(a), Some(b)) if a > b => 1,
            (Some(_), None) => 1,
            _ => 0,
        };
        Ok(Writer { name, file: None, next_slot, next_seq })
    }

    /// Writes `checkpoint` (one `pwrite`).
    pub fn write(&mut self, dir: &Dir, checkpoint: &Checkpoint) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                self.file.insert(dir.open_with(&self.name, OpenOptions::new().write(true).create(true))?.into_std())
            }
        };
        file.write_all_at(&encode(self.next_seq, checkpoint), (self.next_slot * SLOT_SPACE) as u64)?;
        self.next_slot ^= 1;
        self.next_seq += 1;
        Ok(())
    }
}

/// Records the remote's checkpoint (a [`Writer`] for one write).
#[cfg(test)]
pub fn write(dir: &Dir, remote: &str, checkpoint: &Checkpoint) -> io::Result<()> {
    Writer::new(dir, remote)?.write(dir, checkpoint)
}

/// The checkpoints in the two slots with their sequence numbers (`None`: missing, torn or
/// corrupt; an earlier version's slots have number 0).
fn slots(b: &[u8]) -> [Option<(u64, Checkpoint)>; 2] {
    if b.len() <= 2 * OLD_SLOT && b.get(..4) != Some(MAGIC) {
        let slot = |i: usize| b.get(i * OLD_SLOT..(i + 1) * OLD_SLOT).and_then(decode_old).map(|c| (0, c));
        return [slot(0), slot(1)];
    }
    let slot = |i: usize| b.get(i * SLOT_SPACE..).and_then(decode);
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

fn encode(seq: u64, c: &Checkpoint) -> Vec<u8> {
    let shards = if c.shards.len() <= MAX_SHARDS { &c.shards[..] } else { &[] };
    let mut out = Vec::with_capacity(slot_len(shards.len()));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&c.pos.seg.to_le_bytes());
    out.extend_from_slice(&c.pos.off.to_le_bytes());
    out.extend_from_slice(&(shards.len() as u32).to_le_bytes());
    for p in shards {
        out.extend_from_slice(&p.seg.to_le_bytes());
        out.extend_from_slice(&p.off.to_le_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A slot at the start of `b` (anything may follow it), with its sequence number.
fn decode(b: &[u8]) -> Option<(u64, Checkpoint)> {
    let rest = b.strip_prefix(MAGIC)?;
    let n = u32::from_le_bytes(rest.get(24..28)?.try_into().ok()?) as usize;
    if n > MAX_SHARDS {
        return None;
    }
    let len = slot_len(n);
    let (body, crc) = b.get(..len)?.split_at(len - 4);
    if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    let pos = |b: &[u8]| Pos {
        seg: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
        off: u64::from_le_bytes(b[8..16].try_into().expect("8 bytes")),
    };
    let seq = u64::from_le_bytes(body[4..12].try_into().ok()?);
    let shards = body[32..].chunks_exact(16).map(pos).collect();
    Some((seq, Checkpoint { pos: pos(&body[12..28]), shards }))
}

/// An earlier version's slot.
fn decode_old(b: &[u8]) -> Option<Checkpoint> {
    let (body, crc) = b.split_at_checked(16)?;
    if crc.len() != 4 || crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    let seg = u64::from_le_bytes(body[..8].try_into().ok()?);
    let off = u64::from_le_bytes(body[8..].try_into().ok()?);
    Some(Checkpoint { pos: Pos { seg, off }, shards: Vec::new() })
}
