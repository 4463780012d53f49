//! `cargo fuzz` entry for [`scrapelet_fuzz::targets::jolokia_reply`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| scrapelet_fuzz::targets::jolokia_reply(data));
