//! The magics: `%aid`, `%shares`, `%layout`, `%explore`, `%timeit`/`%%timeit`,
//! `%time`/`%%time`, `%allocs`/`%%allocs`, `%whos`, `%lsmagic`.
//!
//! Each magic is one file holding one [`Magic`]: its names, synopses and
//! help, how it parses its arguments into a typed [`Invocation`], the code it
//! runs in the session, how its result is shown, and what it completes.
//! [`MAGICS`] lists them all, and [`crate::commands::COMMANDS`] the
//! `:commands`, which are the same kind of thing; `%lsmagic`, completion,
//! the parser and the error messages read those tables and nothing else.
//! Adding a magic is a new file and a line in the table.

mod aid;
mod allocs;
mod args;
mod checks;
mod explore;
mod layout;
mod lsmagic;
mod shares;
mod time;
mod timeit;
mod timing;
mod whos;

use std::fmt;

use crate::engine::diagnostics::Diagnostic;
use crate::engine::output::Router;
use crate::engine::Session;
use crate::outcome::{CellOutcome, ErrorReport};

pub use args::Expression;

/// Every magic the kernel knows, in the order `%lsmagic` lists them.
pub static MAGICS: &[&dyn Magic] = &[
    &aid::Aid,
    &shares::Shares,
    &layout::Layout,
    &explore::Explore,
    &timeit::Timeit,
    &time::Time,
    &allocs::Allocs,
    &whos::Whos,
    &checks::ChecksMagic,
    &lsmagic::Lsmagic,
];

/// One magic, or one `:command`.
pub trait Magic: Sync {
    /// Its forms (`%name` for a line magic, `%%name` for a cell magic), each
    /// with its synopsis and help.
    fn usages(&self) -> &'static [Usage];

    /// Parses one use of the form `usage`: `args` is the rest of the magic's
    /// line, `body` the lines under it (empty for a line magic).
    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, MagicError>;

    /// Completions for `word`, the argument being typed.
    fn complete_argument(&self, _word: &str) -> Vec<&'static str> {
        Vec::new()
    }
}

/// A parsed use of a magic, ready to run.
pub trait Invocation: fmt::Debug + Send {
    /// Runs in the session; `show` takes what is printed along the way.
    fn run(&self, session: &mut Session, show: &Router) -> CellOutcome;
}

/// One form of a magic, as `%lsmagic` lists it.
#[derive(Debug)]
pub struct Usage {
    /// `%timeit` or `%%timeit`.
    pub name: &'static str,
    /// `%timeit [-n N] [-r R] [-q] [-o] STATEMENT`.
    pub synopsis: &'static str,
    /// One line of help.
    pub help: &'static str,
}

impl Usage {
    /// A mistake in using this form, with the synopsis shown under it.
    pub fn error(&self, problem: impl Into<String>) -> MagicError {
        MagicError { magic: self.name.to_string(), problem: problem.into(), usage: Some(self.synopsis) }
    }

    /// Compile errors in this magic's generated code, told against the
    /// magic: `subject` is what the user gave it ("the statement does not",
    /// "the arguments do not").
    fn compile_error(&self, subject: &str, diagnostics: &[Diagnostic]) -> ErrorReport {
        let message = diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| "did not compile".into());
        let mut details: Vec<String> = diagnostics.iter().skip(1).map(|d| d.message.clone()).collect();
        details.extend(diagnostics.iter().flat_map(|d| d.help.iter().map(|h| format!("help: {h}"))));
        details.push(format!("usage: {}", self.synopsis));
        ErrorReport::new("CompileError", format!("{}: {subject} compile: {message}", self.name), details)
    }

    /// Runs a magic's generated `code`, with its compile errors told
    /// against the magic.
    fn run(&self, session: &mut Session, subject: &str, code: &str) -> CellOutcome {
        CellOutcome::from_evaluation(session.eval_generated(code), "", |d| self.compile_error(subject, d))
    }
}

/// What magics whose arguments are expressions say of a compile error.
const ARGUMENTS: &str = "the arguments do not";
/// What magics that run statements say of a compile error.
const STATEMENT: &str = "the statement does not";

/// A magic that could not be parsed: which one, why, and how to use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicError {
    pub magic: String,
    pub problem: String,
    pub usage: Option<&'static str>,
}

impl fmt::Display for MagicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.magic, self.problem)?;
        if let Some(usage) = self.usage {
            write!(f, "\nusage: {usage}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MagicError {}

impl MagicError {
    /// As the protocol shows it: the problem as `evalue`, the usage under.
    pub fn report(&self) -> ErrorReport {
        let mut lines: Vec<String> = self.to_string().lines().map(str::to_string).collect();
        let evalue = lines.remove(0);
        ErrorReport::new("UsageError", evalue, lines)
    }
}

/// Every form of every magic, then of every `:command`.
pub fn usages() -> impl Iterator<Item = (&'static dyn Magic, &'static Usage)> {
    MAGICS
        .iter()
        .chain(crate::commands::COMMANDS)
        .flat_map(|&magic| magic.usages().iter().map(move |usage| (magic, usage)))
}

fn find(name: &str) -> Result<(&'static dyn Magic, &'static Usage), MagicError> {
    usages().find(|(_, usage)| usage.name == name).ok_or_else(|| {
        let known: Vec<&str> = usages().map(|(_, usage)| usage.name).filter(|n| n.starts_with('%')).collect();
        MagicError {
            magic: name.to_string(),
            problem: format!("no such magic; the magics are {}", known.join(", ")),
            usage: None,
        }
    })
}

/// A part of a cell: a cell is Rust code and line magics in order, or one
/// cell magic.
#[derive(Debug)]
pub enum Piece {
    /// Rust code, with the line of the cell it starts on (from 1).
    Rust {
        code: String,
        first_line: usize,
    },
    Magic(Box<dyn Invocation>),
}

/// Splits a cell into Rust code and magics, to run in order.
pub fn parse_cell(cell: &str) -> Result<Vec<Piece>, MagicError> {
    if let Some(rest) = cell.trim_start().strip_prefix("%%") {
        let (first, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let (name, args) = split_name(first);
        let (magic, usage) = find(&format!("%%{name}"))?;
        return Ok(vec![Piece::Magic(magic.parse(usage, args, body)?)]);
    }
    let mut pieces = Vec::new();
    let mut code = String::new();
    let mut code_start = 1;
    for (number, line) in cell.lines().enumerate() {
        let directive = line.trim_start();
        let is_command =
            directive.strip_prefix(':').is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_alphabetic()));
        if !directive.starts_with('%') && !is_command {
            code.push_str(line);
            code.push('\n');
            continue;
        }
        if !code.trim().is_empty() {
            pieces.push(Piece::Rust { code: std::mem::take(&mut code), first_line: code_start });
        }
        code.clear();
        code_start = number + 2;
        let (name, args) = split_name(directive);
        match find(name) {
            Ok((magic, usage)) => pieces.push(Piece::Magic(magic.parse(usage, args, "")?)),
            // The engine may know a command the kernel does not.
            Err(_) if is_command => {
                pieces.push(Piece::Magic(Box::new(crate::commands::EngineCommand { line: directive.to_string() })))
            }
            Err(e) => return Err(e),
        }
    }
    if !code.trim().is_empty() {
        pieces.push(Piece::Rust { code, first_line: code_start });
    }
    Ok(pieces)
}

fn split_name(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    }
}

/// Completions on a line that starts a magic, as `(matches, start)` with
/// `start` the byte in `line` where the completed word begins; `None` when
/// the line is not a magic's.
pub fn complete(line: &str) -> Option<(Vec<String>, usize)> {
    let indent = line.len() - line.trim_start().len();
    let typed = line.trim_start();
    let is_command = typed.strip_prefix(':').is_some_and(|rest| !rest.starts_with(':'));
    if !typed.starts_with('%') && !is_command {
        return None;
    }
    if !typed.contains(char::is_whitespace) {
        let matches = usages().map(|(_, u)| u.name.to_string()).filter(|name| name.starts_with(typed)).collect();
        return Some((matches, indent));
    }
    let (name, _) = typed.split_once(char::is_whitespace)?;
    let (magic, _) = find(name).ok()?;
    let word_start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let matches: Vec<String> = magic.complete_argument(&line[word_start..]).into_iter().map(str::to_string).collect();
    Some((matches, word_start))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one magic of `cell`, as its debug form.
    pub(super) fn only_magic(cell: &str) -> Result<String, MagicError> {
        let mut pieces = parse_cell(cell)?;
        match (pieces.len(), pieces.pop()) {
            (1, Some(Piece::Magic(m))) => Ok(format!("{m:?}")),
            other => panic!("expected one magic, got {other:?}"),
        }
    }

    #[test]
    fn mistakes_name_the_magic_and_show_its_usage() {
        let e = only_magic("%shares a").unwrap_err();
        assert_eq!(e.to_string(), "%shares: takes two arrays, got 1\nusage: %shares A, B");
        let e = only_magic("%aid").unwrap_err();
        assert!(e.to_string().starts_with("%aid: which array?"));
        let e = only_magic("%layout a, (b").unwrap_err();
        assert!(e.to_string().starts_with("%layout: `a, (b` is not a list of Rust expressions"), "{e}");
        let e = only_magic("%nosuch x").unwrap_err();
        assert!(e.to_string().starts_with("%nosuch: no such magic; the magics are %aid, %shares"));
        let e = only_magic("%%timeit\n").unwrap_err();
        assert!(e.to_string().contains("nothing to time"));
        let e = only_magic("%%aid a\n").unwrap_err();
        assert!(e.to_string().starts_with("%%aid: no such magic"), "{e}");
    }

    #[test]
    fn usage_errors_put_the_problem_first() {
        let report = only_magic("%aid").unwrap_err().report();
        assert_eq!(report.ename, "UsageError");
        assert_eq!(report.evalue, "%aid: which array? It needs one expression");
        assert_eq!(report.traceback[1], "usage: %aid EXPR");
    }

    #[test]
    fn line_magics_interleave_with_code() {
        let pieces = parse_cell("let a = 1;\n%aid a\nlet b = 2;\n").unwrap();
        let shown: Vec<String> = pieces.iter().map(|p| format!("{p:?}")).collect();
        assert_eq!(shown.len(), 3);
        assert!(matches!(&pieces[0], Piece::Rust { code, first_line: 1 } if code == "let a = 1;\n"));
        assert!(shown[1].contains("source: \"a\""), "{}", shown[1]);
        assert!(matches!(&pieces[2], Piece::Rust { code, first_line: 3 } if code == "let b = 2;\n"));
    }

    #[test]
    fn completion_offers_magic_names_then_their_arguments() {
        assert_eq!(complete("%ti").unwrap(), (vec!["%timeit".to_string(), "%time".to_string()], 0));
        assert_eq!(complete("%timeit -").unwrap(), (vec!["-n".into(), "-r".into(), "-q".into(), "-o".into()], 8));
        assert_eq!(complete("%timeit -q").unwrap().0, vec!["-q".to_string()]);
        assert_eq!(complete("  %lsm").unwrap(), (vec!["%lsmagic".to_string()], 2));
        assert!(complete("let a = 1;").is_none());
    }

    #[test]
    fn every_form_is_listed_once() {
        let names: Vec<&str> = usages().map(|(_, u)| u.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        for name in ["%aid", "%shares", "%layout", "%timeit", "%%timeit", "%time", "%%time", "%whos", "%lsmagic"] {
            assert!(names.contains(&name), "{name}");
        }
    }
}
