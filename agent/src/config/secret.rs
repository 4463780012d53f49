//! [`Secret`]: a configuration value that must never be printed — a password, a bearer token, a
//! private key given inline.
//!
//! `Debug` prints `<secret>` (what Prometheus prints for its `Secret` type), there is no
//! `Display`, and the text comes out only through [`Secret::expose`], which the code that puts it
//! on the wire calls. A config struct holding one can derive `Debug` without leaking it.

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
        f.write_str("<secret>")
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
        #[allow(dead_code)]
        struct Holder {
            password: Option<Secret>,
        }
        let h = Holder { password: Some(Secret::new("hunter2")) };
        let printed = format!("{h:?} {h:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<secret>"));
        assert_eq!(h.password.unwrap().expose(), "hunter2");
    }
}
