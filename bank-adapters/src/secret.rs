//! Secrets that never print.
//!
//! `Secret<T>` wraps a key, a password or a token. Its `Debug` and `Display` print a fixed
//! placeholder, so a secret that slips into a log line or an error message shows nothing. The
//! only way to the value is the explicit [`Secret::expose`], which is easy to grep for.

use std::fmt;

/// A value that must never be printed or logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value. Call it only where the value is used (a MAC, a cipher, a hash).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Secret)
    }
}

/// Compares two tags (MACs, token hashes) in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Creates `path` readable and writable by its owner only (0600 on Unix) and writes `bytes`;
/// fails if it already exists. For key files and the SQLite file: what holds a secret is never
/// created readable by others, not even for a moment.
pub fn create_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_or_display() {
        let s = Secret::new("apiv3-key-0123456789".to_string());
        let printed = format!("{s:?} {s} {:?}", Some(&s));
        assert!(!printed.contains("apiv3"), "{printed}");
        assert_eq!(s.expose(), "apiv3-key-0123456789");
    }

    #[test]
    fn tags_compare_equal_only_when_identical() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
