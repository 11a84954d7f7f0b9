//! The engine: evcxr's evaluation context, owned by one thread, with what
//! the kernel adds to it: the session prelude (ndarray and ndlens loaded),
//! remembered views, compile errors placed in the user's cell, panics
//! reported as errors, and interrupts.
//!
//! Creating the context and loading the prelude take seconds, so they run on
//! the engine's thread while the front end already answers `kernel_info`;
//! requests that need the engine wait in its queue.

pub mod content;
pub mod diagnostics;
pub mod environment;
pub mod interrupts;
pub mod output;
pub mod prebuilt;
pub mod profile;
pub mod slots;
pub mod variables;
pub mod views;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evcxr::{CommandContext, Error as EvcxrError};

use crate::sync::lock;
use content::PANIC_MIME;
use diagnostics::Diagnostic;
use output::Router;
pub use variables::Variable;
use views::{DerivedViews, Edit, Rewritten};

/// Where the engine finds the ndlens library to load in every session, the
/// folder evcxr builds cells in, and how.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub lens_dir: PathBuf,
    pub crate_dir: PathBuf,
    pub build: profile::CellBuild,
    /// What the user should hear with the first cell: why this session
    /// builds its libraries itself, say.
    pub notices: Vec<String>,
}

/// Sets up where this kernel's session builds: a slot of its own, seeded
/// from the prebuilt libraries installed with the lens in `lens_dir`.
/// Returns the slot, which must be held as long as the session runs.
pub fn prepare_session(lens_dir: PathBuf) -> anyhow::Result<(slots::Slot, EngineConfig)> {
    use prebuilt::{Prebuilt, SeedError, Seeded};

    let slot = slots::acquire(&slots::sessions_root()?)?;
    let crate_dir = environment::crate_dir(&slot);
    if !crate_dir.exists() {
        environment::tidy(&slot);
    }
    let prebuilt = Prebuilt::beside(&lens_dir);
    let mut notices = Vec::new();
    let sources = match prebuilt.seed(&crate_dir) {
        Ok(seeded) => {
            if let Seeded::Copied { bytes, took } = seeded {
                eprintln!(
                    "ndlens: {} seeded with the prebuilt libraries ({} MiB in {took:.1?})",
                    slot.dir.display(),
                    bytes >> 20
                );
            }
            Some(prebuilt.sources())
        }
        // Installed with --no-warm: the user chose to build at first use.
        Err(missing @ SeedError::Missing(_)) => {
            eprintln!("ndlens: {missing}; this session builds ndarray and ndlens itself");
            None
        }
        Err(failure) => {
            let notice =
                format!("{failure}: this session builds ndarray and ndlens itself, which takes a minute or two.");
            eprintln!("ndlens: {notice}");
            notices.push(notice);
            None
        }
    };
    let build = profile::CellBuild { checks: profile::Checks::Off, sources };
    environment::enter(&crate_dir, &build)?;
    Ok((slot, EngineConfig { lens_dir, crate_dir, build, notices }))
}

/// The crates every session loads, each `(name, TOML specification)`: the
/// prelude's `:dep`s, and what the prebuilt libraries are built from.
pub fn session_dependencies(lens_dir: &Path) -> Vec<(&'static str, String)> {
    vec![("ndlens", format!("{{ path = {:?} }}", lens_dir.display().to_string())), ("ndarray", "\"0.17\"".into())]
}

/// The code every session starts with. The array it makes has evcxr's type
/// inference read ndarray now, in the background, rather than in the
/// user's first array cell.
pub fn prelude(lens_dir: &Path) -> String {
    let dependencies: String =
        session_dependencies(lens_dir).iter().map(|(name, spec)| format!(":dep {name} = {spec}\n")).collect();
    format!(
        "{dependencies}use ndarray::prelude::*;\nuse ndlens::prelude::*;\n\
         let __ndlens_warm = ndarray::Array2::<f64>::zeros((1, 1));\n{}\n{}\n{}",
        content::debug_display(),
        interrupts::items(),
        process_setup(false),
    )
}

/// What each session process needs set, in one piece of code: the panic
/// hook, the interrupt handler, and `:fmt {:#?}` if it is in force. The
/// prelude runs it in the first process, [`Engine`] again in each process
/// that replaces a lost one.
fn process_setup(pretty_debug: bool) -> String {
    format!("{}\n{}\n{}", content::panic_hook(), interrupts::install_handler(), pretty_debug_statement(pretty_debug))
}

/// Sets or clears the variable that asks the debug display for `{:#?}`.
fn pretty_debug_statement(pretty: bool) -> String {
    let variable = content::PRETTY_DEBUG_VARIABLE;
    match pretty {
        true => format!("unsafe {{ ::std::env::set_var({variable:?}, \"1\") }};"),
        false => format!("unsafe {{ ::std::env::remove_var({variable:?}) }};"),
    }
}

/// Why the engine could not start; every request that needs it is answered
/// with this.
#[derive(Clone, Debug)]
pub enum StartError {
    /// evcxr could not create its context (no cargo, no rustc, no sources
    /// of the standard library).
    Context(String),
    /// The session prelude did not build: ndarray or the lens failed.
    Prelude { lens_dir: PathBuf, message: String },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Context(e) => write!(
                f,
                "the Rust engine could not start: {e}\n\
                 Check that `cargo` and `rustc` are on PATH and that the standard library's \
                 sources are installed (`rustup component add rust-src`)."
            ),
            StartError::Prelude { lens_dir, message } => write!(
                f,
                "the session prelude (ndarray and ndlens) did not load from {}: {message}\n\
                 Reinstall the kernel with `ndlens install`.",
                lens_dir.display()
            ),
        }
    }
}

impl std::error::Error for StartError {}

/// What running some code came to.
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
    /// The session's process stopped (interrupted, aborted, out of memory):
    /// its variables are gone.
    ProcessLost { interrupted: bool, lost: Vec<String>, detail: String },
    /// evcxr refused the request (a bad `:dep`, say), or could not start.
    Engine(String),
}

pub struct Engine {
    context: CommandContext,
    views: DerivedViews,
    config: EngineConfig,
    /// Compilations since [`Engine::take_compilations`] last asked.
    compilations: usize,
    /// Whether `:fmt {:#?}` is in force.
    pretty_debug: bool,
    interrupted: Arc<AtomicBool>,
}

type Job = Box<dyn FnOnce(&mut Result<Engine, StartError>) + Send>;

/// The front end's side of the engine.
#[derive(Clone)]
pub struct EngineHandle {
    jobs: std::sync::mpsc::Sender<Job>,
    process: Arc<Mutex<Option<Arc<Mutex<Child>>>>>,
    /// The number of the job running, 0 when none.
    running: Arc<AtomicU64>,
    jobs_sent: Arc<AtomicU64>,
    /// Set when an interrupt ended the process, for the error to say so.
    interrupted: Arc<AtomicBool>,
}

/// How long an interrupted cell has to reach one of its checks before its
/// process is ended.
const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

impl EngineHandle {
    /// Starts the engine thread; the context is created there, in the
    /// background.
    pub fn start(config: EngineConfig, router: Router) -> EngineHandle {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let process = Arc::new(Mutex::new(None));
        let interrupted = Arc::new(AtomicBool::new(false));
        let handle = EngineHandle {
            jobs,
            process: process.clone(),
            running: Arc::new(AtomicU64::new(0)),
            jobs_sent: Arc::new(AtomicU64::new(0)),
            interrupted: interrupted.clone(),
        };
        std::thread::Builder::new()
            .name("ndlens-engine".into())
            // evcxr's parsers recurse; cells are refused past
            // syntax::MAX_NESTING, and this leaves room well beyond it.
            .stack_size(64 << 20)
            .spawn(move || {
                let mut engine = Engine::start(config, router, interrupted);
                if let Ok(engine) = &engine {
                    *lock(&process) = Some(engine.context.process_handle());
                }
                for job in queue {
                    job(&mut engine);
                }
            })
            .expect("spawning the engine thread");
        handle
    }

    /// Runs `job` on the engine thread, after the jobs before it; the
    /// start-up error instead when the engine could not start.
    pub async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Engine) -> R + Send + 'static,
    ) -> Result<R, StartError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let running = self.running.clone();
        let number = self.jobs_sent.fetch_add(1, Ordering::SeqCst) + 1;
        let job: Job = Box::new(move |engine| {
            let result = match engine {
                Ok(engine) => {
                    running.store(number, Ordering::SeqCst);
                    let result = job(engine);
                    running.store(0, Ordering::SeqCst);
                    Ok(result)
                }
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send(result);
        });
        self.jobs.send(job).expect("the engine thread lives as long as the kernel");
        answer.await.expect("the engine thread answers every job")
    }

    /// Asks the running cell to stop (see [`interrupts`]); ends the
    /// session's process if the cell has not stopped after the grace
    /// period. `false` when nothing was running.
    pub fn interrupt(&self) -> bool {
        let job = self.running.load(Ordering::SeqCst);
        if job == 0 {
            return false;
        }
        let Some(child) = lock(&self.process).clone() else { return false };
        let pid = lock(&child).id();
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGUSR1) };
        let (running, interrupted) = (self.running.clone(), self.interrupted.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + INTERRUPT_GRACE;
            while Instant::now() < deadline {
                if running.load(Ordering::SeqCst) != job {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if running.load(Ordering::SeqCst) == job {
                interrupted.store(true, Ordering::SeqCst);
                let _ = lock(&child).kill();
            }
        });
        true
    }

    /// Ends the session's process, for shutdown.
    pub fn kill_process(&self) {
        if let Some(child) = lock(&self.process).clone() {
            let _ = lock(&child).kill();
        }
    }
}

impl Engine {
    fn start(config: EngineConfig, router: Router, interrupted: Arc<AtomicBool>) -> Result<Engine, StartError> {
        let started = std::time::Instant::now();
        // What went wrong before (a slot that could not be seeded) is often
        // why the start fails.
        let notices = config.notices.clone();
        let with_notices =
            move |error: String| -> String { notices.iter().map(|n| format!("{n}\n")).chain([error]).collect() };
        let (context, outputs) = CommandContext::new().map_err(|e| StartError::Context(with_notices(e.to_string())))?;
        let context_ready = started.elapsed();
        router.forward(outputs.stdout, outputs.stderr);
        let mut engine = Engine {
            context,
            views: DerivedViews::default(),
            config,
            compilations: 0,
            pretty_debug: false,
            interrupted,
        };
        let prelude = prelude(&engine.config.lens_dir);
        if let Err(e) = engine.execute(&prelude) {
            let message = with_notices(e.to_string());
            return Err(StartError::Prelude { lens_dir: engine.config.lens_dir.clone(), message });
        }
        eprintln!("ndlens: session ready in {:.2?} (evcxr context {:.2?})", started.elapsed(), context_ready);
        Ok(engine)
    }

    /// Runs `code` through evcxr, counting its compilations: evcxr records
    /// one phase per compile attempt (a fallback or a fix before the next
    /// attempt, then "Final compile"), and one for the execution.
    fn execute(&mut self, code: &str) -> Result<evcxr::EvalOutputs, EvcxrError> {
        let result = self.context.execute(code);
        self.compilations += match &result {
            Ok(outputs) => outputs.phases.iter().filter(|p| p.name != "Execution").count(),
            Err(EvcxrError::CompilationErrors(_)) => 1,
            Err(_) => 0,
        };
        result
    }

    /// How many times code was compiled since the last call: the cost of a
    /// cell, reported to clients in the reply's metadata.
    pub fn take_compilations(&mut self) -> usize {
        std::mem::take(&mut self.compilations)
    }

    /// Whether the cells' own code is compiled with overflow checks and
    /// debug assertions.
    pub fn checks(&self) -> profile::Checks {
        self.config.build.checks
    }

    /// Compiles the cells from the next one on with `checks`; see
    /// [`profile`].
    pub fn set_checks(&mut self, checks: profile::Checks) -> anyhow::Result<()> {
        let build = profile::CellBuild { checks, ..self.config.build.clone() };
        profile::write(&self.config.crate_dir, &build)?;
        self.config.build = build;
        Ok(())
    }

    /// What the user has yet to hear about how the session started.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.config.notices)
    }

    /// The session's variables, sorted by name, then the remembered views,
    /// without the kernel's own bindings.
    pub fn variables(&self) -> Vec<Variable> {
        let mut values: Vec<Variable> = self
            .context
            .variables_and_types()
            .filter(|(name, _)| !name.starts_with("__ndlens"))
            .map(|(name, ty)| Variable::Value { name: name.to_string(), ty: ty.to_string() })
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

    /// Runs `code`, which is `original` as typed (starting on line
    /// `first_line` of the cell) after any rewriting by the caller.
    pub fn eval(&mut self, original: &str, first_line: usize) -> Evaluation {
        self.views.forget_rebound(original);
        let plain = self.views.expand(original);
        // The cell's own loops and closures check for interrupts; should the
        // checks keep it from compiling, it runs as written.
        let mut points = interrupts::points(original);
        let checked = (!points.is_empty()).then(|| {
            points.push(Edit::insert(0, interrupts::RESET));
            self.views.expand_with(original, points)
        });
        let before = self.variable_names();
        let mut rewritten = checked.clone().unwrap_or_else(|| plain.clone());
        let mut result = self.execute(&rewritten.code);
        if let (Some(_), Err(EvcxrError::CompilationErrors(errors))) = (&checked, &result) {
            if borrowed_variables(errors).is_empty() {
                result = self.execute(&plain.code);
                rewritten = plain;
            }
        }
        // A view that borrows its owner cannot be kept: remember it as the
        // expression that derives it, and run the cell without keeping it.
        if let Err(EvcxrError::CompilationErrors(errors)) = &result {
            let borrowed = borrowed_variables(errors);
            // Other errors may come from the same borrowing (a temporary
            // dropped while borrowed); the retry tells whether any remain.
            if !borrowed.is_empty() {
                let mut views = self.views.clone();
                if let Some(again) = views.adopt(original, &borrowed) {
                    // Adopting views runs the cell without interrupt checks.
                    let retried = self.execute(&again.code);
                    if retried.is_ok() {
                        self.views = views;
                    }
                    result = retried;
                    rewritten = again;
                }
            }
        }
        if result.is_ok() {
            self.follow_fmt(original);
        }
        self.evaluation(result, original, &rewritten, first_line, before)
    }

    /// evcxr's `:fmt` sets how its `Debug` fallback formats values; the
    /// session's own debug display ([`content::debug_display`]) follows the
    /// two `Debug` forms, `{:?}` and `{:#?}`, through an environment
    /// variable of the session's process. Other formats apply to values
    /// that evcxr itself shows (those without `Debug`).
    fn follow_fmt(&mut self, code: &str) {
        let Some(format) = code.lines().rev().find_map(|l| l.trim().strip_prefix(":fmt")) else { return };
        let pretty = format.trim() == "{:#?}";
        if pretty != self.pretty_debug {
            self.pretty_debug = pretty;
            if let Err(e) = self.execute(&pretty_debug_statement(pretty)) {
                eprintln!("ndlens: could not follow :fmt in the session: {e}");
            }
        }
    }

    /// Runs code the kernel generated (a magic's), reporting compile errors
    /// without positions: they would point into generated code.
    pub fn eval_generated(&mut self, code: &str) -> Evaluation {
        let rewritten = self.views.expand(code);
        let before = self.variable_names();
        let result = self.execute(&rewritten.code);
        let mut evaluation = self.evaluation(result, code, &rewritten, 1, before);
        match &mut evaluation.failure {
            Some(Failure::Compile(diagnostics)) => diagnostics.iter_mut().for_each(|d| d.position = None),
            Some(Failure::Panic { position, .. }) => *position = None,
            _ => {}
        }
        evaluation
    }

    fn evaluation(
        &mut self,
        result: Result<evcxr::EvalOutputs, EvcxrError>,
        original: &str,
        rewritten: &Rewritten,
        first_line: usize,
        before: Vec<String>,
    ) -> Evaluation {
        match result {
            Ok(outputs) => {
                let mut outputs: BTreeMap<String, String> = outputs.content_by_mime_type.into_iter().collect();
                let failure = outputs.remove(PANIC_MIME).map(|report| {
                    let (location, message) = report.split_once('\n').unwrap_or(("", &report));
                    let position = self.cell_position(location, original, rewritten, first_line);
                    Failure::Panic {
                        message: message.to_string(),
                        location: (!location.is_empty() && position.is_none()).then(|| location.to_string()),
                        position,
                    }
                });
                Evaluation { outputs, failure }
            }
            Err(EvcxrError::CompilationErrors(errors)) => Evaluation {
                outputs: BTreeMap::new(),
                failure: Some(Failure::Compile(
                    errors
                        .iter()
                        .filter(|e| e.level() == "error")
                        .map(|e| Diagnostic::locate(e, original, rewritten, first_line))
                        .collect(),
                )),
            },
            Err(EvcxrError::SubprocessTerminated(detail)) => {
                let interrupted = self.interrupted.swap(false, Ordering::SeqCst);
                self.views.clear();
                self.reinstall_hooks();
                Evaluation {
                    outputs: BTreeMap::new(),
                    failure: Some(Failure::ProcessLost { interrupted, lost: before, detail }),
                }
            }
            Err(e) => Evaluation { outputs: BTreeMap::new(), failure: Some(Failure::Engine(e.to_string())) },
        }
    }

    /// Where in the cell a panic at `location` (`src/lib.rs:LINE:COLUMN` of
    /// the code evcxr generated) was raised. evcxr copies each statement of
    /// the cell into the generated source without its indentation, so the
    /// generated line is found among the cell's trimmed lines; an ambiguous
    /// match gives no position.
    fn cell_position(
        &self,
        location: &str,
        original: &str,
        rewritten: &Rewritten,
        first_line: usize,
    ) -> Option<(usize, usize)> {
        let mut parts = location.strip_prefix("src/lib.rs:")?.split(':');
        let (line, column): (usize, usize) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        let source = self.context.last_source().ok()?;
        let generated = source.lines().nth(line.checked_sub(1)?)?;
        let generated_indent = generated.len() - generated.trim_start().len();
        let mut matches = rewritten.code.lines().enumerate().filter(|(_, l)| l.trim() == generated.trim());
        let (index, cell_line) = matches.next()?;
        if matches.next().is_some() {
            return None;
        }
        let indent = cell_line.chars().take_while(|c| c.is_whitespace()).count();
        let column = rewritten.original_column(original, index + 1, column - generated_indent + indent);
        Some((index + first_line, column))
    }

    /// A new session process has none of the old one's runtime state: set
    /// it up again, in one compilation.
    fn reinstall_hooks(&mut self) {
        if let Err(e) = self.execute(&process_setup(self.pretty_debug)) {
            eprintln!("ndlens: could not set up the new session process after a restart: {e}");
        }
    }

    /// Completions from rust-analyzer through evcxr: `(matches, start, end)`
    /// in bytes.
    pub fn complete(&mut self, code: &str, position: usize) -> (Vec<String>, usize, usize) {
        match self.context.completions(code, position) {
            Ok(c) => (c.completions.into_iter().map(|c| c.code).collect(), c.start_offset, c.end_offset),
            Err(_) => (Vec::new(), position, position),
        }
    }

    /// Documentation for what is under the cursor, as (text, HTML).
    pub fn hover(&mut self, code: &str, position: usize) -> Option<(String, String)> {
        match self.context.hover_at(code, position) {
            Ok((text, html)) if !text.contains("No documentation found") => Some((text, html)),
            _ => None,
        }
    }
}

/// The names evcxr would not keep because they borrow.
fn borrowed_variables(errors: &[evcxr::CompilationError]) -> Vec<String> {
    errors
        .iter()
        .filter_map(|e| {
            let message = e.message();
            let rest = message.strip_prefix("The variable `")?;
            let (name, tail) = rest.split_once('`')?;
            tail.contains("non-static lifetime").then(|| name.to_string())
        })
        .collect()
}
