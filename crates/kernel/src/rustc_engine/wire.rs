//! What the kernel and its session process say to each other: one JSON
//! object a line, over a socket of their own. The cells' standard output
//! and error stay the process's own, read by the kernel as the cell runs;
//! each run ends with a [`mark`] on both, written after the cell returned,
//! so the kernel knows when it has read all a run printed.

use std::path::PathBuf;

use ndlens_runtime::inspect::Reading;
use serde::{Deserialize, Serialize};

/// The file descriptor of the socket to the kernel in the session process,
/// where the engine puts it when it starts the process.
pub const SOCKET_FD: i32 = 3;

/// The kernel's requests.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Load the cell library at `library` and run its entry point; `run`
    /// numbers the marks that end its output. `transient`: nothing in the
    /// cell's code can leave a pointer into it behind (a thread, a hook, a
    /// leaked or `'static` value), so it may be unloaded after its run if
    /// it took and stored no variable and started no thread.
    Run { library: PathBuf, run: u64, transient: bool },
    /// Drop these variables.
    Drop { names: Vec<String> },
    /// Read these variables for the debugger, with the session library's
    /// [`Reader`](ndlens_runtime::inspect::Reader); nothing is compiled.
    Read { names: Vec<String> },
}

/// The session process's replies, one per request.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    Ran {
        outcome: Outcome,
        /// Variables the cell took and did not give back: moved, dropped.
        removed: Vec<String>,
        /// Variables the cell stored, in order.
        stored: Vec<Stored>,
    },
    Dropped,
    /// The readings of [`Request::Read`]'s names, in order: `None` for a
    /// variable the session does not hold or the reader cannot read.
    Read {
        readings: Vec<Option<Reading>>,
    },
    /// Sent while a cell runs, not in reply: the cell reads standard
    /// input; the kernel writes the [`Answer`](crate::engine::output::Answer)
    /// to the process's standard input.
    Input {
        prompt: String,
        password: bool,
    },
}

/// How a cell's run ended.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Finished,
    /// A `?` at the cell's top level met this error, or its variables were
    /// not what it was compiled for.
    Failed(String),
    /// The panic hook reported where and why on standard output.
    Panicked,
    /// The library could not be loaded, or is not a cell of this kernel.
    NotLoaded(String),
}

/// A variable a cell stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub name: String,
    /// `std::any::type_name` of its value.
    pub type_name: String,
    pub mutable: bool,
}

/// What ends run `run`'s output on each stream: a line of its own, starting
/// with a character no text a person prints starts with.
pub fn mark(run: u64) -> String {
    format!("\u{1}ndlens-end {run}\n")
}

/// The run number of a mark at the end of `line` (which may hold text the
/// cell printed without a newline before it), and that text.
pub fn split_mark(line: &str) -> Option<(&str, u64)> {
    let at = line.find("\u{1}ndlens-end ")?;
    let run = line[at..].trim_start_matches('\u{1}').strip_prefix("ndlens-end ")?.trim_end().parse().ok()?;
    Some((&line[..at], run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_found_after_unfinished_text() {
        assert_eq!(split_mark(&mark(7)), Some(("", 7)));
        assert_eq!(split_mark(&format!("no newline{}", mark(8))), Some(("no newline", 8)));
        assert_eq!(split_mark("plain text\n"), None);
    }
}
