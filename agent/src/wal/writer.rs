//! The appending side of the WAL: encodes batches into records and writes them to the head
//! segment, starting a new segment when it is full.
//!
//! Entry point: [`Writer::append`]. A series record is written the first time a series appears
//! in the current segment, so every segment is self-contained: deleting older segments never
//! leaves a sample without its labels. The segment size counts sample records only: with many
//! series the series records alone come near a segment's size, and counting them made segments
//! rotate every few scrapes, each rotation writing (and every remote reading) all series again.
//!
//! Which series a segment has recorded is marked on the series itself
//! ([`Series::mark_recorded`](crate::series::Series::mark_recorded)) with a token unique to the
//! segment in this process (two WALs in one process never share one).

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use cap_std::fs::{Dir, File, OpenOptions};
use tracing::warn;

use super::Pos;
use super::live::Handover;
use super::record::{self, RefSample};
use super::segment;
use crate::series::Batch;

/// Samples in one record at most: a scrape of millions of samples is written as several records,
/// each far below what a reader takes for a record ([`record::MAX_PAYLOAD`]), and decoded in
/// pieces of bounded size (a sample takes 11 bytes on disk and 24 decoded, 28 and 24 at worst).
pub const MAX_RECORD_SAMPLES: usize = 1 << 16;

pub struct Writer {
    dir: Arc<Dir>,
    seg: u64,
    file: File,
    off: u64,
    /// The current segment's process-unique token (see the module doc).
    token: u32,
    buf: Vec<u8>,
    /// A new segment starts once this many bytes of *sample* records are in the head one.
    segment_bytes: u64,
    /// Bytes of sample records in the head segment.
    sample_bytes: u64,
    /// A new segment starts once the head holds this many bytes, series records included (half
    /// of `max_wal_bytes`; 0: no limit), so that retention, which never drops the head, can
    /// always bring the WAL under its limit however many series records a segment repeats.
    head_limit: u64,
    /// Hands the recorded series and batches to the remotes.
    live: Handover,
    /// A write failed part-way: the next append starts a new segment so that the torn record
    /// only costs the rest of this one.
    broken: bool,
}

impl Writer {
    /// Creates segment `seg` (the head) in `dir`.
    pub fn create(dir: Arc<Dir>, seg: u64, segment_bytes: u64, head_limit: u64, live: Handover) -> io::Result<Writer> {
        let file = create_segment(&dir, seg)?;
        let token = next_token();
        Ok(Writer {
            dir,
            seg,
            file,
            off: 0,
            token,
            buf: Vec::new(),
            segment_bytes,
            sample_bytes: 0,
            head_limit,
            live,
            broken: false,
        })
    }

    /// Where the next record goes: everything before it is written (to the page cache).
    pub fn head(&self) -> Pos {
        Pos { seg: self.seg, off: self.off }
    }

    /// Appends the batch's new series and its samples, in records of at most
    /// [`MAX_RECORD_SAMPLES`] samples; returns the new head.
    pub fn append(&mut self, mut batch: Batch) -> io::Result<Pos> {
        while batch.len() > MAX_RECORD_SAMPLES {
            let rest = batch.split_off(MAX_RECORD_SAMPLES);
            self.append_record(std::mem::replace(&mut batch, rest))?;
        }
        self.append_record(batch)
    }

    fn append_record(&mut self, batch: Batch) -> io::Result<Pos> {
        let full = self.sample_bytes >= self.segment_bytes || (self.head_limit > 0 && self.off >= self.head_limit);
        if self.broken || (full && self.off > 0) {
            self.rotate()?;
        }
        self.buf.clear();
        let mut live = None;
        for s in &batch {
            if s.series.mark_recorded(self.token) {
                record::encode_series_of(&mut self.buf, &s.series);
                let end = Pos { seg: self.seg, off: self.off + self.buf.len() as u64 };
                live.get_or_insert_with(|| self.live.series.recorder()).record(end, s.series.clone());
            }
        }
        drop(live);
        let series_bytes = self.buf.len();
        let samples = batch.iter().map(|s| RefSample { r#ref: s.series.id(), t: s.t, v: s.v });
        record::encode_samples(&mut self.buf, samples);
        if let Err(e) = self.file.write_all(&self.buf) {
            self.broken = true;
            return Err(e);
        }
        self.off += self.buf.len() as u64;
        self.sample_bytes += (self.buf.len() - series_bytes) as u64;
        super::shrink_after_burst(&mut self.buf);
        self.live.samples.recorder().record(self.head(), Arc::new(batch));
        Ok(self.head())
    }

    /// Closes the head segment (synced to disk) and starts the next one.
    pub fn rotate(&mut self) -> io::Result<()> {
        if let Err(e) = self.file.sync_all() {
            warn!(segment = self.seg, error = %e, "syncing a full WAL segment failed");
        }
        let next = self.seg + 1;
        self.file = create_segment(&self.dir, next)?;
        self.seg = next;
        self.off = 0;
        self.sample_bytes = 0;
        self.token = next_token();
        self.broken = false;
        self.live.rotated();
        Ok(())
    }

    /// A handle on the head segment, to sync it without holding the writer.
    pub fn head_file(&self) -> io::Result<File> {
        self.file.try_clone()
    }
}

/// A token no segment of this process had before (never 0; 32 bits last 136 years of a segment a
/// second).
fn next_token() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn create_segment(dir: &Dir, seg: u64) -> io::Result<File> {
    dir.open_with(segment::name(seg), OpenOptions::new().write(true).create_new(true))
}
