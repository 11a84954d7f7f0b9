//! rustc, called directly for each cell: no cargo, no analysis in a cell's
//! path. Cells are shared libraries linked against the standard library's
//! and the session libraries' shared objects, so that each holds only its
//! own code.
//!
//! Options measured for speed (`bench/compile_levers.py` prints each on its
//! own, `bench/kernel_bench.py` the floors they are compared with): rustc's
//! own `rust-lld` links, called directly rather than through the C
//! compiler's driver where the install found that to work (5 to 10 ms less
//! a cell; Debian's mold 1.10 and GNU ld were no faster), and `opt-level=2`
//! builds a cell as fast as 1 while running the recipe's loops at NumPy's
//! speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::libraries::Libraries;
use super::process::Control;
use crate::engine::Checks;

/// The crate name every cell is compiled under: with the same name and
/// metadata, a type defined in the cells is the same type in each.
pub const CELL_CRATE: &str = "ndlens_cell";

/// How cells are compiled.
#[derive(Clone, Debug)]
pub struct Compiler {
    pub libraries: Libraries,
    pub optimization: u8,
    pub checks: Checks,
}

/// Why a compilation produced nothing.
#[derive(Debug)]
pub enum Failed {
    Errors(Vec<Diagnostic>),
    /// An interrupt stopped the compiler.
    Interrupted,
    /// rustc could not be run, or failed without saying why.
    Compiler(String),
}

/// One of rustc's JSON diagnostics (`--error-format=json`).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Diagnostic {
    pub message: String,
    pub code: Option<DiagnosticCode>,
    pub level: String,
    #[serde(default)]
    pub spans: Vec<Span>,
    #[serde(default)]
    pub children: Vec<Diagnostic>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DiagnosticCode {
    pub code: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Span {
    pub file_name: String,
    pub byte_start: usize,
    pub is_primary: bool,
    pub label: Option<String>,
}

impl Diagnostic {
    pub fn code(&self) -> Option<&str> {
        self.code.as_ref().map(|c| c.code.as_str())
    }

    /// The primary span in `file`, if the error is there.
    pub fn primary_in(&self, file: &str) -> Option<&Span> {
        self.spans.iter().find(|s| s.is_primary && s.file_name == file)
    }
}

impl Compiler {
    /// Compiles `source` into the cell library `output`; the compiler's
    /// process is registered with `control` while it runs, so that an
    /// interrupt can stop it.
    pub fn compile(&mut self, source: &Path, output: &Path, control: &Arc<Control>) -> Result<(), Failed> {
        let compiled = self.compile_once(source, output, control);
        // Linking directly was found to work at install; should the system
        // have changed since, the C compiler's driver links from now on.
        if let Err(Failed::Errors(errors)) = &compiled {
            if self.libraries.linker.is_some() && errors.iter().any(|e| e.message.starts_with("linking with")) {
                eprintln!("ndlens: rust-lld could not link a cell directly; linking through cc from now on");
                self.libraries.linker = None;
                return self.compile_once(source, output, control);
            }
        }
        compiled
    }

    /// Compiles `source` as [`Compiler::compile`] does, into its assembly
    /// at `output` instead of a library: one codegen unit, so that the
    /// listing is one file, and line tables, so that it says which source
    /// line each instruction comes from.
    pub fn assembly(&self, source: &Path, output: &Path, control: &Arc<Control>) -> Result<(), Failed> {
        self.run(self.command(source, output, Emit::Assembly), control)
    }

    fn compile_once(&self, source: &Path, output: &Path, control: &Arc<Control>) -> Result<(), Failed> {
        self.run(self.command(source, output, Emit::Library), control)
    }

    fn run(&self, mut command: Command, control: &Arc<Control>) -> Result<(), Failed> {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failed::Compiler(format!("running rustc: {e}; is the Rust toolchain on PATH?")))?;
        control.set_compiler(Some(child.id()));
        let finished = child.wait_with_output();
        control.set_compiler(None);
        if control.take_cancelled() {
            return Err(Failed::Interrupted);
        }
        let finished = finished.map_err(|e| Failed::Compiler(format!("waiting for rustc: {e}")))?;
        if finished.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&finished.stderr);
        let diagnostics: Vec<Diagnostic> = stderr
            .lines()
            .filter_map(|line| serde_json::from_str::<Diagnostic>(line).ok())
            .filter(|d| d.level == "error" || d.level == "error: internal compiler error")
            .collect();
        if diagnostics.is_empty() {
            let said: String = stderr.lines().filter(|l| !l.starts_with('{')).collect::<Vec<_>>().join("\n");
            return Err(Failed::Compiler(format!("rustc failed ({}) {said}", finished.status)));
        }
        Err(Failed::Errors(diagnostics))
    }

    /// What besides a crate's text decides the library it compiles to:
    /// the options and the libraries, as part of a cell's cache key.
    pub fn options(&self) -> String {
        format!(
            "opt-level={} checks={:?} direct-link={} edition=2021\n{}",
            self.optimization,
            self.checks,
            self.libraries.linker.is_some(),
            self.libraries.identity()
        )
    }

    fn command(&self, source: &Path, output: &Path, emit: Emit) -> Command {
        let mut command = Command::new("rustc");
        // Named by file name alone in what it embeds (a panic's location)
        // and reports, so that a library is the same wherever compiled.
        if let Some(folder) = source.parent() {
            command.arg(format!("--remap-path-prefix={}/=", folder.display()));
        }
        command
            .args(["--crate-name", CELL_CRATE, "--crate-type", "cdylib", "--edition", "2021"])
            .args(["-C", "prefer-dynamic", "-C", "metadata=ndlens-session"])
            .arg("-C")
            .arg(format!("opt-level={}", self.optimization))
            .args(["-A", "warnings", "--error-format=json"]);
        match emit {
            Emit::Library => {
                command.args(["-C", "debuginfo=0"]);
            }
            Emit::Assembly => {
                command.args(["--emit", "asm", "-C", "codegen-units=1", "-C", "debuginfo=line-tables-only"]);
                if cfg!(target_arch = "x86_64") {
                    // The syntax Intel's manuals and Compiler Explorer use.
                    command.args(["-C", "llvm-args=-x86-asm-syntax=intel"]);
                }
            }
        }
        if self.checks == Checks::On {
            command.args(["-C", "overflow-checks=on", "-C", "debug-assertions=on"]);
        } else {
            command.args(["-C", "overflow-checks=off", "-C", "debug-assertions=off"]);
        }
        self.libraries.add_to(&mut command);
        self.libraries.link_with(&mut command);
        command.arg("-o").arg(output).arg(source);
        // A cargo build's flags are not a cell's.
        command.env_remove("RUSTFLAGS").env_remove("CARGO_ENCODED_RUSTFLAGS");
        command
    }
}

/// What a compilation writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Emit {
    /// The cell's shared library.
    Library,
    /// The assembly the library would be made of.
    Assembly,
}

/// Where the cell of cache key `key` is written in a session's folder, and
/// the name rustc knows its source by.
pub fn cell_paths(cells_dir: &Path, key: &str) -> (PathBuf, PathBuf, String) {
    let name = format!("cell-{key}.rs");
    (cells_dir.join(&name), cells_dir.join(format!("libcell-{key}.so")), name)
}
