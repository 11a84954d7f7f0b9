//! The engine seam: one interface to whatever compiles and runs a
//! session's Rust code, and the pieces every engine shares.
//!
//! [`Engine`] is the seam. Two engines implement it, each in a room of its
//! own beside this one: [`crate::rustc_engine`], the default, which calls
//! rustc for each cell and keeps the variables in a session process of the
//! kernel's own; and `crate::evcxr_engine` (behind the cargo feature
//! `evcxr`), evcxr's evaluation context. Here lie what both use: [`output`], the channel a running cell's
//! output and input requests take to the front end; [`prebuilt`], the
//! session libraries built once at install; [`slots`], the folder each
//! session holds alone; and [`huge_pages`].
//!
//! Nothing here knows an engine or the session layer above
//! ([`crate::session`]): the engines import the seam, the session imports
//! the seam and picks an engine when it starts, and the front end talks
//! to the session only.

pub mod huge_pages;
pub mod output;
pub mod prebuilt;
pub mod slots;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use ndlens_runtime::inspect::Reading;

/// Rich output: mime type → content.
pub type MimeBundle = BTreeMap<String, String>;

/// Which engine runs a kernel's cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// The kernel's own: rustc for each cell, a session process of ours.
    Rustc,
    /// evcxr's evaluation context (a build with the `evcxr` feature).
    Evcxr,
}

impl EngineKind {
    /// The name `--engine` takes.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Rustc => "rustc",
            EngineKind::Evcxr => "evcxr",
        }
    }

    /// Whether this build of the kernel carries the engine.
    pub fn built_in(self) -> bool {
        match self {
            EngineKind::Rustc => true,
            EngineKind::Evcxr => cfg!(feature = "evcxr"),
        }
    }
}

/// Debug assertions and overflow checks in the cells' own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// As `cargo build --release`: integer overflow wraps.
    Off,
    /// As `cargo build`: overflow and `debug_assert!` panic.
    On,
}

/// What an engine starts from: the installed libraries, and a folder of
/// the session's own to build in.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub kind: EngineKind,
    /// The installed kernel's folder: the lens's and the runtime's sources,
    /// and the prebuilt session libraries.
    pub kernel_dir: PathBuf,
    /// A folder this session holds alone ([`slots`]).
    pub work_dir: PathBuf,
    /// Whether the session compiles into the installer's shared cache of
    /// cells (`ndlens warm`), rather than the user's own.
    pub warm: bool,
}

/// The seam: what every engine does for a [`Session`](crate::session::Session).
///
/// Positions are 1-based lines and columns (in characters) of the code the
/// engine was given; the session maps them back to the user's cell.
pub trait Engine: Send {
    /// Compiles and runs `code`: statements, items and a final expression,
    /// whose value is shown.
    fn run(&mut self, code: &str) -> Run;

    /// The session's variables, each `(name, type)` with the type as the
    /// engine spells it.
    fn variables(&self) -> Vec<(String, String)>;

    /// Completions for `code` at byte `cursor`.
    fn complete(&mut self, code: &str, cursor: usize) -> Completions;

    /// Documentation of what is at byte `cursor` of `code`.
    fn hover(&mut self, code: &str, cursor: usize) -> Option<Documentation>;

    /// How other threads interrupt what [`Engine::run`] is running.
    fn interrupter(&self) -> std::sync::Arc<dyn Interrupt>;

    /// Compiles the cells from the next one on with `checks`.
    fn set_checks(&mut self, checks: Checks) -> anyhow::Result<()>;

    /// The optimisation level of the cells from the next one on (0 to 3).
    fn set_optimization(&mut self, level: u8) -> anyhow::Result<()>;

    /// The cells' optimisation level.
    fn optimization(&self) -> u8;

    /// Makes crate `name` (a Cargo dependency specification, `"1.0"` or
    /// `{ path = "..." }`) usable from the next cell on.
    fn add_dependency(&mut self, name: &str, specification: &str) -> Result<(), String>;

    /// The dependencies added with [`Engine::add_dependency`], as
    /// `name = specification` lines.
    fn dependencies(&self) -> Vec<String>;

    /// Forgets every variable and item, as a fresh session.
    fn clear(&mut self) -> Result<(), String>;

    /// Ends the session's process and starts a new one; variables are lost.
    fn restart(&mut self) -> Result<(), String>;

    /// How many times code was compiled since the last call.
    fn take_compilations(&mut self) -> usize;

    /// A `:command` line of the engine's own that the kernel's table does
    /// not know; `None` when the engine does not know it either.
    fn command(&mut self, line: &str) -> Option<Run> {
        let _ = line;
        None
    }

    /// What the user should hear with the next cell about how the engine
    /// started (why it builds its libraries itself, say).
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// The assembly the cells' compiler makes of `code`, compiled as a
    /// cell is and not run.
    fn assembly(&mut self, code: AssemblyOf<'_>) -> Result<Assembly, RunFailure> {
        let _ = code;
        Err(RunFailure::Refused(
            "this engine does not show machine code; the kernel's own engine does (`--engine rustc`)".into(),
        ))
    }

    /// The debugger's readings of the variables named, in order, made
    /// without compiling: `None` for each the engine cannot read so (the
    /// session then reads it with a generated cell).
    fn read_variables(&mut self, names: &[String]) -> Vec<Option<Reading>> {
        vec![None; names.len()]
    }

    /// Whether [`Engine::read_variables`] reads the views cells noted
    /// ([`ndlens_runtime::inspect::Noted`]): if not, noting them would
    /// cost the cells a compile for nothing.
    fn reads_notes(&self) -> bool {
        false
    }

    /// Where the last cell was compiled, for `:last_compile_dir`.
    fn last_compile_dir(&self) -> Option<PathBuf> {
        None
    }
}

/// Code whose machine code is asked for.
#[derive(Clone, Copy, Debug)]
pub enum AssemblyOf<'a> {
    /// A cell of items, and the functions among them to show: each is
    /// compiled as a function of its own, used or not.
    Items { code: &'a str, functions: &'a [String] },
    /// An expression over the session's variables: the body of a function
    /// [`Assembly::EXPRESSION`] that takes the variables it names by
    /// reference and returns its value.
    Expression(&'a str),
}

/// What the cells' compiler made of some code, as assembly.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The compiler's listing (a `.s` file).
    pub listing: String,
    /// The crate it compiled: the code, and what the engine put around it.
    pub source: String,
    /// The name the listing's `.file` directives give that crate.
    pub file: String,
}

impl Assembly {
    /// The path, in the cell's crate, of the function an expression is
    /// compiled into.
    pub const EXPRESSION: &'static str = "asm::expression";
}

/// What running some code came to, as the engine saw it.
#[derive(Debug, Default)]
pub struct Run {
    /// Rich output of the code: mime type → content.
    pub outputs: MimeBundle,
    pub failure: Option<RunFailure>,
}

impl Run {
    pub fn failed(failure: RunFailure) -> Run {
        Run { outputs: MimeBundle::new(), failure: Some(failure) }
    }
}

#[derive(Debug)]
pub enum RunFailure {
    /// The code did not compile; nothing ran.
    Compile(Vec<CompileError>),
    /// The code binds these variables to values that borrow others, which
    /// the session cannot keep; nothing ran.
    Borrowed(Vec<String>),
    /// The code panicked. `position` is in the given code when the panic
    /// was raised there; `location` is where it was raised otherwise.
    Panic { message: String, location: Option<String>, position: Option<(usize, usize)> },
    /// A `?` at the code's top level met this error.
    Returned(String),
    /// An interrupt came before the code started to run (while it was
    /// compiling): nothing ran.
    Interrupted,
    /// The session's process ended (an abort, a kill): its variables are
    /// gone, and a new process runs the next code.
    ProcessLost(String),
    /// The engine could not do what was asked (a `:dep` that cannot be
    /// built, a full disk).
    Refused(String),
}

/// One compile error, in the code the engine was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub code: Option<String>,
    pub message: String,
    /// Where in the given code, when the error is there (not in code the
    /// engine generated, nor in an item kept from an earlier cell).
    pub position: Option<(usize, usize)>,
    pub label: String,
    pub help: Vec<String>,
}

/// Completions: the matches, and the bytes of the code they replace.
#[derive(Debug, Default)]
pub struct Completions {
    pub matches: Vec<String>,
    pub start: usize,
    pub end: usize,
}

/// Documentation for the front end's pager and tooltips.
#[derive(Debug)]
pub struct Documentation {
    pub text: String,
    pub html: String,
}

/// Stopping running code from another thread.
pub trait Interrupt: Send + Sync {
    /// Asks the running code to stop at its next interrupt check; code that
    /// is still compiling is stopped at once. `false` when nothing runs.
    fn ask(&self) -> bool;

    /// Stops the running code for certain, by ending the process that
    /// runs it: the session's variables are lost.
    fn force(&self);
}

/// Why a session could not start; every request that needs it is answered
/// with this.
#[derive(Clone, Debug)]
pub enum StartError {
    /// The engine could not start (no rustc, libraries missing).
    Engine(String),
    /// The session prelude did not run: ndarray or the lens failed.
    Prelude { kernel_dir: PathBuf, message: String },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Engine(e) => write!(
                f,
                "the Rust engine could not start: {e}\n\
                 Check that `cargo` and `rustc` are on PATH, and reinstall the kernel with `ndlens install`."
            ),
            StartError::Prelude { kernel_dir, message } => write!(
                f,
                "the session prelude (ndarray and ndlens) did not load from {}: {message}\n\
                 Reinstall the kernel with `ndlens install`.",
                kernel_dir.display()
            ),
        }
    }
}

impl std::error::Error for StartError {}

impl StartError {
    /// The error after what went wrong before it (a slot that could not be
    /// seeded), which is often why.
    pub fn after(self, notices: &[String]) -> StartError {
        let before: String = notices.iter().map(|n| format!("{n}\n")).collect();
        match self {
            StartError::Engine(message) => StartError::Engine(before + &message),
            StartError::Prelude { kernel_dir, message } => {
                StartError::Prelude { kernel_dir, message: before + &message }
            }
        }
    }
}
