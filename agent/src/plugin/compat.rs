//! Components built against `scrapelet:plugin@0.1.0`: its `host` interface (`log`, `fetch`) and
//! its type-only `types` interface, linked to the same host functions as 0.2.0's. The exports
//! (`init`, `collect`, `rewrite`) and every type are structurally the same in both versions, so
//! the 0.2.0 bindings call them unchanged. 0.1.0 has no state functions.
//!
//! Entry point: [`add_to_linker`].

use wasmtime::component::Linker;

use super::bindings::exporter::scrapelet::plugin::host::{Level, Response};
use super::call::HostState;
use super::fetch::Request;

type Headers = Vec<(String, String)>;

/// Adds `scrapelet:plugin/{types,host}@0.1.0` to a world's linker.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.instance("scrapelet:plugin/types@0.1.0")?;
    let mut host = linker.instance("scrapelet:plugin/host@0.1.0")?;
    host.func_wrap_async("log", |mut store, (level, message): (Level, String)| {
        Box::new(async move {
            store.data_mut().log_line(level as u8, &message);
            Ok(())
        })
    })?;
    host.func_wrap_async("fetch", |mut store, (method, path, headers, body): (String, String, Headers, Vec<u8>)| {
        Box::new(async move {
            let r = store.data_mut().do_fetch(Request { method, path, headers, body }).await;
            let r = r.map(|r| Response { status: r.status, content_type: r.content_type, body: r.body });
            Ok((r,))
        })
    })?;
    Ok(())
}
