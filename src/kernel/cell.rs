//! Running one cell: its Rust code and magics in order, through the engine,
//! into what the front end shows.
//!
//! This is the only place that knows both the magics and the engine: the
//! magics module turns text into a [`Magic`] and a magic into code, the
//! engine runs code, and this module decides what each result looks like.

use std::collections::BTreeMap;

use crate::engine::diagnostics::Diagnostic;
use crate::engine::output::{Event, Router};
use crate::engine::{is_array_type, Engine, Evaluation, Failure, VIEW_TYPE_PREFIX};
use crate::magics::codegen::{self, TIMEIT_MIME, TIME_MIME, WHOS_MIME};
use crate::magics::timeit::{format_time, TimeitResult};
use crate::magics::{self, Magic, MagicError, Piece};

/// An error as the Jupyter protocol carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorReport {
    pub ename: String,
    pub evalue: String,
    pub traceback: Vec<String>,
}

/// How a cell ended.
#[derive(Debug, Default)]
pub struct CellOutcome {
    /// The cell's value, shown as `execute_result`: mime type → content.
    pub result: Option<BTreeMap<String, String>>,
    pub error: Option<ErrorReport>,
}

const RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

impl ErrorReport {
    fn new(ename: &str, evalue: String, mut details: Vec<String>) -> ErrorReport {
        details.insert(0, format!("{RED}{ename}{RESET}: {evalue}"));
        ErrorReport { ename: ename.to_string(), evalue, traceback: details }
    }

    fn usage(e: &MagicError) -> ErrorReport {
        let mut lines: Vec<String> = e.to_string().lines().map(str::to_string).collect();
        let evalue = lines.remove(0);
        ErrorReport::new("UsageError", evalue, lines)
    }
}

/// Runs `cell`; events shown along the way go through `router`.
pub fn run(engine: &mut Result<Engine, String>, cell: &str, router: &Router) -> CellOutcome {
    let engine = match engine {
        Ok(engine) => engine,
        Err(why) => {
            return CellOutcome { result: None, error: Some(ErrorReport::new("EngineError", why.clone(), Vec::new())) }
        }
    };
    let pieces = match magics::parse_cell(cell) {
        Ok(pieces) => pieces,
        Err(e) => return CellOutcome { result: None, error: Some(ErrorReport::usage(&e)) },
    };
    let count = pieces.len();
    let mut outcome = CellOutcome::default();
    for (i, piece) in pieces.into_iter().enumerate() {
        let piece_outcome = match piece {
            Piece::Rust { code, first_line } => rust(engine, cell, &code, first_line),
            Piece::Magic(magic) => run_magic(engine, &magic, router),
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

fn rust(engine: &mut Engine, cell: &str, code: &str, first_line: usize) -> CellOutcome {
    let evaluation = engine.eval(code, first_line);
    finish(evaluation, cell, |diagnostics| {
        let mut traceback = Vec::new();
        for d in diagnostics {
            traceback.extend(d.render(cell));
        }
        let evalue = diagnostics.first().map(Diagnostic::summary).unwrap_or_default();
        ErrorReport { ename: "CompileError".into(), evalue, traceback }
    })
}

/// An evaluation's outputs as the cell's value, or its failure as an error;
/// `compile` words compile errors, which differ between code and magics.
fn finish(evaluation: Evaluation, cell: &str, compile: impl FnOnce(&[Diagnostic]) -> ErrorReport) -> CellOutcome {
    let Evaluation { outputs, failure } = evaluation;
    let error = failure.map(|failure| match failure {
        Failure::Compile(diagnostics) => compile(&diagnostics),
        Failure::Panic { message, location, position } => {
            let mut details = Vec::new();
            if position.is_some() {
                let at = Diagnostic {
                    code: None,
                    message: String::new(),
                    position,
                    label: "panicked here".into(),
                    help: Vec::new(),
                };
                details.extend(at.render(cell).into_iter().skip(1));
            }
            if let Some(location) = location.filter(|l| !l.starts_with("src/lib.rs")) {
                details.push(format!("panicked at {location}"));
            }
            details.push("The session's variables are kept; those this cell was defining are not.".to_string());
            let evalue = match position {
                Some((line, column)) => format!("{message} (line {line}, column {column})"),
                None => message,
            };
            ErrorReport::new("Panic", evalue, details)
        }
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
    });
    let result = (!outputs.is_empty()).then_some(outputs);
    CellOutcome { result, error }
}

/// Compile errors in a magic's generated code, told against the magic.
fn magic_compile_error(name: &str, diagnostics: &[Diagnostic]) -> ErrorReport {
    let message = diagnostics.first().map(|d| d.message.clone()).unwrap_or_else(|| "did not compile".into());
    let mut details: Vec<String> = diagnostics.iter().skip(1).map(|d| d.message.clone()).collect();
    details.extend(diagnostics.iter().flat_map(|d| d.help.iter().map(|h| format!("help: {h}"))));
    if let Some(usage) = magics::usage(name) {
        details.push(format!("usage: {usage}"));
    }
    let what = if matches!(name, "%timeit" | "%time") { "the statement does not" } else { "the arguments do not" };
    ErrorReport::new("CompileError", format!("{name}: {what} compile: {message}"), details)
}

fn magic_name(magic: &Magic) -> &'static str {
    match magic {
        Magic::Aid(_) => "%aid",
        Magic::Shares(..) => "%shares",
        Magic::Layout(_) => "%layout",
        Magic::Timeit { .. } => "%timeit",
        Magic::Time { .. } => "%time",
        Magic::Whos => "%whos",
        Magic::Lsmagic => "%lsmagic",
    }
}

fn run_magic(engine: &mut Engine, magic: &Magic, router: &Router) -> CellOutcome {
    let name = magic_name(magic);
    match magic {
        Magic::Lsmagic => CellOutcome { result: Some(plain(magics::lsmagic())), error: None },
        Magic::Whos => whos(engine),
        _ => {
            let code = match codegen::generate(magic).expect("every other magic generates code") {
                Ok(code) => code,
                Err(e) => {
                    let e = MagicError {
                        magic: name.into(),
                        problem: format!("the statement is not Rust: {e}"),
                        usage: magics::usage(name),
                    };
                    return CellOutcome { result: None, error: Some(ErrorReport::usage(&e)) };
                }
            };
            let mut outcome = finish(engine.eval_generated(&code), "", |d| magic_compile_error(name, d));
            if let Some(result) = outcome.result.as_mut() {
                match magic {
                    Magic::Timeit { options, .. } => {
                        let measured = result.remove(TIMEIT_MIME).and_then(|json| TimeitResult::from_json(&json));
                        if let Some(measured) = measured {
                            if !options.quiet {
                                let mut text = String::new();
                                if let Some(warning) = measured.warning() {
                                    text.push_str(&warning);
                                    text.push('\n');
                                }
                                text.push_str(&measured.summary());
                                text.push('\n');
                                router.send(Event::Stdout(text));
                            }
                            if options.output {
                                result.insert("text/plain".into(), measured.repr());
                            }
                        }
                    }
                    Magic::Time { .. } => {
                        if let Some(seconds) = result.remove(TIME_MIME).and_then(|s| s.trim().parse::<f64>().ok()) {
                            router.send(Event::Stdout(format!("Wall time: {}\n", format_time(seconds))));
                        }
                    }
                    _ => {}
                }
            }
            if outcome.result.as_ref().is_some_and(BTreeMap::is_empty) {
                outcome.result = None;
            }
            outcome
        }
    }
}

fn plain(text: String) -> BTreeMap<String, String> {
    BTreeMap::from([("text/plain".to_string(), text)])
}

/// The short form of an evcxr type: `Array2<f64>` for an owned 2-D array.
fn short_type(ty: &str) -> String {
    if let Some(rest) = ty.strip_prefix("ArrayBase<ndarray::OwnedRepr<") {
        if let Some((elem, dims)) = rest.split_once(">, Dim<[usize; ") {
            if let Some((n, _)) = dims.split_once(']') {
                return format!("Array{n}<{elem}>");
            }
        }
    }
    ndlens::rich::short_type_name(ty)
}

/// `%whos`: a table of the session's variables, with each array's layout.
fn whos(engine: &mut Engine) -> CellOutcome {
    let variables = engine.variables();
    if variables.is_empty() {
        return CellOutcome { result: Some(plain("Interactive namespace is empty.".into())), error: None };
    }
    let arrays: Vec<String> =
        variables.iter().filter(|(_, ty)| is_array_type(ty)).map(|(name, _)| name.clone()).collect();
    let mut layouts: BTreeMap<String, String> = BTreeMap::new();
    if !arrays.is_empty() {
        let evaluation = engine.eval_generated(&codegen::whos(&arrays));
        if let Some(failure) = evaluation.failure {
            let outcome = finish(Evaluation { outputs: BTreeMap::new(), failure: Some(failure) }, "", |d| {
                magic_compile_error("%whos", d)
            });
            return outcome;
        }
        if let Some(rows) = evaluation.outputs.get(WHOS_MIME) {
            for row in rows.lines() {
                if let Some((name, layout)) = row.split_once('\t') {
                    layouts.insert(name.to_string(), layout.to_string());
                }
            }
        }
    }
    let rows: Vec<[String; 3]> = variables
        .iter()
        .map(|(name, ty)| {
            let ty = match ty.strip_prefix(VIEW_TYPE_PREFIX) {
                Some(expr) => format!("view = {expr}"),
                None => short_type(ty),
            };
            [name.clone(), ty, layouts.get(name).cloned().unwrap_or_default()]
        })
        .collect();
    let header = ["Variable".to_string(), "Type".to_string(), "Data/Info".to_string()];
    let widths: Vec<usize> =
        (0..3).map(|c| rows.iter().chain([&header]).map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let line = |r: &[String; 3]| {
        format!("{:<w0$}   {:<w1$}   {}", r[0], r[1], r[2], w0 = widths[0], w1 = widths[1]).trim_end().to_string()
    };
    let mut text = line(&header);
    text.push('\n');
    text.push_str(&"-".repeat(widths[0] + widths[1] + widths[2] + 6));
    for r in &rows {
        text.push('\n');
        text.push_str(&line(r));
    }
    let escape = ndlens::rich::escape;
    let mut html =
        String::from("<table class=\"ndlens-whos\"><tr><th>Variable</th><th>Type</th><th>Data/Info</th></tr>");
    for r in &rows {
        html.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&r[0]),
            escape(&r[1]),
            escape(&r[2])
        ));
    }
    html.push_str("</table>");
    CellOutcome { result: Some(BTreeMap::from([("text/plain".into(), text), ("text/html".into(), html)])), error: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_types_read_short() {
        assert_eq!(short_type("ArrayBase<ndarray::OwnedRepr<f64>, Dim<[usize; 2]>, f64>"), "Array2<f64>");
    }

    #[test]
    fn usage_errors_put_the_problem_first() {
        let e = MagicError { magic: "%aid".into(), problem: "which array?".into(), usage: Some("%aid EXPR") };
        let report = ErrorReport::usage(&e);
        assert_eq!(report.ename, "UsageError");
        assert_eq!(report.evalue, "%aid: which array?");
        assert_eq!(report.traceback[1], "usage: %aid EXPR");
    }
}
