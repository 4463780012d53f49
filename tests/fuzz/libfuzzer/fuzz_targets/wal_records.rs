//! `cargo fuzz` entry for [`scrapelet_fuzz::targets::wal_records`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scrapelet_fuzz::targets::wal_records(data));
