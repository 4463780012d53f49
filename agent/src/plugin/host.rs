//! The `host` interface as the plugins see it, implemented once for both worlds: `log` into the
//! agent's log, `fetch` through [`super::fetch::Fetch`], and the per-target state
//! ([`super::state::CallState`]).
//!
//! A plugin's log message is never a line of its own: it is the `text` field of the agent's
//! `plugin log` event, always next to `plugin` and `target`, so the log format escapes it (the
//! text format quotes it with `\n`, `\0`, `\u{1b}` escapes, the JSON format writes a JSON
//! string). Messages are truncated to 4 KiB, and each plugin's log bytes are rate limited.

use tracing::{debug, error, info, warn};

use super::bindings::{exporter, transform};
use super::call::HostState;
use super::fetch::{Request, Response, is_refusal};

/// Longest log message kept.
const MAX_LOG: usize = 4 << 10;
/// What a log line costs beyond its text (the agent's own fields), in bytes of the log budget.
const LINE_COST: u64 = 64;

impl HostState {
    /// Logs one message of the plugin at `level` (0 debug .. 3 error), if its rate allows.
    pub(super) fn log_line(&mut self, level: u8, message: &str) {
        let text = truncate(message, MAX_LOG);
        let cost = text.len() as u64 + LINE_COST;
        if !self.plugin.log_allowed(cost, self.limits.log_rate, self.limits.log_burst) {
            return;
        }
        emit(level, &self.plugin.name, &self.target, text);
    }

    /// One `host.fetch`, within the call's fetch limit.
    pub(super) async fn do_fetch(&mut self, req: Request) -> Result<Response, String> {
        let made = self.usage.fetched();
        let result = if made > self.limits.fetches {
            Err(format!("refused: over the plugin's limit of {} fetches a call", self.limits.fetches))
        } else {
            self.fetch.request(req).await
        };
        // Refusals are counted (past the limit, once) and the first of a call is logged: a guest
        // may keep trying.
        if let Err(reason) = &result
            && is_refusal(reason)
            && made <= self.limits.fetches + 1
        {
            let kind = if made > self.limits.fetches { "fetch_limit" } else { "fetch_refused" };
            if !std::mem::replace(&mut self.refusal_logged, true) {
                warn!(plugin = %self.plugin.name, target = %self.target, %reason, "plugin fetch refused");
            }
            crate::metrics::get().plugin_errors.with(&[&self.plugin.name, kind]).inc();
        }
        result
    }

    fn state_set(&mut self, data: Vec<u8>) -> Result<(), String> {
        self.state.admit(data.len())?;
        self.limiter.charge_state(data.len() as u64)?;
        self.state.set(data)
    }
}

/// The agent's log line for a plugin's message: `text` is a field (a `&str`, never the event's
/// own message), which both log formats escape.
fn emit(level: u8, plugin: &str, target: &str, text: &str) {
    match level {
        0 => debug!(plugin, target, text, "plugin log"),
        1 => info!(plugin, target, text, "plugin log"),
        2 => warn!(plugin, target, text, "plugin log"),
        _ => error!(plugin, target, text, "plugin log"),
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

macro_rules! impl_host {
    ($world:ident) => {
        impl $world::scrapelet::plugin::types::Host for HostState {}

        impl $world::scrapelet::plugin::host::Host for HostState {
            async fn log(&mut self, level: $world::scrapelet::plugin::host::Level, message: String) {
                self.log_line(level as u8, &message);
            }

            async fn fetch(
                &mut self,
                method: String,
                path: String,
                headers: Vec<(String, String)>,
                body: Vec<u8>,
            ) -> Result<$world::scrapelet::plugin::host::Response, String> {
                let r = self.do_fetch(Request { method, path, headers, body }).await?;
                Ok($world::scrapelet::plugin::host::Response {
                    status: r.status,
                    content_type: r.content_type,
                    body: r.body,
                })
            }

            async fn state_get(&mut self) -> Vec<u8> {
                self.state.get()
            }

            async fn state_set(&mut self, data: Vec<u8>) -> Result<(), String> {
                HostState::state_set(self, data)
            }
        }
    };
}

impl_host!(exporter);
impl_host!(transform);

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::{emit, truncate};

    const FORGERY: &str = "ok\n2026-01-01T00:00:00Z ERROR scrapelet::remote_write: FORGED\0\x1b[2J\r\u{2028}end";

    /// What the agent's log holds after `emit` in the given format.
    fn logged(json: bool) -> String {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let buf = buf.clone();
            move || Sink(buf.clone())
        };
        let builder = tracing_subscriber::fmt().with_writer(writer).with_ansi(false);
        let dispatch: tracing::Dispatch = if json { builder.json().finish().into() } else { builder.finish().into() };
        tracing::dispatcher::with_default(&dispatch, || emit(3, "evil", "http://t:1/metrics", FORGERY));
        String::from_utf8(buf.lock().unwrap().clone()).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_plugin_message_stays_one_tagged_escaped_line_in_both_formats() {
        let text = logged(false);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains(['\0', '\x1b', '\r', '\u{2028}']), "{text:?}");
        assert!(
            text.contains(
                r#"text="ok\n2026-01-01T00:00:00Z ERROR scrapelet::remote_write: FORGED\0\u{1b}[2J\r\u{2028}end""#
            ),
            "{text}"
        );
        assert!(text.contains(r#"plugin="evil""#) && text.contains(r#"target="http://t:1/metrics""#), "{text}");

        let json = logged(true);
        assert_eq!(json.lines().count(), 1, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["fields"]["text"], FORGERY, "the JSON string decodes to the message: {json}");
        assert_eq!(
            (v["fields"]["plugin"].as_str(), v["fields"]["message"].as_str()),
            (Some("evil"), Some("plugin log"))
        );
        assert!(!json.contains(['\0', '\x1b', '\r']), "control characters are \\u escapes in JSON: {json:?}");
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
