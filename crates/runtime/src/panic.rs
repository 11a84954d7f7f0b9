//! The panic report.
//!
//! A panic in a cell is the cell's error, with its message and where it was
//! raised: the kernel places that in the cell when the panic came from the
//! cell's own code. The hook prints both as one [`PANIC_MIME`] block, which
//! the kernel takes out of the cell's output, instead of the default
//! message on standard error.
//!
//! [`PANIC_MIME`]: crate::content::PANIC_MIME

use crate::content;

/// Reports every panic of this process as a [`content::PANIC_MIME`] block:
/// `file:line:column` on the first line, the message after.
pub fn install_hook() {
    // Found now, not in the hook: finding it allocates, and a count may be
    // running when the hook runs.
    crate::allocs::find_ledger();
    std::panic::set_hook(Box::new(|info| {
        // What the report allocates is not the panicking statement's.
        crate::allocs::end_by_panic();
        let message = info.payload_as_str().unwrap_or("a panic with a non-text payload");
        let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())).unwrap_or_default();
        content::emit(content::PANIC_MIME, &format!("{location}\n{message}"));
    }));
}
