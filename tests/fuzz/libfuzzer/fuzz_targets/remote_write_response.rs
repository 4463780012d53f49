//! `cargo fuzz` entry for [`scrapelet_fuzz::targets::remote_write_response`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scrapelet_fuzz::targets::remote_write_response(data));
