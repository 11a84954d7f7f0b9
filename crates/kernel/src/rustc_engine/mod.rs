//! The rustc engine: the kernel's own, and its default.
//!
//! Each cell is compiled by one call of rustc ([`compiler`]) into a shared
//! library, which the session process ([`host`], driven by [`process`])
//! loads and runs. The process keeps the variables; a cell loads only
//! those it names and stores back what it binds ([`source`]), so its cost
//! does not depend on how many the session holds. The types of new
//! variables come from the cell itself (`type_name`, [`types`]); items
//! persist by being compiled into every later cell ([`items`]). No cargo
//! and no analyser run in a cell's path: the session libraries were built
//! once, at install ([`libraries`]).

mod analysis;
mod analyzer;
mod cache;
mod compiler;
pub mod host;
mod input;
mod items;
pub mod libraries;
mod paths;
mod process;
mod source;
mod types;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use ndlens_runtime::content::PANIC_MIME;
use ndlens_runtime::inspect::Reading;

use self::analysis::{Analysis, Binding};
use self::cache::{Cached, CellCache};
use self::compiler::{Compiler, Diagnostic, Failed};
use self::items::Items;
use self::libraries::Libraries;
use self::paths::{Prober, PublicPaths};
use self::process::{Control, Environment, Lost, SessionProcess};
use self::source::{CellSource, Load, Origin};
use self::types::Unnameable;
use self::wire::{Outcome, Stored};
use crate::engine::output::{Event, Router};
use crate::engine::prebuilt::Prebuilt;
use crate::engine::{
    Assembly, AssemblyOf, Checks, CompileError, Completions, Documentation, Engine, EngineConfig, Interrupt, Run,
    RunFailure,
};

/// A session variable, as the kernel knows it.
#[derive(Clone, Debug)]
struct Variable {
    /// `std::any::type_name` of its value.
    type_name: String,
    /// The type as a cell writes it.
    ty: String,
    mutable: bool,
}

/// How many times a cell is compiled again after an error the kernel can
/// mend (a variable the cell moved, say) before the error is the user's.
const MAX_ATTEMPTS: usize = 6;

pub struct RustcEngine {
    compiler: Compiler,
    process: SessionProcess,
    control: Arc<Control>,
    router: Router,
    items: Items,
    variables: BTreeMap<String, Variable>,
    paths: PublicPaths,
    /// Types already named: `type_name` → the type, or why it has none.
    named: HashMap<String, Result<String, Unnameable>>,
    /// rust-analyzer, for completion and documentation, started on demand.
    analyzer: analyzer::Analyzer,
    kernel_dir: PathBuf,
    work_dir: PathBuf,
    /// What the user should hear with the first cell.
    notices: Vec<String>,
    cells_dir: PathBuf,
    /// The source of the last cell compiled, kept for `:last_compile_dir`.
    last_source: Option<PathBuf>,
    /// Cells compiled before, by this user or the kernel's installer.
    cache: CellCache,
    compilations: usize,
}

impl RustcEngine {
    pub fn start(config: &EngineConfig, router: Router) -> Result<RustcEngine> {
        let mut notices = Vec::new();
        let libraries = session_libraries(config, &mut notices)?;
        let cells_dir = config.work_dir.join("cells");
        // What an earlier session of this slot left is of no use to this one.
        let _ = std::fs::remove_dir_all(&cells_dir);
        std::fs::create_dir_all(&cells_dir).with_context(|| format!("creating {}", cells_dir.display()))?;
        let mut variables: Vec<(String, String)> = crate::engine::huge_pages::tunables().into_iter().collect();
        if config.warm {
            variables.push((ndlens_runtime::warming::VARIABLE.into(), "1".into()));
        }
        let environment = Environment { library_path: libraries.library_path(), variables };
        let control = Arc::new(Control::default());
        let process = SessionProcess::start(environment, router.clone(), control.clone())?;
        let cache = crate::engine::slots::cache_root().ok().map(|root| root.join("type-paths.json"));
        let prober = Prober { libraries: libraries.clone(), scratch: config.work_dir.join("paths"), cache };
        let analyzer = analyzer_for(&config.kernel_dir, &config.work_dir, &libraries);
        let cache = cell_cache(config, &libraries);
        cache.prune();
        Ok(RustcEngine {
            compiler: Compiler { libraries, optimization: 2, checks: Checks::Off },
            process,
            control,
            router,
            items: Items::default(),
            variables: BTreeMap::new(),
            paths: PublicPaths::new(prober),
            named: HashMap::new(),
            analyzer,
            kernel_dir: config.kernel_dir.clone(),
            work_dir: config.work_dir.clone(),
            notices,
            cells_dir,
            last_source: None,
            cache,
            compilations: 0,
        })
    }

    /// What the analyser sees around a cell's code.
    fn analysis_context(&self) -> analyzer::Context<'_> {
        analyzer::Context {
            items: self.items.kept().iter().map(|item| item.text.as_str()).collect(),
            variables: self.variables.iter().map(|(name, v)| (name.as_str(), v.ty.as_str())).collect(),
        }
    }

    /// Whether `local`, a path under the cells' crate, names a type the
    /// kept items define.
    fn is_cell_type(items: &Items, local: &str) -> bool {
        let first = local.split("::").next().unwrap_or(local);
        items.kept().iter().any(|item| item.defines.iter().any(|d| d == first))
    }

    /// Compiles `code` into a library (or finds it compiled before),
    /// mending what the kernel can: the library, what was compiled, and the
    /// name rustc knew its source by.
    fn compile(
        &mut self,
        code: &str,
        analysis: Option<&Analysis>,
        mut loads: Vec<Load>,
    ) -> Result<(PathBuf, CellSource, String), RunFailure> {
        let mut bindings: Vec<Binding> = analysis.map(|a| a.bindings.clone()).unwrap_or_default();
        let mut last_errors = Vec::new();
        let options = self.compiler.options();
        for _ in 0..MAX_ATTEMPTS {
            let cell = source::Cell {
                code,
                items: analysis.map(|a| a.items.as_slice()),
                final_expression: analysis.and_then(|a| a.final_expression.clone()),
                bindings: &bindings,
                loads: &loads,
            };
            let generated = source::generate(&cell, &self.items);
            let key = cache::key(&generated.text, &options);
            let (source_file, library, file) = compiler::cell_paths(&self.cells_dir, &key);
            let errors = match self.cache.find(&key) {
                Some(Cached::Library(library)) => return Ok((library, generated, file)),
                Some(Cached::Errors(errors)) => errors,
                None => {
                    std::fs::write(&source_file, &generated.text).map_err(|e| {
                        RunFailure::Refused(format!("writing the cell to {}: {e}", source_file.display()))
                    })?;
                    self.compilations += 1;
                    match self.compiler.compile(&source_file, &library, &self.control) {
                        Ok(()) => {
                            // The last cell's source stays for `:last_compile_dir`.
                            if let Some(previous) = self.last_source.replace(source_file.clone()) {
                                if previous != source_file {
                                    let _ = std::fs::remove_file(previous);
                                }
                            }
                            return Ok((self.cache.keep_library(&key, &library), generated, file));
                        }
                        Err(Failed::Interrupted) => return Err(RunFailure::Interrupted),
                        Err(Failed::Compiler(message)) => return Err(RunFailure::Refused(message)),
                        Err(Failed::Errors(errors)) => {
                            self.cache.keep_errors(&key, &errors);
                            let _ = std::fs::remove_file(&source_file);
                            errors
                        }
                    }
                }
            };
            match self.mend(&errors, &generated, &file, &mut loads, &mut bindings) {
                Mended::Again => last_errors = errors,
                Mended::Borrowed(names) => return Err(RunFailure::Borrowed(names)),
                Mended::No => return Err(RunFailure::Compile(self.report(&errors, &generated, &file, code))),
            }
        }
        let file = String::new();
        Err(RunFailure::Compile(self.report(&last_errors, &CellSource::default(), &file, code)))
    }

    /// What the kernel can do about `errors` in its own code: a variable the
    /// cell moved is not stored back, one it bound and moved is not
    /// stored; one it bound to a borrow is for the session to remember as
    /// a view.
    fn mend(
        &self,
        errors: &[Diagnostic],
        generated: &CellSource,
        file: &str,
        loads: &mut [Load],
        bindings: &mut Vec<Binding>,
    ) -> Mended {
        // A binding that borrows shows as an error whose spans reach its
        // store: the borrow must last for `'static`. Errors that follow from
        // it (moving the borrowed variable back) are not moves of the user's.
        let mut borrowed: Vec<String> = Vec::new();
        for error in errors.iter().filter(|e| !matches!(e.code(), Some("E0382" | "E0381"))) {
            // Moving a variable while another borrows it: the moved one is
            // where the error points, the borrowing one is among its labels.
            let moving = error.code() == Some("E0505");
            for span in error.spans.iter().filter(|s| s.file_name == file && !(moving && s.is_primary)) {
                if let Origin::Store(name) = generated.origin(span.byte_start).0 {
                    if !borrowed.contains(name) {
                        borrowed.push(name.clone());
                    }
                }
            }
        }
        if !borrowed.is_empty() {
            return Mended::Borrowed(borrowed);
        }
        // A variable the cell moved cannot be stored (back): it is gone.
        let mut mended = false;
        for error in errors.iter().filter(|e| matches!(e.code(), Some("E0382" | "E0505"))) {
            let Some(span) = error.primary_in(file) else { continue };
            match generated.origin(span.byte_start).0 {
                Origin::Restore(name) => {
                    if let Some(load) = loads.iter_mut().find(|l| &l.name == name && !l.rebound) {
                        load.rebound = true;
                        mended = true;
                    }
                }
                Origin::Store(name) => {
                    let before = bindings.len();
                    bindings.retain(|b| &b.name != name);
                    mended |= bindings.len() < before;
                }
                _ => {}
            }
        }
        if mended {
            Mended::Again
        } else {
            Mended::No
        }
    }

    /// `expression` as the body of [`Assembly::EXPRESSION`], which takes
    /// the session variables it names by reference.
    fn expression_function(&self, expression: &str) -> String {
        let names = Analysis::of(&format!("{expression};")).map(|a| a.names).unwrap_or_default();
        let parameters: Vec<String> = names
            .iter()
            .filter_map(|name| Some(format!("{name}: &{}", spaced(&self.variables.get(name)?.ty))))
            .collect();
        format!(
            "mod asm {{\n    use super::*;\n    pub fn expression({}) -> impl Sized {{\n        {expression}\n    }}\n}}",
            parameters.join(", ")
        )
    }

    /// `errors` told against the user's code.
    fn report(&self, errors: &[Diagnostic], generated: &CellSource, file: &str, code: &str) -> Vec<CompileError> {
        errors
            .iter()
            .filter(|e| !e.message.starts_with("aborting due to"))
            .map(|error| {
                let help: Vec<String> = error
                    .children
                    .iter()
                    .filter(|c| c.level == "help" || c.level == "note")
                    .map(|c| c.message.clone())
                    .filter(|m| !m.is_empty())
                    .collect();
                let primary = error.primary_in(file);
                let label = primary.and_then(|s| s.label.clone()).unwrap_or_default();
                let mut compile_error = CompileError {
                    code: error.code().map(str::to_string),
                    message: error.message.clone(),
                    position: None,
                    label,
                    help,
                };
                let Some(span) = primary else { return compile_error };
                let (origin, in_cell) = generated.origin(span.byte_start);
                match origin {
                    Origin::Cell(_) | Origin::CellAt(_) => {
                        compile_error.position = in_cell.map(|at| position(code, at))
                    }
                    Origin::Kept(index) => {
                        let item = self.items.kept().get(*index).map(|i| i.describe()).unwrap_or_default();
                        compile_error.message = format!("in {item}, kept from an earlier cell: {}", error.message);
                        compile_error.help.push("redefine it, or start again with :clear".into());
                    }
                    Origin::Load(name) => {
                        let ty = self.variables.get(name).map(|v| v.type_name.as_str()).unwrap_or("?");
                        compile_error.message = format!("loading `{name}` (of type `{ty}`): {}", error.message);
                    }
                    Origin::Store(name) | Origin::Restore(name) => {
                        compile_error.message = format!("keeping `{name}` for later cells: {}", error.message);
                    }
                    Origin::Show => {
                        compile_error.message =
                            "the cell's value cannot be shown: its type implements neither `Debug` \
                                                 nor an `evcxr_display` method"
                                .into();
                        compile_error.help = vec![
                            "derive or implement `Debug` for it, or end the cell with `;`".into(),
                            error.message.clone(),
                        ];
                        compile_error.position = in_cell.map(|at| position(code, at));
                    }
                    Origin::Generated => {}
                }
                if matches!(error.code(), Some("E0514" | "E0460")) {
                    compile_error.help.push(self.compiler.libraries.stale());
                }
                if matches!(error.code(), Some("E0596" | "E0594" | "E0384")) {
                    compile_error.help.push(
                        "a session variable keeps the mutability it was declared with: rebind it with `let mut x = x;`"
                            .into(),
                    );
                }
                compile_error
            })
            .collect()
    }

    /// A panic's report as a failure placed in `code` when it was raised
    /// there.
    fn panic(&self, report: &str, generated: &CellSource, file: &str, code: &str) -> RunFailure {
        let (location, message) = report.split_once('\n').unwrap_or(("", report));
        let mut parts = location.rsplitn(3, ':');
        let (column, line, path) = (parts.next(), parts.next(), parts.next());
        let at = match (path, line.and_then(|l| l.parse::<usize>().ok()), column.and_then(|c| c.parse::<usize>().ok()))
        {
            (Some(path), Some(line), Some(column)) if path == file => byte_at(&generated.text, line, column),
            _ => None,
        };
        let (origin, in_cell) = at.map(|at| generated.origin(at)).unwrap_or((&Origin::Generated, None));
        let (position, location) = match (origin, in_cell) {
            (Origin::Cell(_) | Origin::CellAt(_), Some(at)) => (Some(position(code, at)), None),
            (Origin::Kept(index), _) => {
                let item = self.items.kept().get(*index).map(|i| i.describe()).unwrap_or_default();
                (None, Some(format!("{item}, defined in an earlier cell")))
            }
            _ if location.is_empty() || at.is_some() => (None, None),
            _ => (None, Some(location.to_string())),
        };
        RunFailure::Panic { message: message.to_string(), location, position }
    }

    /// After a run: the variables the cell took and stored, named for the
    /// next cells; those whose type cannot be named are dropped, and the
    /// user is told why.
    fn keep(&mut self, removed: Vec<String>, stored: Vec<Stored>, opaque: &BTreeMap<String, String>) {
        for name in removed {
            self.variables.remove(&name);
        }
        let mut unkept = Vec::new();
        for stored in stored {
            let named = match self.named.get(&stored.type_name) {
                _ if opaque.contains_key(&stored.name) => Err(Unnameable::Opaque(opaque[&stored.name].clone())),
                Some(named) => named.clone(),
                None => {
                    let items = &self.items;
                    let named =
                        types::name(&stored.type_name, &|local| Self::is_cell_type(items, local), &mut self.paths);
                    self.named.insert(stored.type_name.clone(), named.clone());
                    named
                }
            };
            match named {
                Ok(ty) => {
                    let variable = Variable { type_name: stored.type_name, ty, mutable: stored.mutable };
                    self.variables.insert(stored.name, variable);
                }
                Err(why) => {
                    self.router.send(Event::Stderr(format!("{}\n", why.message(&stored.name, &stored.type_name))));
                    self.variables.remove(&stored.name);
                    unkept.push(stored.name);
                }
            }
        }
        if let Err(Lost::Ended(detail)) = self.process.drop_variables(unkept) {
            eprintln!("ndlens: the session process ended while dropping variables: {detail}");
            self.variables.clear();
        }
    }

    /// The cell's bindings that hold what a function of the session returns
    /// as `impl Trait`, each with that function.
    fn opaque_bindings(&self, analysis: &Analysis, code: &str) -> BTreeMap<String, String> {
        let kept = self.items.kept().iter().map(|item| item.text.as_str());
        let functions = items::returning_opaque(kept.chain(analysis.items.iter().map(|item| item.text(code))));
        analysis
            .bindings
            .iter()
            .filter_map(|b| b.called.as_ref().filter(|f| functions.contains(*f)).map(|f| (b.name.clone(), f.clone())))
            .collect()
    }

    /// The variables of types `redefined` names: they cannot be read as the
    /// new types.
    fn of_redefined_types(&self, redefined: &std::collections::BTreeSet<String>) -> Vec<String> {
        let mentions = |type_name: &str, name: &str| {
            let needle = format!("{}::{name}", compiler::CELL_CRATE);
            type_name.match_indices(&needle).any(|(at, _)| {
                let after = type_name[at + needle.len()..].chars().next();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        };
        self.variables
            .iter()
            .filter(|(_, v)| redefined.iter().any(|name| mentions(&v.type_name, name)))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

enum Mended {
    Again,
    Borrowed(Vec<String>),
    No,
}

impl Engine for RustcEngine {
    fn run(&mut self, code: &str) -> Run {
        let analysis = Analysis::of(code);
        let redefined = analysis.as_ref().map(|a| self.items.redefined(&a.items, code)).unwrap_or_default();
        let doomed = self.of_redefined_types(&redefined);
        let loads: Vec<Load> = match &analysis {
            Some(analysis) => analysis
                .names
                .iter()
                .filter(|name| !doomed.contains(name) && !analysis.fresh.contains(*name))
                .filter_map(|name| {
                    let variable = self.variables.get(name)?;
                    Some(Load {
                        name: name.clone(),
                        ty: variable.ty.clone(),
                        mutable: variable.mutable,
                        rebound: analysis.bindings.iter().any(|b| &b.name == name),
                    })
                })
                .collect(),
            // Code that does not parse loads nothing: it will not compile.
            None => Vec::new(),
        };
        let opaque = analysis.as_ref().map(|a| self.opaque_bindings(a, code)).unwrap_or_default();
        let (library, generated, file) = match self.compile(code, analysis.as_ref(), loads) {
            Ok(compiled) => compiled,
            Err(failure) => return Run::failed(failure),
        };
        if let Some(analysis) = &analysis {
            self.items.commit(&analysis.items, code);
        }
        if !doomed.is_empty() {
            let names = doomed.join("`, `");
            let types: Vec<&str> = redefined.iter().map(String::as_str).collect();
            self.router.send(Event::Stderr(format!(
                "`{}` redefined: its old values cannot be read as the new type, so `{names}` {} dropped.\n",
                types.join("`, `"),
                if doomed.len() == 1 { "was" } else { "were" }
            )));
            for name in &doomed {
                self.variables.remove(name);
            }
            if let Err(Lost::Ended(detail)) = self.process.drop_variables(doomed) {
                self.variables.clear();
                return Run::failed(RunFailure::ProcessLost(detail));
            }
        }
        // A cell that loads and binds nothing and can leave nothing behind
        // may be unloaded once it has run (the process checks the rest).
        let transient = analysis.as_ref().is_some_and(|a| !a.lasting && a.bindings.is_empty() && a.items.is_empty());
        let ran = self.process.run(library.clone(), transient);
        if !self.cache.holds(&library) {
            // The process has it mapped; the file only takes disk.
            let _ = std::fs::remove_file(&library);
        }
        let ran = match ran {
            Ok(ran) => ran,
            Err(Lost::Ended(detail)) => {
                self.variables.clear();
                return Run::failed(RunFailure::ProcessLost(detail));
            }
        };
        self.keep(ran.removed, ran.stored, &opaque);
        let mut outputs = ran.outputs;
        let panic_report = outputs.remove(PANIC_MIME);
        let failure = match ran.outcome {
            Outcome::Finished => panic_report.map(|report| self.panic(&report, &generated, &file, code)),
            Outcome::Failed(message) => Some(RunFailure::Returned(message)),
            Outcome::Panicked => Some(self.panic(&panic_report.unwrap_or_default(), &generated, &file, code)),
            Outcome::NotLoaded(message) => {
                Some(RunFailure::Refused(format!("the cell could not be loaded: {message}")))
            }
        };
        Run { outputs, failure }
    }

    fn assembly(&mut self, of: AssemblyOf<'_>) -> Result<Assembly, RunFailure> {
        let (code, wrapped) = match of {
            AssemblyOf::Items { code, .. } => (code, None),
            AssemblyOf::Expression(expression) => (expression, Some(self.expression_function(expression))),
        };
        let kept = match of {
            AssemblyOf::Items { functions, .. } => functions.to_vec(),
            AssemblyOf::Expression(_) => vec![Assembly::EXPRESSION.to_string()],
        };
        // Each function is kept whatever its use by taking its address; the
        // cell's entry point is never called.
        let pointers: Vec<String> = kept.iter().map(|f| format!("{f} as *const ()")).collect();
        let code =
            format!("{}\n::core::hint::black_box([{}]);\n", wrapped.as_deref().unwrap_or(code), pointers.join(", "));
        let code = code.as_str();
        let analysis = Analysis::of(code);
        let cell = source::Cell {
            code,
            items: analysis.as_ref().map(|a| a.items.as_slice()),
            final_expression: None,
            bindings: &[],
            loads: &[],
        };
        let generated = source::generate(&cell, &self.items);
        let key = cache::key(&generated.text, &format!("{}\nassembly", self.compiler.options()));
        let (source_file, _, file) = compiler::cell_paths(&self.cells_dir, &key);
        if let Some(listing) = self.cache.find_listing(&key) {
            return Ok(Assembly { listing, source: generated.text, file });
        }
        let listing_file = source_file.with_extension("s");
        std::fs::write(&source_file, &generated.text)
            .map_err(|e| RunFailure::Refused(format!("writing the cell to {}: {e}", source_file.display())))?;
        self.compilations += 1;
        let compiled = self.compiler.assembly(&source_file, &listing_file, &self.control);
        let _ = std::fs::remove_file(&source_file);
        match compiled {
            Ok(()) => {
                let listing = std::fs::read_to_string(&listing_file)
                    .map_err(|e| RunFailure::Refused(format!("reading {}: {e}", listing_file.display())));
                let _ = std::fs::remove_file(&listing_file);
                let listing = listing?;
                self.cache.keep_listing(&key, &listing);
                Ok(Assembly { listing, source: generated.text, file })
            }
            Err(Failed::Interrupted) => Err(RunFailure::Interrupted),
            Err(Failed::Compiler(message)) => Err(RunFailure::Refused(message)),
            Err(Failed::Errors(errors)) => Err(RunFailure::Compile(self.report(&errors, &generated, &file, code))),
        }
    }

    fn variables(&self) -> Vec<(String, String)> {
        self.variables.iter().map(|(name, v)| (name.clone(), v.type_name.clone())).collect()
    }

    fn complete(&mut self, code: &str, cursor: usize) -> Completions {
        let context = self.analysis_context();
        match self.analyzer.complete(&context, code, cursor) {
            Ok(completions) => completions,
            Err(e) => {
                eprintln!("ndlens: no completions: {e:#}");
                Completions { matches: Vec::new(), start: cursor, end: cursor }
            }
        }
    }

    fn hover(&mut self, code: &str, cursor: usize) -> Option<Documentation> {
        let context = self.analysis_context();
        self.analyzer.hover(&context, code, cursor).unwrap_or_else(|e| {
            eprintln!("ndlens: no documentation: {e:#}");
            None
        })
    }

    fn interrupter(&self) -> Arc<dyn Interrupt> {
        self.control.clone()
    }

    fn set_checks(&mut self, checks: Checks) -> Result<()> {
        self.compiler.checks = checks;
        Ok(())
    }

    fn set_optimization(&mut self, level: u8) -> Result<()> {
        anyhow::ensure!(level <= 3, "the optimisation levels are 0, 1, 2 and 3");
        self.compiler.optimization = level;
        Ok(())
    }

    fn optimization(&self) -> u8 {
        self.compiler.optimization
    }

    fn add_dependency(&mut self, name: &str, specification: &str) -> Result<(), String> {
        let prebuilt = Prebuilt::beside(&self.kernel_dir);
        let own = self.work_dir.join("libraries");
        let template = prebuilt.libraries();
        // The session's own copy of the libraries, made once; a session
        // that built its libraries itself has them there already.
        if prebuilt.check(&template).is_ok() {
            prebuilt.seed(&template, &own).map_err(|e| e.to_string())?;
        }
        let line = format!("{name} = {specification}");
        let mut extra = self.compiler.libraries.added.clone();
        extra.retain(|l| l.split('=').next().map(str::trim) != Some(name));
        extra.push(line);
        let sources = prebuilt.vendored();
        let libraries = libraries::build_extra(
            &own,
            &libraries::session_dependencies(&self.kernel_dir),
            &extra,
            sources.as_deref(),
            &self.compiler.libraries,
        )
        .map_err(|e| match &sources {
            Some(sources) => format!(
                "{e:#}\nThis kernel's sessions build crates offline, from those vendored when it was installed \
                 (in {}), and crates of your own given by path.",
                sources.display()
            ),
            None => format!("{e:#}"),
        })?;
        self.analyzer = analyzer_for(&self.kernel_dir, &self.work_dir, &libraries);
        self.paths.use_libraries(libraries.clone());
        self.compiler.libraries = libraries;
        // Its files may be rebuilt under the same names by the next `:dep`.
        self.cache = CellCache::default();
        Ok(())
    }

    fn dependencies(&self) -> Vec<String> {
        self.compiler.libraries.added.clone()
    }

    fn clear(&mut self) -> Result<(), String> {
        self.items.clear();
        self.restart()
    }

    fn restart(&mut self) -> Result<(), String> {
        self.variables.clear();
        self.process.restart().map_err(|e| format!("{e:#}"))
    }

    fn take_compilations(&mut self) -> usize {
        std::mem::take(&mut self.compilations)
    }

    fn last_compile_dir(&self) -> Option<PathBuf> {
        Some(self.cells_dir.clone())
    }

    fn reads_notes(&self) -> bool {
        true
    }

    fn read_variables(&mut self, names: &[String]) -> Vec<Option<Reading>> {
        match self.process.read_variables(names.to_vec()) {
            Ok(readings) => readings,
            Err(Lost::Ended(detail)) => {
                eprintln!("ndlens: the session process ended while reading variables: {detail}");
                self.variables.clear();
                vec![None; names.len()]
            }
        }
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

/// The caches of compiled cells a session reads and writes: the
/// installer's, beside the prebuilt libraries, and the user's own; none
/// for libraries a `:dep` rebuilt in the session's slot, whose files may
/// change under the same names.
fn cell_cache(config: &EngineConfig, libraries: &Libraries) -> CellCache {
    if !libraries.added.is_empty() {
        return CellCache::default();
    }
    let template = Prebuilt::beside(&config.kernel_dir).libraries();
    let shared = template.join("cells");
    match &config.warm {
        // The installer compiles into the shared cache itself.
        true => CellCache { shared: None, own: Some(shared) },
        false => CellCache {
            shared: shared.is_dir().then_some(shared),
            own: crate::engine::slots::cache_root().ok().map(|root| root.join("cells")),
        },
    }
}

/// An analyser of the session's code against `libraries`.
fn analyzer_for(kernel_dir: &std::path::Path, work_dir: &std::path::Path, libraries: &Libraries) -> analyzer::Analyzer {
    let dependencies: Vec<String> = libraries::session_dependencies(kernel_dir)
        .iter()
        .map(|(name, spec)| format!("{name} = {spec}"))
        .chain(libraries.added.iter().cloned())
        .collect();
    let config = libraries::cargo_config(Prebuilt::beside(kernel_dir).vendored().as_deref());
    analyzer::Analyzer::new(work_dir.join("analysis"), &dependencies, config)
}

/// The libraries this session's cells link: the prebuilt ones, or, when
/// the kernel was installed without them (`--no-prebuilt`) or they cannot be
/// read, built once in the session's own folder (the user is told why in
/// `notices`, unless they chose it).
fn session_libraries(config: &EngineConfig, notices: &mut Vec<String>) -> Result<Libraries> {
    use crate::engine::prebuilt::SeedError;
    let prebuilt = Prebuilt::beside(&config.kernel_dir);
    let template = prebuilt.libraries();
    let why = match prebuilt.check(&template) {
        Ok(()) => match Libraries::load(&template) {
            Ok(libraries) => return Ok(libraries),
            Err(e) => format!("{e:#}"),
        },
        Err(missing @ SeedError::Missing(_)) => {
            eprintln!("ndlens: {missing}; this session builds ndarray and ndlens itself");
            String::new()
        }
        Err(failure) => failure.to_string(),
    };
    if !why.is_empty() {
        let notice = format!("{why}: this session builds ndarray and ndlens itself, which takes a minute or two.");
        eprintln!("ndlens: {notice}");
        notices.push(notice);
    }
    let own = config.work_dir.join("libraries");
    if let Ok(libraries) = Libraries::load(&own) {
        return Ok(libraries);
    }
    libraries::build(&own, &libraries::session_dependencies(&config.kernel_dir), &[], None)
}

/// 1-based line and column (in characters) of byte `at` of `code`.
/// A type written from tokens (`ndarray :: Array2 < f64 >`) as a person
/// writes it (`ndarray::Array2<f64>`), for code a user reads.
fn spaced(ty: &str) -> String {
    let mut out = ty.to_string();
    for (tokens, written) in
        [(" :: ", "::"), (":: ", "::"), (" < ", "<"), ("< ", "<"), (" >", ">"), (" , ", ", "), (" ;", ";"), ("& ", "&")]
    {
        out = out.replace(tokens, written);
    }
    out
}

fn position(code: &str, at: usize) -> (usize, usize) {
    let at = at.min(code.len());
    let before = &code[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, code[line_start..at].chars().count() + 1)
}

/// The byte of `text` at 1-based `line` and `column` (in characters).
fn byte_at(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start: usize = text.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum();
    let line_text = text[line_start..].split('\n').next()?;
    let offset = line_text.char_indices().nth(column.checked_sub(1)?).map_or(line_text.len(), |(i, _)| i);
    Some(line_start + offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_written_as_people_write_them() {
        assert_eq!(
            spaced("ndarray :: ArrayBase < ndarray :: OwnedRepr < f64 > , ndarray :: Dim < [usize ; 2] > , f64 >"),
            "ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>, f64>"
        );
    }

    #[test]
    fn positions_count_characters() {
        let code = "let a = 1;\nlet µ = \"x\";";
        assert_eq!(position(code, code.find('"').unwrap()), (2, 9));
        assert_eq!(byte_at(code, 2, 9), code.find('"'));
    }
}
