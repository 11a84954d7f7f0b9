//! The evcxr engine: evcxr's evaluation context behind the [`Engine`] seam.
//!
//! evcxr compiles each cell with cargo into a crate that loads and stores
//! every session variable, learns the types of new variables from
//! rust-analyzer, which it runs in this process, and runs the cells in a
//! child process it manages. It is kept as the second engine
//! (`ndlens install --engine evcxr`), built only with the `evcxr` feature.

mod environment;
pub mod install;
mod profile;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use evcxr::{CommandContext, Error as EvcxrError};
use ndlens_runtime::content::PANIC_MIME;

use crate::engine::output::Router;
use crate::engine::prebuilt::{Prebuilt, SeedError, Seeded};
use crate::engine::{
    Checks, CompileError, Completions, Documentation, Engine, EngineConfig, Interrupt, Run, RunFailure, StartError,
};
use crate::sync::lock;

pub struct EvcxrEngine {
    context: CommandContext,
    crate_dir: PathBuf,
    build: profile::CellBuild,
    /// The `:dep`s the prelude adds, to add again after `:clear`.
    prelude: String,
    added: Vec<String>,
    optimization: u8,
    /// Compilations since [`Engine::take_compilations`] last asked.
    compilations: usize,
}

/// The crates every evcxr session loads, each `(name, TOML specification)`:
/// the prelude's `:dep`s, and what the prebuilt libraries are built from.
pub fn session_dependencies(kernel_dir: &Path) -> Vec<(&'static str, String)> {
    let path = |folder: &str| format!("{{ path = {:?} }}", kernel_dir.join(folder).display().to_string());
    vec![("ndlens", path("lens")), ("ndlens-runtime", path("runtime")), ("ndarray", "\"0.17\"".into())]
}

/// The `:dep` lines every session starts with; the array it makes has
/// evcxr's type inference read ndarray now, in the background, rather than
/// in the user's first array cell.
pub fn prelude(kernel_dir: &Path) -> String {
    let dependencies: String =
        session_dependencies(kernel_dir).iter().map(|(name, spec)| format!(":dep {name} = {spec}\n")).collect();
    format!("{dependencies}let __ndlens_warm = ndarray::Array2::<f64>::zeros((1, 1));")
}

/// Sets up where this kernel's session builds: the slot's crate folder,
/// seeded from the prebuilt libraries, and this process's environment,
/// which evcxr's cargo, rustc and child inherit. Call it before any thread
/// starts. Returns what the user should hear about it.
pub fn prepare(config: &EngineConfig) -> anyhow::Result<Vec<String>> {
    let crate_dir = crate_dir(config);
    let prebuilt = Prebuilt::beside(&config.kernel_dir);
    let mut notices = Vec::new();
    let sources = match prebuilt.seed(&prebuilt.evcxr_crate(), &crate_dir) {
        Ok(seeded) => {
            if let Seeded::Copied { bytes, took } = seeded {
                eprintln!(
                    "ndlens: {} seeded with the prebuilt libraries ({} MiB in {took:.1?})",
                    crate_dir.display(),
                    bytes >> 20
                );
            }
            Some(prebuilt.sources())
        }
        // Installed with --no-prebuilt: the user chose to build at first use.
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
    let build = profile::CellBuild { checks: Checks::Off, sources };
    environment::enter(&crate_dir, &build)?;
    Ok(notices)
}

fn crate_dir(config: &EngineConfig) -> PathBuf {
    config.work_dir.join("crate")
}

impl EvcxrEngine {
    pub fn start(config: &EngineConfig, router: Router) -> Result<EvcxrEngine, StartError> {
        let started = std::time::Instant::now();
        let (context, outputs) = CommandContext::new().map_err(|e| StartError::Engine(e.to_string()))?;
        let context_ready = started.elapsed();
        router.forward(outputs.stdout, outputs.stderr);
        let prebuilt = Prebuilt::beside(&config.kernel_dir);
        let sources = prebuilt.check(&prebuilt.evcxr_crate()).ok().map(|()| prebuilt.sources());
        let mut engine = EvcxrEngine {
            context,
            crate_dir: crate_dir(config),
            build: profile::CellBuild { checks: Checks::Off, sources },
            prelude: prelude(&config.kernel_dir),
            added: Vec::new(),
            optimization: 2,
            compilations: 0,
        };
        let prelude = engine.prelude.clone();
        engine
            .execute(&prelude)
            .map_err(|e| StartError::Prelude { kernel_dir: config.kernel_dir.clone(), message: e.to_string() })?;
        eprintln!("ndlens: evcxr context ready in {context_ready:.2?}");
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

    /// Where in `code` a panic at `location` (`src/lib.rs:LINE:COLUMN` of
    /// the code evcxr generated) was raised. evcxr copies each statement of
    /// the cell into the generated source without its indentation, so the
    /// generated line is found among the code's trimmed lines; an
    /// ambiguous match gives no position.
    fn code_position(&self, location: &str, code: &str) -> Option<(usize, usize)> {
        let mut parts = location.strip_prefix("src/lib.rs:")?.split(':');
        let (line, column): (usize, usize) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        let source = self.context.last_source().ok()?;
        let generated = source.lines().nth(line.checked_sub(1)?)?;
        let generated_indent = generated.len() - generated.trim_start().len();
        let mut matches = code.lines().enumerate().filter(|(_, l)| l.trim() == generated.trim());
        let (index, code_line) = matches.next()?;
        if matches.next().is_some() {
            return None;
        }
        let indent = code_line.chars().take_while(|c| c.is_whitespace()).count();
        Some((index + 1, column - generated_indent + indent))
    }
}

impl Engine for EvcxrEngine {
    fn run(&mut self, code: &str) -> Run {
        match self.execute(code) {
            Ok(outputs) => {
                let mut outputs: crate::engine::MimeBundle = outputs.content_by_mime_type.into_iter().collect();
                let failure = outputs.remove(PANIC_MIME).map(|report| {
                    let (location, message) = report.split_once('\n').unwrap_or(("", &report));
                    let position = self.code_position(location, code);
                    RunFailure::Panic {
                        message: message.to_string(),
                        location: (!location.is_empty() && position.is_none() && !location.starts_with("src/lib.rs"))
                            .then(|| location.to_string()),
                        position,
                    }
                });
                Run { outputs, failure }
            }
            Err(EvcxrError::CompilationErrors(errors)) => {
                let borrowed = borrowed_variables(&errors);
                if !borrowed.is_empty() {
                    return Run::failed(RunFailure::Borrowed(borrowed));
                }
                Run::failed(RunFailure::Compile(
                    errors.iter().filter(|e| e.level() == "error").map(compile_error).collect(),
                ))
            }
            Err(EvcxrError::SubprocessTerminated(detail)) => Run::failed(RunFailure::ProcessLost(detail)),
            Err(e) => Run::failed(RunFailure::Refused(e.to_string())),
        }
    }

    fn variables(&self) -> Vec<(String, String)> {
        self.context.variables_and_types().map(|(name, ty)| (name.to_string(), ty.to_string())).collect()
    }

    fn complete(&mut self, code: &str, cursor: usize) -> Completions {
        match self.context.completions(code, cursor) {
            Ok(c) => Completions {
                matches: c.completions.into_iter().map(|c| c.code).collect(),
                start: c.start_offset,
                end: c.end_offset,
            },
            Err(_) => Completions { matches: Vec::new(), start: cursor, end: cursor },
        }
    }

    fn hover(&mut self, code: &str, cursor: usize) -> Option<Documentation> {
        match self.context.hover_at(code, cursor) {
            Ok((text, html)) if !text.contains("No documentation found") => Some(Documentation { text, html }),
            _ => None,
        }
    }

    fn interrupter(&self) -> Arc<dyn Interrupt> {
        Arc::new(ChildProcess(self.context.process_handle()))
    }

    fn set_checks(&mut self, checks: Checks) -> anyhow::Result<()> {
        let build = profile::CellBuild { checks, ..self.build.clone() };
        profile::write(&self.crate_dir, &build)?;
        self.build = build;
        Ok(())
    }

    fn set_optimization(&mut self, level: u8) -> anyhow::Result<()> {
        self.execute(&format!(":opt {level}")).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.optimization = level;
        Ok(())
    }

    fn optimization(&self) -> u8 {
        self.optimization
    }

    fn add_dependency(&mut self, name: &str, specification: &str) -> Result<(), String> {
        let line = format!("{name} = {specification}");
        self.execute(&format!(":dep {line}")).map_err(|e| e.to_string())?;
        self.added.push(line);
        Ok(())
    }

    fn dependencies(&self) -> Vec<String> {
        self.added.clone()
    }

    fn clear(&mut self) -> Result<(), String> {
        self.execute(":clear").map_err(|e| e.to_string())?;
        let again = std::iter::once(self.prelude.clone()).chain(self.added.iter().map(|d| format!(":dep {d}")));
        for code in again.collect::<Vec<_>>() {
            self.execute(&code).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<(), String> {
        // evcxr 0.22's `:restart` restores the old variables' records after
        // the child restarted, and the next use of one aborts it.
        Err("the evcxr engine cannot restart its process and keep its records straight; use :clear".into())
    }

    fn take_compilations(&mut self) -> usize {
        std::mem::take(&mut self.compilations)
    }

    fn command(&mut self, line: &str) -> Option<Run> {
        Some(self.run(line))
    }

    fn last_compile_dir(&self) -> Option<PathBuf> {
        // evcxr builds every cell in the folder it was given.
        Some(self.crate_dir.clone())
    }
}

fn compile_error(e: &evcxr::CompilationError) -> CompileError {
    let primary = e.primary_spanned_message();
    CompileError {
        code: e.code().map(str::to_string),
        message: e.message(),
        position: primary.and_then(|m| m.span.as_ref()).map(|span| (span.start_line, span.start_column)),
        label: primary.map(|m| m.label.clone()).unwrap_or_default(),
        help: e.help(),
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

/// evcxr's child process: interrupted by signal, ended by kill.
struct ChildProcess(Arc<Mutex<std::process::Child>>);

impl Interrupt for ChildProcess {
    fn ask(&self) -> bool {
        let pid = lock(&self.0).id();
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe { libc::kill(pid as libc::pid_t, ndlens_runtime::interrupt::SIGNAL) };
        true
    }

    fn force(&self) {
        let _ = lock(&self.0).kill();
    }
}
