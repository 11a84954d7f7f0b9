//! How a cell ended, as the Jupyter protocol will carry it: a value to show
//! (mime type → content) or an error with a traceback.
//!
//! Both the cell's Rust code and its magics end here; the wording of each
//! kind of failure (a compile error, a panic, a lost process) is decided
//! once, in [`CellOutcome::from_evaluation`].

use std::collections::BTreeMap;

use crate::session::diagnostics::Diagnostic;
use crate::session::{interrupts, Evaluation, Failure};

/// Rich output: mime type → content.
pub type MimeBundle = BTreeMap<String, String>;

/// An error as the Jupyter protocol carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    pub ename: String,
    pub evalue: String,
    pub traceback: Vec<String>,
}

const RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

impl ErrorReport {
    /// An error whose traceback is a coloured headline, then `details`.
    pub fn new(ename: &str, evalue: impl Into<String>, mut details: Vec<String>) -> ErrorReport {
        let evalue = evalue.into();
        details.insert(0, format!("{RED}{ename}{RESET}: {evalue}"));
        ErrorReport { ename: ename.to_string(), evalue, traceback: details }
    }
}

/// How a cell, or a piece of one, ended.
#[derive(Debug, Default)]
pub struct CellOutcome {
    /// The value, shown as `execute_result`.
    pub result: Option<MimeBundle>,
    pub error: Option<ErrorReport>,
    /// Help to show in the front end's pager (a `page` payload), as
    /// IPython's `?NAME` does.
    pub page: Option<MimeBundle>,
}

impl CellOutcome {
    /// A value shown as plain text.
    pub fn text(text: impl Into<String>) -> CellOutcome {
        CellOutcome::value(BTreeMap::from([("text/plain".to_string(), text.into())]))
    }

    /// A value; an empty bundle shows nothing.
    pub fn value(bundle: MimeBundle) -> CellOutcome {
        CellOutcome { result: (!bundle.is_empty()).then_some(bundle), ..CellOutcome::default() }
    }

    pub fn error(report: ErrorReport) -> CellOutcome {
        CellOutcome { error: Some(report), ..CellOutcome::default() }
    }

    /// An evaluation's outputs as the value, or its failure as an error;
    /// `compile` words compile errors, which read differently for the
    /// user's code and for a magic's generated code.
    pub fn from_evaluation(
        evaluation: Evaluation,
        cell: &str,
        compile: impl FnOnce(&[Diagnostic]) -> ErrorReport,
    ) -> CellOutcome {
        let Evaluation { outputs, failure } = evaluation;
        match failure {
            None => CellOutcome::value(outputs),
            Some(failure) => CellOutcome::error(failure_report(failure, cell, compile)),
        }
    }
}

fn failure_report(failure: Failure, cell: &str, compile: impl FnOnce(&[Diagnostic]) -> ErrorReport) -> ErrorReport {
    match failure {
        Failure::Compile(diagnostics) => compile(&diagnostics),
        Failure::Panic { message, location, position } => {
            let interrupted = message == interrupts::PANIC_MESSAGE;
            let mut details = Vec::new();
            if position.is_some() {
                let at = Diagnostic {
                    code: None,
                    message: String::new(),
                    position,
                    label: if interrupted { "interrupted here" } else { "panicked here" }.into(),
                    help: Vec::new(),
                };
                details.extend(at.render(cell).into_iter().skip(1));
            }
            if let Some(location) = location.filter(|l| !l.starts_with("src/lib.rs")) {
                details.push(format!("panicked at {location}"));
            }
            details.push("The session's variables are kept; those this cell was defining are not.".to_string());
            if interrupted {
                let evalue = match position {
                    Some((line, column)) => format!("interrupted at line {line}, column {column}"),
                    None => "interrupted".to_string(),
                };
                return ErrorReport::new("KeyboardInterrupt", evalue, details);
            }
            let evalue = match position {
                Some((line, column)) => format!("{message} (line {line}, column {column})"),
                None => message,
            };
            ErrorReport::new("Panic", evalue, details)
        }
        Failure::Returned(message) => ErrorReport::new(
            "Error",
            message,
            vec!["A `?` at the top of the cell returned this error. The session's variables are kept; those this \
                  cell was defining are not."
                .to_string()],
        ),
        Failure::InterruptedBeforeRunning => ErrorReport::new(
            "KeyboardInterrupt",
            "interrupted while compiling: nothing ran",
            vec!["The session's variables are kept.".to_string()],
        ),
        Failure::ProcessLost { interrupted, lost, detail } => {
            let lost_text = if lost.is_empty() { "none were defined".to_string() } else { lost.join(", ") };
            let (ename, what) = if interrupted {
                ("Interrupted", "The cell was interrupted by stopping the session's process.".to_string())
            } else {
                (
                    "ProcessLost",
                    format!(
                        "The session's process stopped ({detail}): an abort, such as a failed allocation, ends it."
                    ),
                )
            };
            ErrorReport::new(
                ename,
                format!("{what} A new process has started; all variables were lost: {lost_text}."),
                vec!["Functions, types, `use` statements and :dep dependencies are kept.".to_string()],
            )
        }
        Failure::Engine(message) => ErrorReport::new("EngineError", message, Vec::new()),
    }
}

/// Compile errors in the user's own code: rustc's rendering, placed in the
/// cell.
pub fn compile_error(cell: &str, diagnostics: &[Diagnostic]) -> ErrorReport {
    let traceback = diagnostics.iter().flat_map(|d| d.render(cell)).collect();
    let evalue = diagnostics.first().map(Diagnostic::summary).unwrap_or_default();
    ErrorReport { ename: "CompileError".into(), evalue, traceback }
}
