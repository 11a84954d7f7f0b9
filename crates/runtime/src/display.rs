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

use std::collections::BTreeMap;
use std::io::Write as _;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::content::{BEGIN, END};

/// The start of a line that shows (or updates) a display.
pub const DISPLAY: &str = "NDLENS_DISPLAY ";
/// The start of a line that clears the cell's output.
pub const CLEAR_OUTPUT: &str = "NDLENS_CLEAR_OUTPUT ";

/// What follows [`DISPLAY`]: a display to show, or to update in place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayMessage {
    /// The id an update names; `None` for a display that is never updated.
    pub id: Option<String>,
    /// Whether this updates the display `id` where it was shown.
    pub update: bool,
    /// Mime type → content.
    pub data: BTreeMap<String, String>,
}

/// What follows [`CLEAR_OUTPUT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearOutput {
    /// Clear when the next output comes, rather than at once.
    pub wait: bool,
}

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
    line(CLEAR_OUTPUT, &ClearOutput { wait });
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
        crate::content::emit("image/png", &base64::engine::general_purpose::STANDARD.encode(&self.0));
    }
}

/// Sends what `show` prints as one display: new, or an update of `id`.
/// The macros call it.
pub fn send(id: Option<&dyn std::fmt::Display>, update: bool, show: impl FnOnce()) {
    let data: BTreeMap<String, String> = bundle(&captured(show)).into_iter().collect();
    if data.is_empty() {
        return;
    }
    line(DISPLAY, &DisplayMessage { id: id.map(|id| id.to_string()), update, data });
}

/// Prints `marker` and `message` as one line in one write; the kernel
/// finds the marker even after what the cell printed without a newline.
fn line(marker: &str, message: &impl Serialize) {
    let json = serde_json::to_string(message).expect("strings and flags serialize");
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{marker}{json}\n").as_bytes());
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
    fn a_display_is_one_line_of_json_whatever_its_content() {
        let message = DisplayMessage {
            id: Some("p".into()),
            update: true,
            data: BTreeMap::from([("text/html".into(), "<b>\"a\"</b>\n\\ \u{1}".into())]),
        };
        let json = serde_json::to_string(&message).unwrap();
        assert!(!json.contains('\n'), "{json}");
        assert_eq!(serde_json::from_str::<DisplayMessage>(&json).unwrap(), message);
    }
}
