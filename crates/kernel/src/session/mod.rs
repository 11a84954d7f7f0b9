//! The session: an [`Engine`] with what the kernel adds above every engine.
//!
//! - the prelude: ndarray, the lens and the runtime in scope, and each
//!   session process set up (panic report, interrupt handler, `:fmt`);
//! - remembered views ([`views`]): a `let` that borrows another variable is
//!   kept as the expression that derives it;
//! - interrupt checks ([`interrupts`]) at the head of the cell's loops and
//!   closures;
//! - compile errors and panics placed at the user's line and column
//!   ([`diagnostics`]), and a lost process reported with the variables it
//!   took ([`variables`]);
//! - one thread that owns the session and runs the front end's jobs in
//!   order ([`handle`]), and the choice of engine when it starts
//!   ([`start`]).
//!
//! This room imports the engine's seam ([`crate::engine`]) and nothing
//! above it: the magics, the commands and the protocol use the session,
//! never the other way round.

pub mod diagnostics;
pub mod handle;
pub mod interrupts;
pub mod start;
pub mod variables;
pub mod views;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ndlens_runtime::inspect::Reading;

use self::diagnostics::Diagnostic;
use self::variables::Variable;
use self::views::{Adoption, DerivedViews, Edit, Rewritten};
use crate::engine::{Assembly, AssemblyOf, Checks, Documentation, Engine, EngineConfig, Run, RunFailure, StartError};
use crate::syntax;

/// What running some code came to, placed in the user's cell.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Rich output of the code's final value: mime type → content.
    pub outputs: BTreeMap<String, String>,
    pub failure: Option<Failure>,
}

#[derive(Debug)]
pub enum Failure {
    /// The code did not compile.
    Compile(Vec<Diagnostic>),
    /// The code panicked; the session's earlier variables are intact.
    /// `position` is the line and column in the cell, when the panic was
    /// raised by the cell's own code; `location` is where it was raised
    /// otherwise (inside a library).
    Panic { message: String, location: Option<String>, position: Option<(usize, usize)> },
    /// A `?` at the top of the cell met this error.
    Returned(String),
    /// An interrupt stopped the cell before it ran (while compiling).
    InterruptedBeforeRunning,
    /// The session's process stopped (interrupted, aborted, out of memory):
    /// its variables are gone.
    ProcessLost { interrupted: bool, lost: Vec<String>, detail: String },
    /// The engine refused the request (a bad `:dep`, say), or could not start.
    Engine(String),
}

pub struct Session {
    engine: Box<dyn Engine>,
    views: DerivedViews,
    config: EngineConfig,
    /// Whether `:fmt {:#?}` is in force.
    pretty_debug: bool,
    checks: Checks,
    /// Set by the engine's handle when an interrupt ended the process, for
    /// the error to say so.
    interrupted: Arc<AtomicBool>,
    /// Set by the engine's handle while the debugger is on: the cells that
    /// derive views, or change their owners, note them for its Variables
    /// panel ([`views`]), when the engine reads notes.
    noting_views: Arc<AtomicBool>,
    /// What the user should hear with the first cell: why this session
    /// builds its libraries itself, say.
    notices: Vec<String>,
    /// The code of the last compile error, for `:explain`.
    last_error_code: Option<String>,
}

/// The prelude's `use` lines: what every cell can name without a path, and
/// the `Debug` display of values, which spares evcxr its second compile of
/// a cell whose value has no `evcxr_display` of its own.
const PRELUDE_USES: &str =
    "use ndarray::prelude::*;\nuse ndlens::prelude::*;\nuse ndlens_runtime::prelude::*;\nuse ndlens_runtime::show::ShowDebug as _;";

impl Session {
    /// Starts a session on `engine`: runs the prelude. `interrupted` and
    /// `noting_views` are set from other threads (see the fields).
    pub fn start(
        engine: Box<dyn Engine>,
        config: EngineConfig,
        notices: Vec<String>,
        interrupted: Arc<AtomicBool>,
        noting_views: Arc<AtomicBool>,
    ) -> Result<Session, StartError> {
        let mut session = Session {
            engine,
            views: DerivedViews::default(),
            config,
            pretty_debug: false,
            checks: Checks::Off,
            interrupted,
            noting_views,
            notices,
            last_error_code: None,
        };
        let prelude = format!("{PRELUDE_USES}\n{}", process_setup(false));
        let run = session.engine.run(&prelude);
        if let Some(failure) = run.failure {
            let error =
                StartError::Prelude { kernel_dir: session.config.kernel_dir.clone(), message: format!("{failure:?}") };
            return Err(error.after(&session.notices));
        }
        Ok(session)
    }

    /// The engine, for the `:commands` that act on it directly.
    pub fn engine(&mut self) -> &mut dyn Engine {
        self.engine.as_mut()
    }

    /// How many times code was compiled since the last call: the cost of a
    /// cell, reported to clients in the reply's metadata.
    pub fn take_compilations(&mut self) -> usize {
        self.engine.take_compilations()
    }

    /// The debugger's readings of the variables the engine reads without
    /// compiling ([`Engine::read_variables`]): kept values of common types,
    /// and views the cells that derived them noted, unchanged since.
    pub fn read_without_compiling(&mut self) -> BTreeMap<String, Reading> {
        let kept =
            self.engine.variables().into_iter().map(|(name, _)| name).filter(|name| !name.starts_with("__ndlens"));
        let names: Vec<String> = kept.chain(self.views.noted().map(|v| v.name.clone())).collect();
        let readings = self.engine.read_variables(&names);
        names.into_iter().zip(readings).filter_map(|(name, reading)| Some((name, reading?))).collect()
    }

    /// Whether the cells' own code is compiled with overflow checks and
    /// debug assertions.
    pub fn checks(&self) -> Checks {
        self.checks
    }

    /// Compiles the cells from the next one on with `checks`.
    pub fn set_checks(&mut self, checks: Checks) -> anyhow::Result<()> {
        self.engine.set_checks(checks)?;
        self.checks = checks;
        Ok(())
    }

    /// What the user has yet to hear about how the session started.
    pub fn take_notices(&mut self) -> Vec<String> {
        let mut notices = std::mem::take(&mut self.notices);
        notices.extend(self.engine.take_notices());
        notices
    }

    /// The session's variables, sorted by name, then the remembered views,
    /// without the kernel's own bindings.
    pub fn variables(&self) -> Vec<Variable> {
        let mut values: Vec<Variable> = self
            .engine
            .variables()
            .into_iter()
            .filter(|(name, _)| !name.starts_with("__ndlens"))
            .map(|(name, ty)| Variable::Value { name, ty })
            .collect();
        values.sort_by(|a, b| a.name().cmp(b.name()));
        values.extend(
            self.views.iter().map(|v| Variable::View { name: v.name.clone(), expression: v.expression.clone() }),
        );
        values
    }

    /// The names of the session's variables, to name what a lost process
    /// took with it.
    fn variable_names(&self) -> Vec<String> {
        self.variables().iter().map(|v| v.name().to_string()).collect()
    }

    /// Forgets every variable, view and item; the prelude runs again.
    pub fn clear(&mut self) -> Result<(), String> {
        self.engine.clear()?;
        self.views.clear();
        self.after_new_process("clearing the session", true);
        Ok(())
    }

    /// Starts a new session process: the variables are lost, items kept.
    pub fn restart(&mut self) -> Result<(), String> {
        self.engine.restart()?;
        self.views.clear();
        self.after_new_process("restarting the session's process", false);
        Ok(())
    }

    /// Runs `original`, Rust code as typed (starting on line `first_line`
    /// of the cell). A last `let` without its semicolon gets one.
    pub fn eval(&mut self, original: &str, first_line: usize) -> Evaluation {
        let original = &*syntax::with_final_semicolon(original);
        self.views.forget_rebound(original);
        let plain = self.views.expand(original);
        // The cell's own loops and closures check for interrupts, and the
        // views of the owners it names are noted again as it ends; should
        // either keep it from compiling, it runs as written.
        let noting = self.noting_views.load(Ordering::SeqCst) && self.engine.reads_notes();
        let mut points = interrupts::points(original);
        let touched = if noting { self.views.touched_by(&plain.code) } else { Vec::new() };
        points.extend(self.views.renoting(original, &touched));
        let checked = (!points.is_empty()).then(|| {
            points.push(Edit::insert(0, interrupts::RESET));
            self.views.expand_with(original, points)
        });
        let before = self.variable_names();
        let mut rewritten = checked.clone().unwrap_or_else(|| plain.clone());
        let mut run = self.engine.run(&rewritten.code);
        let mut renoted = if checked.is_some() { touched } else { Vec::new() };
        if checked.is_some() && matches!(run.failure, Some(RunFailure::Compile(_))) {
            run = self.engine.run(&plain.code);
            rewritten = plain;
            renoted.clear();
        }
        // A view that borrows its owner cannot be kept: remember it as the
        // expression that derives it, and run the cell without keeping it.
        // An engine may tell them one compile at a time.
        let mut adopted: Vec<String> = Vec::new();
        while let Some(RunFailure::Borrowed(borrowed)) = &run.failure {
            if borrowed.iter().all(|name| adopted.contains(name)) {
                break;
            }
            adopted.extend(borrowed.iter().cloned());
            renoted.clear();
            let mut views = self.views.clone();
            let adoption = if noting { Adoption::Noted } else { Adoption::Blanked };
            let Some(adopting) = views.adopt(original, &adopted, adoption) else { break };
            // Adopting views runs the cell without interrupt checks.
            run = self.engine.run(&adopting.code);
            rewritten = adopting;
            if noting && matches!(run.failure, Some(RunFailure::Compile(_))) {
                views = self.views.clone();
                let Some(blanked) = views.adopt(original, &adopted, Adoption::Blanked) else { break };
                run = self.engine.run(&blanked.code);
                rewritten = blanked;
            }
            let ran = !matches!(
                run.failure,
                Some(
                    RunFailure::Compile(_) | RunFailure::Borrowed(_) | RunFailure::Interrupted | RunFailure::Refused(_)
                )
            );
            if ran {
                self.views = views;
            }
        }
        if !matches!(run.failure, Some(RunFailure::Compile(_))) {
            // What the cell may have changed, besides deriving its views.
            let without_views = self.views.clone().adopt(original, &adopted, Adoption::Blanked);
            let ran = without_views.map_or_else(|| self.views.expand(original).code, |r| r.code);
            // A cell that stopped early may not have reached its notes.
            let noted_here = if run.failure.is_none() { [adopted.clone(), renoted].concat() } else { Vec::new() };
            self.views.forget_notes_touched_by(&ran, &noted_here);
            if run.failure.is_some() {
                self.views.forget_notes(&adopted);
            }
        }
        self.evaluation(run, original, &rewritten, first_line, before)
    }

    /// What an engine's own run of `code` (a `:command` it answers) came to.
    pub fn evaluation_of(&mut self, run: Run, code: &str) -> Evaluation {
        self.views.forget_notes_touched_by(code, &[]);
        let before = self.variable_names();
        self.evaluation(run, code, &Rewritten::apply(code, Vec::new()), 1, before)
    }

    /// The machine code of `of`, compiled as the cells are and not run
    /// (an expression sees the remembered views as the cells do); a
    /// failure comes as the evaluation a cell's would be.
    pub fn assembly(&mut self, of: AssemblyOf<'_>) -> Result<Assembly, Evaluation> {
        let expanded;
        let of = match of {
            AssemblyOf::Expression(code) => {
                expanded = self.views.expand(code).code;
                AssemblyOf::Expression(&expanded)
            }
            items => items,
        };
        let code = match of {
            AssemblyOf::Items { code, .. } | AssemblyOf::Expression(code) => code.to_string(),
        };
        let compiled = self.engine.assembly(of);
        compiled.map_err(|failure| self.evaluation_of(Run::failed(failure), &code))
    }

    /// The code of the last compile error, for `:explain`.
    pub fn last_error_code(&self) -> Option<String> {
        self.last_error_code.clone()
    }

    /// Shows values with `{:#?}` (true) or `{:?}` (the session's own
    /// `Debug` display, [`ndlens_runtime::show`]) from the next cell on.
    pub fn set_pretty_debug(&mut self, pretty: bool) {
        if pretty != self.pretty_debug {
            self.pretty_debug = pretty;
            let run = self.engine.run(&pretty_debug_statement(pretty));
            if let Some(failure) = run.failure {
                eprintln!("ndlens: could not follow :fmt in the session: {failure:?}");
            }
        }
    }

    /// Runs code the kernel generated (a magic's), reporting compile errors
    /// without positions: they would point into generated code.
    pub fn eval_generated(&mut self, code: &str) -> Evaluation {
        let expanded = self.views.expand(code).code;
        self.views.forget_notes_touched_by(&expanded, &[]);
        self.eval_reading(code)
    }

    /// [`Session::eval_generated`] for code that only reads the variables
    /// (the debugger's): the views' notes stay current.
    pub fn eval_reading(&mut self, code: &str) -> Evaluation {
        let rewritten = self.views.expand(code);
        let before = self.variable_names();
        let run = self.engine.run(&rewritten.code);
        self.generated_evaluation(run, code, &rewritten, before)
    }

    /// Runs a magic's generated code that runs the user's statements once,
    /// as they wrote them (`%time`, `%allocs`): their loops and closures
    /// check for interrupts as a cell's do. `%timeit` has none, so that
    /// its timed loops are the statement's alone.
    pub fn eval_generated_statements(&mut self, code: &str) -> Evaluation {
        let expanded = self.views.expand(code).code;
        self.views.forget_notes_touched_by(&expanded, &[]);
        let mut points = interrupts::points(code);
        if points.is_empty() {
            return self.eval_generated(code);
        }
        points.push(Edit::insert(0, interrupts::RESET));
        let checked = self.views.expand_with(code, points);
        let before = self.variable_names();
        let run = self.engine.run(&checked.code);
        if matches!(run.failure, Some(RunFailure::Compile(_))) {
            return self.eval_generated(code);
        }
        self.generated_evaluation(run, code, &checked, before)
    }

    fn generated_evaluation(&mut self, run: Run, code: &str, rewritten: &Rewritten, before: Vec<String>) -> Evaluation {
        let mut evaluation = self.evaluation(run, code, rewritten, 1, before);
        match &mut evaluation.failure {
            Some(Failure::Compile(diagnostics)) => diagnostics.iter_mut().for_each(|d| d.position = None),
            Some(Failure::Panic { position, .. }) => *position = None,
            _ => {}
        }
        evaluation
    }

    fn evaluation(
        &mut self,
        run: Run,
        original: &str,
        rewritten: &Rewritten,
        first_line: usize,
        before: Vec<String>,
    ) -> Evaluation {
        let Run { outputs, failure } = run;
        let place = |position: Option<(usize, usize)>| {
            position.map(|(line, column)| (line + first_line - 1, rewritten.original_column(original, line, column)))
        };
        let failure = failure.map(|failure| match failure {
            RunFailure::Compile(errors) => Failure::Compile(
                errors.iter().map(|e| Diagnostic::locate(e, original, rewritten, first_line)).collect(),
            ),
            RunFailure::Borrowed(names) => Failure::Compile(
                names
                    .iter()
                    .map(|name| Diagnostic {
                        code: None,
                        message: format!(
                            "`{name}` borrows from another variable, so it cannot be kept; make it a plain \
                             `let {name} = ...;` at the top of the cell to have it remembered as a view, or keep \
                             it inside braces"
                        ),
                        position: None,
                        label: String::new(),
                        help: Vec::new(),
                    })
                    .collect(),
            ),
            RunFailure::Panic { message, location, position } => {
                Failure::Panic { message, location, position: place(position) }
            }
            RunFailure::Returned(message) => Failure::Returned(message),
            RunFailure::Interrupted => Failure::InterruptedBeforeRunning,
            RunFailure::ProcessLost(detail) => {
                let interrupted = self.interrupted.swap(false, Ordering::SeqCst);
                self.views.clear();
                self.after_new_process("setting up the new session process after a restart", false);
                Failure::ProcessLost { interrupted, lost: before, detail }
            }
            RunFailure::Refused(message) => Failure::Engine(message),
        });
        Evaluation { outputs, failure }
    }

    /// A new session process has none of the old one's runtime state: set
    /// it up again, in one compilation. After `:clear` the prelude's `use`
    /// lines are gone too.
    fn after_new_process(&mut self, doing: &str, with_uses: bool) {
        let mut code = process_setup(self.pretty_debug);
        if with_uses {
            code = format!("{PRELUDE_USES}\n{code}");
        }
        if let Some(failure) = self.engine.run(&code).failure {
            eprintln!("ndlens: {doing}: {failure:?}");
        }
    }

    /// Completions from the engine: `(matches, start, end)` in bytes.
    pub fn complete(&mut self, code: &str, position: usize) -> (Vec<String>, usize, usize) {
        let (code, shift) = self.with_views(code);
        let completions = self.engine.complete(&code, position + shift);
        let back = |at: usize| at.saturating_sub(shift);
        (completions.matches, back(completions.start), back(completions.end))
    }

    /// Documentation for what is under the cursor.
    pub fn hover(&mut self, code: &str, position: usize) -> Option<Documentation> {
        let (code, shift) = self.with_views(code);
        self.engine.hover(&code, position + shift)
    }

    /// `code` after a `let` for each remembered view, so that an engine's
    /// analysis knows their types; and how many bytes that added.
    fn with_views(&self, code: &str) -> (String, usize) {
        let lets: String = self.views.iter().map(|v| format!("let {} = {};\n", v.name, v.expression)).collect();
        let shift = lets.len();
        (lets + code, shift)
    }
}

/// What each session process needs set, in one piece of code: the panic
/// report, the interrupt handler, and `:fmt {:#?}` if it is in force.
fn process_setup(pretty_debug: bool) -> String {
    format!(
        "ndlens_runtime::panic::install_hook();\nndlens_runtime::interrupt::install_handler();\n{}",
        pretty_debug_statement(pretty_debug)
    )
}

fn pretty_debug_statement(pretty: bool) -> String {
    format!("ndlens_runtime::show::set_pretty_debug({pretty});")
}

/// A statement that prints the value of `expression` (any `Display`) as
/// one content block of type `mime`: how generated code reports back.
pub fn emit_statement(mime: &str, expression: &str) -> String {
    format!("ndlens_runtime::content::emit({mime:?}, &::std::string::ToString::to_string(&({expression})));")
}
