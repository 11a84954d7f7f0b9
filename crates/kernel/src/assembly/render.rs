//! Functions of a listing as `%asm` shows them: each with its summary
//! line, its instructions with symbols demangled, packed and scalar
//! arithmetic marked, and the source line they come from written above
//! them whenever it changes, from the cell, the crates' sources or the
//! standard library's (the `rust-src` component).

use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use html_escape::encode_text as escape;

use super::arithmetic::{Arithmetic, Summary};
use super::{demangle, names_in, Function, Line};

/// The most instruction lines shown; past them, the functions left are
/// counted, not listed.
pub const MAX_LINES: usize = 3000;

/// Where source lines are read from.
pub struct Sources<'a> {
    /// The name the listing gives the cell's crate, and its text.
    cell: (&'a str, &'a str),
    /// The standard library's sources, for `/rustc/<hash>/library/...`.
    standard_library: Option<PathBuf>,
    files: HashMap<String, Option<Vec<String>>>,
}

impl<'a> Sources<'a> {
    pub fn new(cell_file: &'a str, cell_source: &'a str, standard_library: Option<PathBuf>) -> Sources<'a> {
        Sources { cell: (cell_file, cell_source), standard_library, files: HashMap::new() }
    }

    /// Where `path` is read from on this machine.
    fn local(&self, path: &str) -> PathBuf {
        if let (Some(rest), Some(library)) = (path.strip_prefix("/rustc/"), &self.standard_library) {
            if let Some((_, inside)) = rest.split_once("/library/") {
                return library.join(inside);
            }
        }
        PathBuf::from(path)
    }

    /// `path` shortened to what a reader needs: the crate and its file.
    fn short(&self, path: &str) -> String {
        if path.ends_with(self.cell.0) {
            return "cell".into();
        }
        // The standard library's sources, and the crates the install
        // vendored for the session libraries.
        for folder in ["/library/", "/vendor/"] {
            if let Some((_, inside)) = path.rsplit_once(folder) {
                return inside.to_string();
            }
        }
        let parts: Vec<&str> = path.split('/').collect();
        // A crate's folder is `name-1.2.3`; show the path from it.
        let from = parts
            .iter()
            .rposition(|p| p.rsplit_once('-').is_some_and(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit())));
        match from {
            Some(i) => parts[i..].join("/"),
            None => Path::new(path).file_name().map_or(path.to_string(), |f| f.to_string_lossy().into_owned()),
        }
    }

    /// The text of line `line` (1-based) of `path`, trimmed.
    fn line(&mut self, path: &str, line: u32) -> Option<String> {
        let lines = if path.ends_with(self.cell.0) {
            self.cell.1.lines().nth(line as usize - 1).map(str::to_string)
        } else {
            let local = self.local(path);
            let file = self.files.entry(path.to_string()).or_insert_with(|| {
                std::fs::read_to_string(local).ok().map(|text| text.lines().map(str::to_string).collect())
            });
            file.as_ref().and_then(|lines| lines.get(line as usize - 1).cloned())
        };
        lines.map(|text| text.trim().to_string())
    }
}

/// Operands with each mangled symbol demangled.
fn readable(operands: &str) -> String {
    let mut out = operands.to_string();
    for name in names_in(operands) {
        if name.starts_with("_ZN") || name.starts_with("_R") {
            out = out.replace(name, &demangle(name));
        }
    }
    out
}

/// One line of a rendering.
enum Piece {
    Heading(String, Summary),
    Source(String),
    Label(String),
    Instruction(String, Option<Arithmetic>),
    Note(String),
}

fn pieces(
    functions: &[&Function],
    files: &std::collections::BTreeMap<u32, String>,
    sources: &mut Sources,
) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut shown = 0;
    for (index, function) in functions.iter().enumerate() {
        if shown >= MAX_LINES {
            let lines: usize = functions[index..].iter().map(|f| f.lines.len()).sum();
            out.push(Piece::Note(format!(
                "… {} more functions ({lines} lines) not shown: the listing stops at {MAX_LINES} lines",
                functions.len() - index
            )));
            break;
        }
        out.push(Piece::Heading(function.name.clone(), Summary::of(function)));
        let mut last_at = None;
        for line in &function.lines {
            match line {
                Line::Label(label) => out.push(Piece::Label(label.clone())),
                Line::Instruction(instruction) => {
                    if let Some((file, number)) = instruction.at.filter(|_| instruction.at != last_at) {
                        last_at = instruction.at;
                        if let Some(path) = files.get(&file) {
                            if let Some(text) = sources.line(path, number) {
                                out.push(Piece::Source(format!("{}:{number}  {text}", sources.short(path))));
                            }
                        }
                    }
                    let text = format!("{:<8}{}", instruction.mnemonic, readable(&instruction.operands));
                    out.push(Piece::Instruction(text.trim_end().to_string(), Arithmetic::of(&instruction.mnemonic)));
                    shown += 1;
                }
            }
        }
    }
    out
}

/// The functions as text: headings with summaries, `; source` lines,
/// labels at the margin, instructions indented, arithmetic marked.
pub fn text(functions: &[&Function], files: &std::collections::BTreeMap<u32, String>, sources: &mut Sources) -> String {
    let mut out = String::new();
    for piece in pieces(functions, files, sources) {
        let _ = match piece {
            Piece::Heading(name, summary) => writeln!(out, "\n{name}: {summary}"),
            Piece::Source(source) => writeln!(out, "        ; {source}"),
            Piece::Label(label) => writeln!(out, "{label}:"),
            Piece::Instruction(text, Some(Arithmetic::Packed)) => writeln!(out, "    {text:<40} # packed"),
            Piece::Instruction(text, Some(Arithmetic::Scalar)) => writeln!(out, "    {text:<40} # scalar"),
            Piece::Instruction(text, None) => writeln!(out, "    {text}"),
            Piece::Note(note) => writeln!(out, "{note}"),
        };
    }
    out.trim_start().to_string()
}

/// The functions as HTML: the same lines, packed arithmetic on blue,
/// scalar on orange, source lines in grey.
pub fn html(functions: &[&Function], files: &std::collections::BTreeMap<u32, String>, sources: &mut Sources) -> String {
    let mut out = String::from("<div class=\"ndlens-asm\">");
    let mut open = false;
    for piece in pieces(functions, files, sources) {
        let _ = match piece {
            Piece::Heading(name, summary) => {
                if open {
                    out.push_str("</pre>");
                }
                open = true;
                write!(out, "<p><code><b>{}</b></code>: {}</p><pre style=\"line-height:1.25\">", escape(&name), escape(&summary.to_string()))
            }
            Piece::Source(source) => {
                writeln!(out, "<span class=\"source\" style=\"color:#6a737d;font-style:italic\">        ; {}</span>", escape(&source))
            }
            Piece::Label(label) => writeln!(out, "<span style=\"color:#8250df\">{}:</span>", escape(&label)),
            Piece::Instruction(text, Some(Arithmetic::Packed)) => writeln!(
                out,
                "<span class=\"packed\" style=\"background:#cfe2f3\" title=\"packed SIMD: several elements at once\">    {}</span>",
                escape(&text)
            ),
            Piece::Instruction(text, Some(Arithmetic::Scalar)) => writeln!(
                out,
                "<span class=\"scalar\" style=\"background:#fce5cd\" title=\"scalar: one element\">    {}</span>",
                escape(&text)
            ),
            Piece::Instruction(text, None) => writeln!(out, "    {}", escape(&text)),
            Piece::Note(note) => writeln!(out, "{}", escape(&note)),
        };
    }
    if open {
        out.push_str("</pre>");
    }
    out.push_str(
        "<p><em>Packed SIMD arithmetic on blue, scalar on orange; source lines in grey where the line tables \
         give them.</em></p></div>",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::Listing;
    use super::*;

    #[test]
    fn source_lines_arithmetic_and_symbols_are_shown() {
        let listing = Listing::parse(super::super::tests::LISTING);
        let source =
            "extern crate ndlens_session as _;\n\nfn double(x: &mut [f64]) {\n    for v in x { *v *= 2.0; }\n}\n";
        let mut sources = Sources::new("cell-abc.rs", source, None);
        let functions = listing.reachable(&["double".into()]);
        let text = text(&functions, &listing.files, &mut sources);
        assert!(text.starts_with("ndlens_cell::double: 0 packed, 0 scalar; no vector register"), "{text}");
        assert!(text.contains("; cell:4  for v in x { *v *= 2.0; }"), "{text}");
        assert!(text.contains("jmp     ndarray::sum"), "{text}");
        assert!(text.contains("# packed") && text.contains("# scalar"), "{text}");
        assert!(text.contains("call    qword ptr [rip + core::panicking::panic@GOTPCREL]"), "{text}");
        let html = html(&functions, &listing.files, &mut sources);
        assert!(html.contains("class=\"packed\"") && html.contains("<b>ndarray::sum</b>"), "{html}");
    }

    #[test]
    fn paths_are_shortened_to_their_crate() {
        let sources = Sources::new("cell-abc.rs", "", Some(PathBuf::from("/sysroot/lib/rustlib/src/rust/library")));
        assert_eq!(
            sources.short("/r/.cargo/registry/src/index-1/ndarray-0.17.2/src/numeric/impl_numeric.rs"),
            "ndarray-0.17.2/src/numeric/impl_numeric.rs"
        );
        assert_eq!(sources.short("/rustc/abc123/library/core/src/iter/range.rs"), "core/src/iter/range.rs");
        assert_eq!(
            sources.short("/k/ndlens/prebuilt/vendor/ndarray/src/numeric_util.rs"),
            "ndarray/src/numeric_util.rs"
        );
        assert_eq!(
            sources.local("/rustc/abc123/library/core/src/iter/range.rs"),
            PathBuf::from("/sysroot/lib/rustlib/src/rust/library/core/src/iter/range.rs")
        );
    }
}
