//! The table of every directive, and what reads it: the cell's parser,
//! completion of directive names and arguments, and the errors that name
//! the directives there are.

use super::{Context, Directive, Invocation, Usage, UsageError};
use crate::outcome::{CellOutcome, ErrorReport};

/// Every magic and every `:command`, in the order they are listed.
pub struct Table {
    pub magics: &'static [&'static dyn Directive],
    pub commands: &'static [&'static dyn Directive],
}

/// A part of a cell: a cell is Rust code and line directives in order, or
/// one cell magic.
#[derive(Debug)]
pub enum Piece {
    /// Rust code, with the line of the cell it starts on (from 1).
    Rust {
        code: String,
        first_line: usize,
    },
    Directive(Box<dyn Invocation>),
}

impl Table {
    /// Every form of every magic, then of every `:command`.
    pub fn usages(&self) -> impl Iterator<Item = (&'static dyn Directive, &'static Usage)> + '_ {
        self.magics
            .iter()
            .chain(self.commands)
            .flat_map(|&directive| directive.usages().iter().map(move |u| (directive, u)))
    }

    /// The forms of the magics (`%`, `%%`) alone.
    pub fn magic_usages(&self) -> impl Iterator<Item = &'static Usage> + '_ {
        self.magics.iter().flat_map(|m| m.usages())
    }

    /// The forms of the `:commands` alone.
    pub fn command_usages(&self) -> impl Iterator<Item = &'static Usage> + '_ {
        self.commands.iter().flat_map(|c| c.usages())
    }

    /// The widest synopsis, to align listings.
    pub fn synopsis_width(&self) -> usize {
        self.usages().map(|(_, u)| u.synopsis.len()).max().unwrap_or(0)
    }

    fn find(&self, name: &str) -> Result<(&'static dyn Directive, &'static Usage), UsageError> {
        self.usages().find(|(_, usage)| usage.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.magic_usages().map(|u| u.name).collect();
            UsageError {
                directive: name.to_string(),
                problem: format!("no such magic; the magics are {}", known.join(", ")),
                usage: None,
            }
        })
    }

    /// Splits a cell into Rust code and directives, to run in order.
    pub fn parse_cell(&self, cell: &str) -> Result<Vec<Piece>, UsageError> {
        if let Some(rest) = cell.trim_start().strip_prefix("%%") {
            let (first, body) = rest.split_once('\n').unwrap_or((rest, ""));
            let (name, args) = split_name(first);
            let (magic, usage) = self.find(&format!("%%{name}"))?;
            return Ok(vec![Piece::Directive(magic.parse(usage, args, body)?)]);
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
            match self.find(name) {
                Ok((found, usage)) => pieces.push(Piece::Directive(found.parse(usage, args, "")?)),
                // The engine may know a command the kernel does not.
                Err(_) if is_command => {
                    pieces.push(Piece::Directive(Box::new(EngineCommand { line: directive.to_string() })))
                }
                Err(e) => return Err(e),
            }
        }
        if !code.trim().is_empty() {
            pieces.push(Piece::Rust { code, first_line: code_start });
        }
        Ok(pieces)
    }

    /// Completions on a line that starts a directive, as `(matches, start)`
    /// with `start` the byte in `line` where the completed word begins;
    /// `None` when the line is not a directive's.
    pub fn complete(&self, line: &str) -> Option<(Vec<String>, usize)> {
        let indent = line.len() - line.trim_start().len();
        let typed = line.trim_start();
        let is_command = typed.strip_prefix(':').is_some_and(|rest| !rest.starts_with(':'));
        if !typed.starts_with('%') && !is_command {
            return None;
        }
        if !typed.contains(char::is_whitespace) {
            let matches =
                self.usages().map(|(_, u)| u.name.to_string()).filter(|name| name.starts_with(typed)).collect();
            return Some((matches, indent));
        }
        let (name, _) = typed.split_once(char::is_whitespace)?;
        let (found, _) = self.find(name).ok()?;
        let word_start = line.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let matches: Vec<String> =
            found.complete_argument(&line[word_start..]).into_iter().map(str::to_string).collect();
        Some((matches, word_start))
    }
}

fn split_name(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    }
}

/// A `:command` line the table does not know, for the engine to try.
#[derive(Debug)]
pub struct EngineCommand {
    pub line: String,
}

impl Invocation for EngineCommand {
    fn run(&self, Context { session, directives, .. }: Context<'_>) -> CellOutcome {
        let line = self.line.trim();
        match session.engine().command(line) {
            Some(run) => CellOutcome::from_evaluation(session.evaluation_of(run, line), line, |d| {
                crate::outcome::compile_error(line, d)
            }),
            None => {
                let name = line.split_whitespace().next().unwrap_or(line);
                let known: Vec<&str> = directives.command_usages().map(|u| u.name).collect();
                CellOutcome::error(ErrorReport::new(
                    "UsageError",
                    format!("{name}: no such command; the commands are {}", known.join(", ")),
                    Vec::new(),
                ))
            }
        }
    }
}
