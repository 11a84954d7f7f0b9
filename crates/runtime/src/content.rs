//! Rich output as evcxr's protocol frames it.
//!
//! A cell shows rich output by printing blocks to standard output, each
//! between `EVCXR_BEGIN_CONTENT <mime type>` and `EVCXR_END_CONTENT`. evcxr
//! reads them, and so does the ndlens kernel with either engine, so the
//! lens's diagrams and any type with an `evcxr_display` method show the
//! same everywhere. The kernel's own generated code reports results (a
//! timing, a panic) in blocks of private mime types, which the kernel takes
//! out before anything is shown.

use std::io::Write;

/// A panic in the session: its location on the first line, its message
/// after (see [`crate::panic`]).
pub const PANIC_MIME: &str = "application/vnd.ndlens.panic";
/// `%timeit`'s measurements: `{"loops": n, "runs": [s, ...]}`.
pub const TIMEIT_MIME: &str = "application/vnd.ndlens.timeit+json";
/// `%time`'s wall time in seconds.
pub const TIME_MIME: &str = "application/vnd.ndlens.time+json";
/// `%allocs`'s report: a [`crate::allocs::Report`] as JSON.
pub const ALLOCS_MIME: &str = "application/vnd.ndlens.allocs+json";
/// One `%whos` row per array: `name\tlayout`.
pub const WHOS_MIME: &str = "application/vnd.ndlens.whos";
/// One row per variable for the debugger: `name\tshort value\tlayout`
/// (the layout empty for what is not an array).
pub const VARIABLES_MIME: &str = "application/vnd.ndlens.variables";

/// The line that opens a block, before its mime type.
pub const BEGIN: &str = "EVCXR_BEGIN_CONTENT ";
/// The line that closes a block.
pub const END: &str = "EVCXR_END_CONTENT";

/// Prints `content` as one block of type `mime`, in one write.
///
/// ```
/// ndlens_runtime::content::emit("text/plain", "42");
/// ```
pub fn emit(mime: &str, content: &str) {
    let block = format!("{BEGIN}{mime}\n{content}\n{END}\n");
    let mut out = std::io::stdout().lock();
    // With standard output closed there is nowhere to show anything.
    let _ = out.write_all(block.as_bytes());
    let _ = out.flush();
}
