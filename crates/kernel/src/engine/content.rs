//! evcxr's content blocks, as the kernel's own generated code writes them.
//!
//! evcxr reads rich output from the session process's standard output
//! between `EVCXR_BEGIN_CONTENT <mime>` and `EVCXR_END_CONTENT` lines, and
//! hands it over as mime type → content. Values in the lens print such
//! blocks themselves; the kernel's generated code prints them under private
//! mime types to send results back (timings, `%whos` rows, panics), which
//! the kernel takes out of the outputs before anything is shown.

/// A panic in the session: its location on the first line, its message
/// after.
pub const PANIC_MIME: &str = "application/vnd.ndlens.panic";
/// `%timeit`'s measurements: `{"loops": n, "runs": [s, ...]}`.
pub const TIMEIT_MIME: &str = "application/vnd.ndlens.timeit+json";
/// `%time`'s wall time in seconds.
pub const TIME_MIME: &str = "application/vnd.ndlens.time+json";
/// One `%whos` row per array: `name\tlayout`.
pub const WHOS_MIME: &str = "application/vnd.ndlens.whos";

/// A Rust statement that prints the value of `content_expr` (any
/// `Display`) as one content block of type `mime`.
pub fn print_block(mime: &str, content_expr: &str) -> String {
    format!("println!(\"EVCXR_BEGIN_CONTENT {mime}\\n{{}}\\nEVCXR_END_CONTENT\", {content_expr});")
}

/// Code for the session's process that reports every panic to the kernel
/// as a [`PANIC_MIME`] block, so that the cell's reply can say `error`
/// (evcxr itself only notes that a panic happened).
pub fn panic_hook() -> String {
    let report = print_block(PANIC_MIME, "format!(\"{location}\\n{message}\")");
    format!(
        "std::panic::set_hook(Box::new(|info| {{\n    \
             let message = info.payload_as_str().unwrap_or(\"a panic with a non-text payload\");\n    \
             let location = info.location().map(|l| format!(\"{{}}:{{}}:{{}}\", l.file(), l.line(), l.column())).unwrap_or_default();\n    \
             {report}\n\
         }}));"
    )
}

/// The environment variable of the session's process that asks
/// [`debug_display`] for `{:#?}` (evcxr's `:fmt {:#?}`).
pub const PRETTY_DEBUG_VARIABLE: &str = "NDLENS_PRETTY_DEBUG";

/// Code for the session that gives every `Debug` value an `evcxr_display`.
///
/// evcxr shows a cell's final value by compiling `(value).evcxr_display()`
/// first and, when that fails to compile, compiling the cell again with a
/// `Debug` fallback (`code_with_fallback` in evcxr's `eval_context.rs`): a
/// cell ending in `1 + 1` or `a.sum()` is built twice. With this trait in
/// the session the first build succeeds. Method resolution still prefers a
/// type's own `evcxr_display` (the lens's `Layout`, `Diagram`, ...) for a
/// value; only a cell that ends in a *reference* to such a type now shows
/// its `Debug` text.
pub fn debug_display() -> String {
    let report = print_block("text/plain", "text");
    format!(
        "trait __NdlensShowDebug {{ fn evcxr_display(&self); }}\n\
         impl<T: ::std::fmt::Debug + ?Sized> __NdlensShowDebug for T {{\n    \
             fn evcxr_display(&self) {{\n        \
                 let text = match ::std::env::var_os({PRETTY_DEBUG_VARIABLE:?}) {{\n            \
                     Some(_) => format!(\"{{:#?}}\", self),\n            \
                     None => format!(\"{{:?}}\", self),\n        \
                 }};\n        \
                 {report}\n    \
             }}\n\
         }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_framed_as_evcxr_reads_them() {
        assert_eq!(
            print_block(TIME_MIME, "t"),
            "println!(\"EVCXR_BEGIN_CONTENT application/vnd.ndlens.time+json\\n{}\\nEVCXR_END_CONTENT\", t);"
        );
    }

    #[test]
    fn the_debug_display_is_rust() {
        let code = debug_display();
        assert!(syn::parse_file(&code).is_ok(), "{code}");
    }

    #[test]
    fn the_panic_hook_is_rust() {
        let hook = panic_hook();
        assert!(crate::syntax::statements(&hook).is_ok(), "{hook}");
        assert!(hook.contains(PANIC_MIME));
    }
}
