//! Rich output in the protocol evcxr understands.
//!
//! evcxr calls a value's inherent `evcxr_display` method when a cell ends in
//! that value, and reads mime blocks from standard output between
//! `EVCXR_BEGIN_CONTENT <mime>` and `EVCXR_END_CONTENT`. Plain `evcxr`,
//! evcxr_jupyter and the ndlens kernel all render these blocks.

/// Prints each `(mime type, content)` pair as one evcxr content block.
pub(crate) fn emit(blocks: &[(&str, String)]) {
    use std::io::Write;
    let mut out = String::new();
    for (mime, content) in blocks {
        out.push_str("EVCXR_BEGIN_CONTENT ");
        out.push_str(mime);
        out.push('\n');
        out.push_str(content);
        out.push_str("\nEVCXR_END_CONTENT\n");
    }
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    // A closed stdout leaves nothing to show the output on; there is no one to tell.
    let _ = lock.write_all(out.as_bytes());
    let _ = lock.flush();
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A type name without module paths: `alloc::string::String` → `String`,
/// `num_complex::Complex<f64>` → `Complex<f64>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(""));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names() {
        assert_eq!(short_type_name("alloc::string::String"), "String");
        assert_eq!(short_type_name("num_complex::Complex<f64>"), "Complex<f64>");
        assert_eq!(short_type_name("(i32, core::option::Option<u8>)"), "(i32, Option<u8>)");
    }
}
