//! [`Secret`]: a configuration value that must never be printed — a password, a bearer token, a
//! private key given inline.
//!
//! `Debug` prints `<secret …>` (Prometheus prints `<secret>` for its `Secret` type) with a hash
//! of the text keyed by a random number drawn at start, so that comparing two configurations'
//! `Debug` (what decides whether a reload restarts a target's loop or the remote-write pipeline)
//! still sees a changed password, while nothing printed says anything about the text, not even in
//! another run of the agent. There is no `Display`; the text comes out only through
//! [`Secret::expose`], which the code that puts it on the wire calls. A config struct holding one
//! can derive `Debug` without leaking it.

/// A secret configuration value.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret's text, for the request that needs it. Never log or show it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::hash::BuildHasher;
        static KEY: std::sync::OnceLock<foldhash::quality::RandomState> = std::sync::OnceLock::new();
        let hash = KEY.get_or_init(foldhash::quality::RandomState::default).hash_one(&self.0);
        write!(f, "<secret {:08x}>", hash as u32)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_text() {
        #[derive(Debug)]
        struct Holder {
            password: Option<Secret>,
        }
        let h = Holder { password: Some(Secret::new("hunter2")) };
        let printed = format!("{h:?} {h:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<secret "));
        assert_eq!(h.password.unwrap().expose(), "hunter2");
    }

    /// A reload compares configurations by their `Debug`: a changed password must show.
    #[test]
    fn debug_tells_different_secrets_apart() {
        let (a, b) = (Secret::new("one"), Secret::new("two"));
        assert_eq!(format!("{a:?}"), format!("{:?}", Secret::new("one")));
        assert_ne!(format!("{a:?}"), format!("{b:?}"));
    }
}
