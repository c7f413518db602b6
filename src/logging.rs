//! Logging: one event, one line, whatever a client put in it.
//!
//! Log fields often carry what a client sent (a path segment, a refusal's reason). A CR LF in
//! them would start a forged line, an ESC would drive the reader's terminal. Every line is
//! therefore written through [`SafeLines`], which escapes control characters (`\n` → `\\n`,
//! ESC → `\\u{1b}`) except the line's own end. JSON lines are escaped by the JSON writer already.
//! Policy: never log secrets, personal data or request bodies (DESIGN.md §9).

use std::io::{self, Write};

/// Writes each formatted event to `W` with its control characters escaped.
pub struct SafeLines<W: Write>(pub W);

impl<W: Write> Write for SafeLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (&*text, ""),
        };
        let mut out = String::with_capacity(buf.len() + 8);
        for c in body.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out.push_str(end);
        self.0.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Logs to standard error: JSON lines, or text without colours through [`SafeLines`].
pub fn init(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().with_writer(io::stderr).init();
    } else {
        builder.with_ansi(false).with_writer(|| SafeLines(io::stderr())).init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_line_stays_inside_its_own() {
        let mut out = Vec::new();
        SafeLines(&mut out)
            .write_all(b"INFO callback refused reason=binding '7\n2026-11-30T00:00:00Z ERROR FORGED\x1b[31m'\n")
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.ends_with('\n'));
        assert!(text.contains("\\n2026-11-30") && text.contains("\\u{1b}[31m"), "{text}");
        assert!(!text.contains('\x1b'));
    }
}
