//! What magics and `:commands` are made of: the [`Directive`] trait, its
//! parsed [`Invocation`], the [`Usage`] it is listed and checked by, and
//! the [`Table`] of them all.
//!
//! A `%magic` and a `:command` are the same kind of thing, as ripgrep's
//! flags are: each is one value implementing [`Directive`], with its names,
//! synopses and help, how it parses its arguments into a typed
//! [`Invocation`], and what it completes. `crate::magics` and
//! `crate::commands` each hold a list of them and import their parts from
//! here; this room imports neither, so that `%lsmagic` and `:help`, which
//! list everything, get the table through their [`Context`] rather than by
//! naming the lists. The parser, completion and error messages read the
//! table and nothing else ([`table`]).

pub mod args;
pub mod table;

use std::fmt;

use crate::engine::output::Router;
use crate::outcome::{CellOutcome, ErrorReport};
use crate::session::diagnostics::Diagnostic;
use crate::session::Session;

pub use table::{Piece, Table};

/// One magic, or one `:command`.
pub trait Directive: Sync {
    /// Its forms (`%name` for a line magic, `%%name` for a cell magic,
    /// `:name` for a command), each with its synopsis and help.
    fn usages(&self) -> &'static [Usage];

    /// Parses one use of the form `usage`: `args` is the rest of the
    /// directive's line, `body` the lines under it (empty for a line
    /// magic).
    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, UsageError>;

    /// Completions for `word`, the argument being typed.
    fn complete_argument(&self, _word: &str) -> Vec<&'static str> {
        Vec::new()
    }
}

/// What an invocation runs with.
pub struct Context<'a> {
    pub session: &'a mut Session,
    /// Where what it shows along the way goes.
    pub show: &'a Router,
    /// Every magic and command, for those that list or name them.
    pub directives: &'a Table,
}

/// A parsed use of a directive, ready to run.
pub trait Invocation: fmt::Debug + Send {
    fn run(&self, cx: Context<'_>) -> CellOutcome;
}

/// One form of a directive, as `%lsmagic` and `:help` list it.
#[derive(Debug)]
pub struct Usage {
    /// `%timeit`, `%%timeit` or `:dep`.
    pub name: &'static str,
    /// `%timeit [-n N] [-r R] [-q] [-o] STATEMENT`.
    pub synopsis: &'static str,
    /// One line of help.
    pub help: &'static str,
}

impl Usage {
    /// A mistake in using this form, with the synopsis shown under it.
    pub fn error(&self, problem: impl Into<String>) -> UsageError {
        UsageError { directive: self.name.to_string(), problem: problem.into(), usage: Some(self.synopsis) }
    }

    /// Compile errors in this directive's generated code, told against the
    /// directive: `subject` is what the user gave it ("the statement does
    /// not", "the arguments do not").
    pub fn compile_error(&self, subject: &str, diagnostics: &[Diagnostic]) -> ErrorReport {
        let message = diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| "did not compile".into());
        let mut details: Vec<String> = diagnostics.iter().skip(1).map(|d| d.message.clone()).collect();
        details.extend(diagnostics.iter().flat_map(|d| d.help.iter().map(|h| format!("help: {h}"))));
        details.push(format!("usage: {}", self.synopsis));
        ErrorReport::new("CompileError", format!("{}: {subject} compile: {message}", self.name), details)
    }

    /// Runs a directive's generated `code`, with its compile errors told
    /// against the directive.
    pub fn run(&self, session: &mut Session, subject: &str, code: &str) -> CellOutcome {
        CellOutcome::from_evaluation(session.eval_generated(code), "", |d| self.compile_error(subject, d))
    }
}

/// What directives whose arguments are expressions say of a compile error.
pub const ARGUMENTS: &str = "the arguments do not";
/// What directives that run statements say of a compile error.
pub const STATEMENT: &str = "the statement does not";

/// A directive that could not be parsed: which one, why, and how to use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError {
    pub directive: String,
    pub problem: String,
    pub usage: Option<&'static str>,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.directive, self.problem)?;
        if let Some(usage) = self.usage {
            write!(f, "\nusage: {usage}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UsageError {}

impl UsageError {
    /// As the protocol shows it: the problem as `evalue`, the usage under.
    pub fn report(&self) -> ErrorReport {
        let mut lines: Vec<String> = self.to_string().lines().map(str::to_string).collect();
        let evalue = lines.remove(0);
        ErrorReport::new("UsageError", evalue, lines)
    }
}
