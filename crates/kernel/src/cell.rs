//! What the front end asks of a cell's text: run it, complete it, inspect
//! it, or say whether it is complete.
//!
//! This is the only place that knows the magics, the commands and the
//! session together: [`DIRECTIVES`] turns text into invocations, the
//! session runs code, and this module puts them in order. The protocol
//! layer calls these functions and knows nothing of either.

use std::collections::BTreeMap;

use crate::commands::COMMANDS;
use crate::directive::{Context, Piece, Table};
use crate::engine::output::{Event, Router};
use crate::magics::MAGICS;
use crate::outcome::{self, CellOutcome, ErrorReport, MimeBundle};
use crate::session::Session;
use crate::syntax;

/// Every magic and command the kernel knows.
pub static DIRECTIVES: Table = Table { magics: MAGICS, commands: COMMANDS };

/// Runs `cell`: its Rust code and magics in order. Events shown along the
/// way go through `router`.
pub fn run(session: &mut Session, cell: &str, router: &Router) -> CellOutcome {
    for notice in session.take_notices() {
        router.send(Event::Stderr(format!("ndlens: {notice}\n")));
    }
    if let Some(report) = too_deep(cell) {
        return CellOutcome::error(report);
    }
    if let Some(subject) = help_request(cell) {
        return help(session, subject);
    }
    let pieces = match DIRECTIVES.parse_cell(cell) {
        Ok(pieces) => pieces,
        Err(e) => return CellOutcome::error(e.report()),
    };
    let count = pieces.len();
    let mut outcome = CellOutcome::default();
    for (i, piece) in pieces.into_iter().enumerate() {
        let piece_outcome = match piece {
            Piece::Rust { code, first_line } => {
                CellOutcome::from_evaluation(session.eval(&code, first_line), cell, |diagnostics| {
                    outcome::compile_error(cell, diagnostics)
                })
            }
            Piece::Directive(directive) => {
                directive.run(Context { session: &mut *session, show: router, directives: &DIRECTIVES })
            }
        };
        if piece_outcome.error.is_some() {
            return piece_outcome;
        }
        // Only the last piece's value is the cell's value; earlier values are
        // shown as they come, as IPython does with display().
        match (i + 1 == count, piece_outcome.result) {
            (true, result) => outcome.result = result,
            (false, Some(shown)) => router.send(Event::Display(shown)),
            (false, None) => {}
        }
    }
    outcome
}

/// `?NAME`, IPython's request for help on one name or path. Only the
/// prefix form: `expr?` is Rust's `?` operator.
fn help_request(cell: &str) -> Option<&str> {
    let subject = cell.trim().strip_prefix('?')?.trim();
    let one_path = !subject.is_empty() && !subject.contains(['\n', ';']) && syntax::lexes(subject).is_ok();
    one_path.then_some(subject)
}

/// The engine's documentation of `subject`, for the pager.
fn help(session: &mut Session, subject: &str) -> CellOutcome {
    let page = match session.hover(subject, subject.len()) {
        Some(doc) => BTreeMap::from([("text/plain".to_string(), doc.text), ("text/html".to_string(), doc.html)]),
        None => BTreeMap::from([("text/plain".to_string(), format!("No documentation found for `{subject}`."))]),
    };
    CellOutcome { page: Some(page), ..CellOutcome::default() }
}

/// The error for code nested deeper than the kernel reads, before any
/// parser sees it.
fn too_deep(code: &str) -> Option<ErrorReport> {
    let depth = syntax::nesting_depth(code);
    (depth > syntax::MAX_NESTING).then(|| {
        ErrorReport::new(
            "NestingError",
            format!(
                "brackets nest {depth} deep here; the kernel reads code nested at most {} deep",
                syntax::MAX_NESTING
            ),
            Vec::new(),
        )
    })
}

/// The values of an execute request's `user_expressions`, each as a mime
/// bundle or an error.
pub fn user_expressions(
    session: &mut Session,
    expressions: &std::collections::HashMap<String, String>,
) -> BTreeMap<String, Result<MimeBundle, ErrorReport>> {
    expressions
        .iter()
        .map(|(name, expression)| {
            if let Some(report) = too_deep(expression) {
                return (name.clone(), Err(report));
            }
            let outcome = CellOutcome::from_evaluation(session.eval_generated(expression), expression, |d| {
                outcome::compile_error(expression, d)
            });
            let value = match outcome.error {
                Some(e) => Err(e),
                None => Ok(outcome.result.unwrap_or_default()),
            };
            (name.clone(), value)
        })
        .collect()
}

/// Completions that need no engine: a magic's name or its flags, as
/// `(matches, start, end)` in bytes of `code`.
pub fn complete_magic(code: &str, cursor: usize) -> Option<(Vec<String>, usize, usize)> {
    let line_start = code[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let (matches, start) = DIRECTIVES.complete(&code[line_start..cursor])?;
    Some((matches, line_start + start, cursor))
}

/// Completions of Rust code, from the engine.
pub fn complete_rust(session: &mut Session, code: &str, cursor: usize) -> (Vec<String>, usize, usize) {
    if too_deep(code).is_some() {
        return (Vec::new(), cursor, cursor);
    }
    session.complete(code, cursor)
}

/// What to show for the word under `cursor` (bytes): a session variable's
/// type, and an array's layout; otherwise the engine's documentation.
pub fn inspect(session: &mut Session, code: &str, cursor: usize) -> Option<MimeBundle> {
    if too_deep(code).is_some() {
        return None;
    }
    let word = word_at(code, cursor);
    let variable = session.variables().into_iter().find(|v| v.name() == word);
    let documentation = match &variable {
        Some(v) if v.is_array() => {
            let evaluation = session.eval_generated(&format!("ndlens::layout(&({word}))"));
            (evaluation.failure.is_none() && !evaluation.outputs.is_empty()).then_some(evaluation.outputs)
        }
        _ => session
            .hover(code, cursor)
            .map(|doc| BTreeMap::from([("text/plain".to_string(), doc.text), ("text/html".to_string(), doc.html)])),
    };
    let Some(variable) = variable else { return documentation };
    let heading = format!("{word}: {}", variable.display_type());
    let mut bundle = documentation.unwrap_or_default();
    let text = bundle.remove("text/plain").map_or(heading.clone(), |t| format!("{heading}\n{t}"));
    let html = bundle.remove("text/html").unwrap_or_default();
    let escaped = html_escape::encode_text(&heading).into_owned();
    Some(BTreeMap::from([
        ("text/plain".to_string(), text),
        ("text/html".to_string(), format!("<p><code>{escaped}</code></p>{html}")),
    ]))
}

/// The identifier around `cursor` (bytes) in `code`.
fn word_at(code: &str, cursor: usize) -> &str {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = code[..cursor].rfind(|c| !is_word(c)).map_or(0, |i| i + 1);
    let end = code[cursor..].find(|c| !is_word(c)).map_or(code.len(), |i| cursor + i);
    &code[start..end]
}

/// Whether a cell can run as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    /// An open bracket, string or comment: the front end should wait for
    /// more lines.
    Incomplete,
    Invalid,
}

pub fn completeness(code: &str) -> Completeness {
    if too_deep(code).is_some() {
        return Completeness::Invalid;
    }
    if code.trim_start().starts_with('%') || syntax::lexes(code).is_ok() {
        Completeness::Complete
    } else if unclosed(code) {
        Completeness::Incomplete
    } else {
        Completeness::Invalid
    }
}

/// Whether closing brackets or a quote at the end would make `code` lex.
fn unclosed(code: &str) -> bool {
    let mut open = Vec::new();
    for c in code.chars() {
        match c {
            '(' => open.push(')'),
            '[' => open.push(']'),
            '{' => open.push('}'),
            ')' | ']' | '}' if open.last() == Some(&c) => {
                open.pop();
            }
            _ => {}
        }
    }
    let closing: String = open.iter().rev().collect();
    [closing.clone(), format!("\"{closing}"), format!("*/{closing}")]
        .iter()
        .any(|end| syntax::lexes(&format!("{code}{end}")).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_brackets_and_strings_ask_for_more() {
        assert_eq!(completeness("let a = 1;"), Completeness::Complete);
        assert_eq!(completeness("fn f() {"), Completeness::Incomplete);
        assert_eq!(completeness("let s = \"abc"), Completeness::Incomplete);
        assert_eq!(completeness("let x = );"), Completeness::Invalid);
        assert_eq!(completeness("%timeit a.sum()"), Completeness::Complete);
    }

    #[test]
    fn code_nested_too_deep_is_refused_before_parsing() {
        let deep = "(".repeat(5000) + &")".repeat(5000);
        assert_eq!(completeness(&deep), Completeness::Invalid);
        let report = too_deep(&deep).unwrap();
        assert_eq!(report.ename, "NestingError");
        assert!(report.evalue.starts_with("brackets nest 5000 deep here"));
        assert!(too_deep("vec![(1, 2)]").is_none());
    }

    #[test]
    fn help_is_a_question_mark_before_a_path() {
        assert_eq!(help_request("?Vec::new"), Some("Vec::new"));
        assert_eq!(help_request("  ? ndlens::tile \n"), Some("ndlens::tile"));
        assert_eq!(help_request("x?"), None);
        assert_eq!(help_request("?a; b"), None);
        assert_eq!(help_request("?"), None);
    }

    #[test]
    fn the_word_under_the_cursor() {
        assert_eq!(word_at("a.sum() + m_2", 12), "m_2");
        assert_eq!(word_at("let v = m.t();", 8), "m");
    }

    #[test]
    fn magics_complete_on_their_own_line() {
        assert_eq!(complete_magic("let a = 1;\n%ai", 14), Some((vec!["%aid".to_string()], 11, 14)));
        assert_eq!(complete_magic("a.su", 4), None);
    }

    #[test]
    fn every_form_is_listed_once() {
        let names: Vec<&str> = DIRECTIVES.usages().map(|(_, u)| u.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        for name in ["%aid", "%shares", "%layout", "%timeit", "%%timeit", "%time", "%%time", "%whos", "%lsmagic"] {
            assert!(names.contains(&name), "{name}");
        }
    }
}
