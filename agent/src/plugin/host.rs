//! The `host` interface as the plugins see it: `log` into the agent's log (tagged, truncated,
//! budgeted), `fetch` through [`super::fetch::Fetch`] and the per-target state
//! ([`super::state::CallState`]). Implemented once, for both worlds.

use tracing::{debug, error, info, warn};

use super::bindings::{exporter, transform};
use super::call::HostState;
use super::fetch::{Request, is_refusal};

/// Longest log message kept.
const MAX_LOG: usize = 4 << 10;

impl HostState {
    fn log_line(&mut self, level: u8, message: &str) {
        if self.logs_left == 0 {
            return;
        }
        self.logs_left -= 1;
        let mut end = message.len().min(MAX_LOG);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let (plugin, target, message) = (&self.plugin, &self.target, &message[..end]);
        match level {
            0 => debug!(plugin, target, message, "plugin log"),
            1 => info!(plugin, target, message, "plugin log"),
            2 => warn!(plugin, target, message, "plugin log"),
            _ => error!(plugin, target, message, "plugin log"),
        }
    }

    fn do_fetch(&mut self, req: Request) -> Result<super::fetch::Response, String> {
        let result = self.fetch.request(req);
        if let Err(reason) = &result
            && is_refusal(reason)
        {
            warn!(plugin = %self.plugin, target = %self.target, %reason, "plugin fetch refused");
            crate::metrics::get().plugin_errors.with(&[&self.plugin, "fetch_refused"]).inc();
        }
        result
    }
}

macro_rules! impl_host {
    ($world:ident) => {
        impl $world::scrapelet::plugin::types::Host for HostState {}

        impl $world::scrapelet::plugin::host::Host for HostState {
            fn log(&mut self, level: $world::scrapelet::plugin::host::Level, message: String) {
                use $world::scrapelet::plugin::host::Level;
                let level = match level {
                    Level::Debug => 0,
                    Level::Info => 1,
                    Level::Warn => 2,
                    Level::Error => 3,
                };
                self.log_line(level, &message);
            }

            fn fetch(
                &mut self,
                method: String,
                path: String,
                headers: Vec<(String, String)>,
                body: Vec<u8>,
            ) -> Result<$world::scrapelet::plugin::host::Response, String> {
                let r = self.do_fetch(Request { method, path, headers, body })?;
                Ok($world::scrapelet::plugin::host::Response {
                    status: r.status,
                    content_type: r.content_type,
                    body: r.body,
                })
            }

            fn state_get(&mut self) -> Vec<u8> {
                self.state.get()
            }

            fn state_set(&mut self, data: Vec<u8>) -> Result<(), String> {
                self.state.set(data)
            }
        }
    };
}

impl_host!(exporter);
impl_host!(transform);
