//! Showing values in the middle of a cell, updating them in place, and
//! clearing the cell's output: Jupyter's `display_data` (with a
//! `display_id`), `update_display_data` and `clear_output`.
//!
//! A value's rich form is whatever its `evcxr_display` prints (the lens's
//! diagrams, a user's type, [`Html`], [`Svg`], [`Png`]; any other `Debug`
//! value shows its text, [`crate::show`]). [`display!`](crate::display!)
//! captures that output and sends it to the kernel as one line of its own
//! on standard output, [`DISPLAY`] then JSON, in order with what the cell
//! prints; [`clear_output`] sends [`CLEAR_OUTPUT`]. Both engines pass a
//! cell's printed lines to the kernel as they come, so a loop can redraw
//! one diagram while it runs.
//!
//! ```
//! use ndlens_runtime::{display, update_display};
//! use ndlens_runtime::display::{clear_output, Html};
//! display!(Html("<b>step 1</b>".into()), "progress");
//! update_display!(Html("<b>step 2</b>".into()), "progress");
//! clear_output(true);
//! display!(vec![1, 2, 3]); // no rich form: shown as its text
//! ```

use std::fmt::Write as _;
use std::io::Write as _;

use crate::content::{BEGIN, END};

/// The start of a line that shows (or updates) a display.
pub const DISPLAY: &str = "NDLENS_DISPLAY ";
/// The start of a line that clears the cell's output.
pub const CLEAR_OUTPUT: &str = "NDLENS_CLEAR_OUTPUT ";

/// Shows `$value` now, with its richest form; `display!(value, id)` gives
/// the display an id that [`update_display!`](crate::update_display!)
/// later updates in place.
#[macro_export]
macro_rules! display {
    ($value:expr) => {
        $crate::display::send(::core::option::Option::None, false, || {
            use $crate::show::ShowDebug as _;
            let value = &$value;
            value.evcxr_display();
        })
    };
    ($value:expr, $id:expr) => {
        $crate::display::send(::core::option::Option::Some(&$id), false, || {
            use $crate::show::ShowDebug as _;
            let value = &$value;
            value.evcxr_display();
        })
    };
}

/// Replaces what the display `$id` shows with `$value`, where it was shown.
#[macro_export]
macro_rules! update_display {
    ($value:expr, $id:expr) => {
        $crate::display::send(::core::option::Option::Some(&$id), true, || {
            use $crate::show::ShowDebug as _;
            let value = &$value;
            value.evcxr_display();
        })
    };
}

/// Clears the cell's output; with `wait`, only when the next output comes,
/// so that a redrawn figure does not flicker.
pub fn clear_output(wait: bool) {
    line(&format!("{CLEAR_OUTPUT}{{\"wait\": {wait}}}"));
}

/// HTML, shown as `text/html`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Html(pub String);

/// An SVG picture, shown as `image/svg+xml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svg(pub String);

/// A PNG picture, its bytes, shown as `image/png`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Png(pub Vec<u8>);

impl Html {
    pub fn evcxr_display(&self) {
        crate::content::emit("text/html", &self.0);
    }
}

impl Svg {
    pub fn evcxr_display(&self) {
        crate::content::emit("image/svg+xml", &self.0);
    }
}

impl Png {
    pub fn evcxr_display(&self) {
        crate::content::emit("image/png", &base64(&self.0));
    }
}

/// Sends what `show` prints as one display: new, or an update of `id`.
/// The macros call it.
pub fn send(id: Option<&dyn std::fmt::Display>, update: bool, show: impl FnOnce()) {
    let bundle = bundle(&captured(show));
    if bundle.is_empty() {
        return;
    }
    let mut json = String::from("{\"id\": ");
    match id {
        Some(id) => json_string(&mut json, &id.to_string()),
        None => json.push_str("null"),
    }
    let _ = write!(json, ", \"update\": {update}, \"data\": {{");
    for (i, (mime, content)) in bundle.iter().enumerate() {
        if i > 0 {
            json.push_str(", ");
        }
        json_string(&mut json, mime);
        json.push_str(": ");
        json_string(&mut json, content);
    }
    json.push_str("}}");
    line(&format!("{DISPLAY}{json}"));
}

/// Prints `text` as one line in one write; the kernel finds the marker
/// even after what the cell printed without a newline.
fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{text}\n").as_bytes());
    let _ = out.flush();
}

/// The mime blocks in `printed` (text outside them as `text/plain`).
fn bundle(printed: &str) -> Vec<(String, String)> {
    let mut bundle: Vec<(String, String)> = Vec::new();
    let mut text = String::new();
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        match line.strip_prefix(BEGIN) {
            Some(mime) => {
                let content: Vec<&str> = lines.by_ref().take_while(|l| *l != END).collect();
                bundle.retain(|(m, _)| m != mime.trim());
                bundle.push((mime.trim().to_string(), content.join("\n")));
            }
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    if !text.trim().is_empty() && !bundle.iter().any(|(m, _)| m == "text/plain") {
        bundle.push(("text/plain".into(), text.trim_end().to_string()));
    }
    bundle
}

/// What `show` prints on standard output, kept from the cell's output: the
/// descriptor is pointed at an anonymous file meanwhile, because a type's
/// `evcxr_display` prints wherever it likes.
#[cfg(target_os = "linux")]
fn captured(show: impl FnOnce()) -> String {
    use std::io::{Read, Seek};
    use std::os::fd::{FromRawFd, OwnedFd};
    extern "C" {
        fn memfd_create(name: *const std::ffi::c_char, flags: u32) -> i32;
        fn dup(fd: i32) -> i32;
        fn dup2(from: i32, to: i32) -> i32;
    }
    let _ = std::io::stdout().flush();
    // SAFETY: plain descriptor calls; each descriptor made is owned once.
    let (file, saved) = unsafe {
        let file = memfd_create(c"ndlens-display".as_ptr(), 0);
        let saved = dup(1);
        if file < 0 || saved < 0 || dup2(file, 1) < 0 {
            show();
            return String::new();
        }
        (std::fs::File::from(OwnedFd::from_raw_fd(file)), OwnedFd::from_raw_fd(saved))
    };
    show();
    let _ = std::io::stdout().flush();
    // SAFETY: `saved` is open; standard output gets its old target back.
    unsafe { dup2(std::os::fd::AsRawFd::as_raw_fd(&saved), 1) };
    let mut file = file;
    let mut printed = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut printed));
    printed
}

#[cfg(not(target_os = "linux"))]
fn captured(show: impl FnOnce()) -> String {
    show();
    String::new()
}

pub(crate) fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_a_bundle_and_loose_text_its_text() {
        let printed = format!("{BEGIN}image/svg+xml\n<svg>\n</svg>\n{END}\n{BEGIN}text/plain\nsvg\n{END}\n");
        assert_eq!(
            bundle(&printed),
            [("image/svg+xml".into(), "<svg>\n</svg>".into()), ("text/plain".into(), "svg".into())]
        );
        assert_eq!(bundle("hello\n"), [("text/plain".to_string(), "hello".to_string())]);
        assert!(bundle("").is_empty());
    }

    #[test]
    fn json_strings_escape_what_json_must() {
        let mut out = String::new();
        json_string(&mut out, "a \"b\"\n\\ \u{1}");
        assert_eq!(out, r#""a \"b\"\n\\ \u0001""#);
    }

    #[test]
    fn base64_pads_as_the_standard_says() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(&[0x89, b'P', b'N', b'G']), "iVBORw==");
    }
}
