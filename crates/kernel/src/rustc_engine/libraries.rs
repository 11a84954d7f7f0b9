//! The session libraries every cell links: ndarray, the lens (with
//! plotters) and the runtime, built once by cargo into one shared library,
//! `ndlens_session`.
//!
//! `ndlens install` builds them next to the installed kernel (see
//! [`crate::engine::prebuilt`]); cells then link them where they lie,
//! read-only, however many sessions run. Linking one shared library, not
//! static archives, costs each cell no more time to build and leaves each
//! cell's library holding only its own code: the lens's diagram code and
//! ndarray's non-generic code are loaded once per process, and the
//! runtime's statics are one per process.
//!
//! What was built is described in `libraries.json`: the crate files cells
//! pass to rustc as `--extern`, and the folders the session process loads
//! shared objects from.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::engine::prebuilt::Prebuilt;

/// The shared library's crate: cells name it to link it.
pub const SESSION_CRATE: &str = "ndlens_session";
/// The package the crates `:dep` adds go into.
const EXTRA_CRATE: &str = "ndlens_extra";
/// The description of a build, in the template's folder.
const MANIFEST: &str = "libraries.json";

/// What cells compile against.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Libraries {
    /// `rustc -vV` of the compiler that built them: cells must be compiled
    /// by the same.
    pub rustc: String,
    /// The toolchain's folder of shared standard libraries.
    pub target_libdir: PathBuf,
    /// Where rustc finds the crates the named ones depend on.
    pub dependencies: PathBuf,
    /// Each crate a cell may name, with the file rustc reads it from.
    pub externs: BTreeMap<String, PathBuf>,
    /// The dependencies added with `:dep`, as `name = specification`.
    #[serde(default)]
    pub added: Vec<String>,
    /// rustc's own linker, called without the C compiler's driver, when it
    /// was found to link a cell here: 5 to 10 ms less a cell.
    #[serde(default)]
    pub linker: Option<Linker>,
}

/// rust-lld, and the folders of the C libraries a cell links (the C
/// compiler's driver would pass them).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Linker {
    pub program: PathBuf,
    pub search: Vec<PathBuf>,
}

impl Libraries {
    /// Has a rustc command link with [`Linker`], when there is one.
    pub fn link_with(&self, command: &mut Command) {
        if let Some(linker) = &self.linker {
            command.arg("-C").arg("linker-flavor=ld.lld").arg("-C").arg(format!("linker={}", linker.program.display()));
            for folder in &linker.search {
                command.arg("-C").arg(format!("link-arg=-L{}", folder.display()));
            }
        }
    }

    /// Passes the libraries to a rustc command.
    pub fn add_to(&self, command: &mut Command) {
        for (name, file) in &self.externs {
            command.arg("--extern").arg(format!("{name}={}", file.display()));
        }
        command.arg("-L").arg(format!("dependency={}", self.dependencies.display()));
    }

    /// Where the session process's loader finds the shared objects cells
    /// need.
    pub fn library_path(&self) -> Vec<PathBuf> {
        vec![self.target_libdir.clone(), self.dependencies.clone()]
    }

    /// What identifies this build: paths learned for its types, and cells
    /// compiled against it, hold for it. A rebuild in place (a reinstall
    /// with a new lens) keeps the files' names, not their times and sizes.
    pub fn identity(&self) -> String {
        let files: Vec<String> = self
            .externs
            .values()
            .map(|path| {
                let stamp = std::fs::metadata(path)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?, m.len())));
                match stamp {
                    Some((modified, size)) => format!("{} {} {}", path.display(), modified.as_nanos(), size),
                    None => path.display().to_string(),
                }
            })
            .collect();
        format!("{}\n{}", self.rustc, files.join("\n"))
    }

    /// The libraries described in `template`. Whether the rustc on PATH is
    /// the one that built them is not asked at every start (it costs a run
    /// of rustc): a cell compiled by another says so ([`Libraries::stale`]).
    pub fn load(template: &Path) -> Result<Libraries> {
        let path = template.join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a description of libraries", path.display()))
    }

    /// What to tell the user when rustc finds the libraries were built by
    /// another compiler (errors E0514 and E0460).
    pub fn stale(&self) -> String {
        format!(
            "the session libraries were built by {}, and the rustc on PATH is another: run `ndlens install` again",
            self.rustc.lines().next().unwrap_or(&self.rustc)
        )
    }
}

/// The crates every session links, each `(name, TOML specification)`, as
/// the kernel in `kernel_dir` installed them.
pub fn session_dependencies(kernel_dir: &Path) -> Vec<(&'static str, String)> {
    let path = |folder: &str| format!("{{ path = {:?} }}", kernel_dir.join(folder).display().to_string());
    vec![("ndarray", "\"0.17\"".into()), ("ndlens", path("lens")), ("ndlens-runtime", path("runtime"))]
}

/// Builds the template of the kernel installed in `kernel_dir`, from the
/// vendored sources.
pub fn build_template(kernel_dir: &Path) -> Result<Libraries> {
    let prebuilt = Prebuilt::beside(kernel_dir);
    let template = prebuilt.libraries();
    let sources = prebuilt.sources();
    let mut built = None;
    // Cells compiled against an earlier build would link what is gone.
    let cells = template.join("cells");
    if cells.exists() {
        std::fs::remove_dir_all(&cells).with_context(|| format!("removing {}", cells.display()))?;
    }
    prebuilt.build(&template, &session_dependencies(kernel_dir), |folder| {
        built = Some(build(folder, &session_dependencies(kernel_dir), &[], Some(&sources))?);
        Ok(())
    })?;
    built.context("the session libraries were not built")
}

/// Builds the session libraries in `folder`: the crates `dependencies`
/// (each `(name, specification)`) in the shared library, `extra` (`name =
/// specification` lines, from `:dep`) beside it as crates cells link
/// statically; from `sources` when given (vendored), else from crates.io.
pub fn build(
    folder: &Path,
    dependencies: &[(&str, String)],
    extra: &[String],
    sources: Option<&Path>,
) -> Result<Libraries> {
    cargo_build(folder, dependencies, extra, sources, None)
}

/// Adds the crates `extra` to the libraries in `folder`, a copy of a
/// built template: only the `extra` package is built, so the shared
/// library the session's cells already linked stays as it was.
pub fn build_extra(
    folder: &Path,
    dependencies: &[(&str, String)],
    extra: &[String],
    sources: Option<&Path>,
    before: &Libraries,
) -> Result<Libraries> {
    cargo_build(folder, dependencies, extra, sources, Some(before))
}

fn cargo_build(
    folder: &Path,
    dependencies: &[(&str, String)],
    extra: &[String],
    sources: Option<&Path>,
    before: Option<&Libraries>,
) -> Result<Libraries> {
    write_workspace(folder, dependencies, extra, sources)?;
    let mut command = Command::new("cargo");
    command.args(["build", "--release", "--message-format=json-render-diagnostics", "--quiet"]);
    if before.is_some() {
        command.args(["-p", "ndlens-extra"]);
    }
    command
        .arg("--manifest-path")
        .arg(folder.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(folder.join("target"))
        .current_dir(folder)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if sources.is_some() {
        command.arg("--offline");
    }
    let mut child = command.spawn().context("running cargo: is it on PATH?")?;
    let mut stderr = child.stderr.take().expect("piped");
    let said = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut externs = BTreeMap::new();
    let mut dependencies_dir = None;
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(artifact) = serde_json::from_str::<Artifact>(&line?) else { continue };
        if artifact.reason != "compiler-artifact"
            || !artifact.target.kind.iter().any(|k| k == "lib" || k == "dylib" || k == "rlib")
        {
            continue;
        }
        let name = artifact.target.name.replace('-', "_");
        if name == EXTRA_CRATE {
            continue;
        }
        let wanted = if name == SESSION_CRATE { "so" } else { "rlib" };
        if let Some(file) = artifact.filenames.iter().find(|f| f.extension().is_some_and(|e| e == wanted)) {
            let in_deps = file.parent().map(|p| p.ends_with("deps")).unwrap_or(false);
            let file = if in_deps {
                file.clone()
            } else {
                folder.join("target/release/deps").join(file.file_name().expect("a file"))
            };
            dependencies_dir.get_or_insert_with(|| file.parent().expect("in a folder").to_path_buf());
            externs.insert(name, file);
        }
    }
    let status = child.wait()?;
    let said = said.join().unwrap_or_default();
    if !status.success() {
        let errors: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).collect();
        bail!("cargo could not build them:\n{}", errors.join("\n"));
    }
    let dependencies = dependencies_dir.unwrap_or_else(|| folder.join("target/release/deps"));
    if let Some(before) = before {
        // The shared library was not rebuilt: its copy here stands for it.
        let session = before.externs.get(SESSION_CRATE).and_then(|f| f.file_name()).map(|f| dependencies.join(f));
        if let Some(session) = session {
            externs.insert(SESSION_CRATE.to_string(), session);
        }
    }
    let mut libraries = Libraries {
        rustc: rustc_version()?,
        target_libdir: target_libdir()?,
        dependencies,
        externs,
        added: extra.to_vec(),
        linker: before.and_then(|b| b.linker.clone()),
    };
    if before.is_none() {
        libraries.linker = direct_linker(folder, &libraries);
    }
    std::fs::write(folder.join(MANIFEST), serde_json::to_string_pretty(&libraries)?)?;
    Ok(libraries)
}

#[derive(Deserialize)]
struct Artifact {
    reason: String,
    #[serde(default)]
    target: Target,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(Default, Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// A workspace of two packages: the shared library, and `extra` for the
/// crates `:dep` adds, so that adding one never rebuilds the shared library
/// (whose identity cells already compiled against).
fn write_workspace(
    folder: &Path,
    dependencies: &[(&str, String)],
    extra: &[String],
    sources: Option<&Path>,
) -> Result<()> {
    let write = |path: PathBuf, text: String| -> Result<()> {
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write(
        folder.join("Cargo.toml"),
        "# Written by the ndlens kernel: the libraries its sessions' cells link.\n\
         [workspace]\nmembers = [\"session\", \"extra\"]\nresolver = \"2\"\n\n\
         [profile.release]\nopt-level = 3\ndebug = false\ndebug-assertions = false\noverflow-checks = false\n"
            .into(),
    )?;
    let lines: String = dependencies.iter().map(|(name, spec)| format!("{name} = {spec}\n")).collect();
    write(
        folder.join("session/Cargo.toml"),
        format!(
            "[package]\nname = \"ndlens-session\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [lib]\ncrate-type = [\"dylib\"]\n\n[dependencies]\n{lines}"
        ),
    )?;
    let reexports: String =
        dependencies.iter().map(|(name, _)| format!("pub extern crate {};\n", name.replace('-', "_"))).collect();
    write(folder.join("session/src/lib.rs"), format!("//! The libraries every ndlens cell links.\n{reexports}"))?;
    let extra_lines: String = extra.iter().map(|line| format!("{line}\n")).collect();
    write(
        folder.join("extra/Cargo.toml"),
        format!("[package]\nname = \"ndlens-extra\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n{lines}{extra_lines}"),
    )?;
    write(folder.join("extra/src/lib.rs"), "//! The crates added with `:dep`.\n".into())?;
    let config = format!(
        "# Cells link the standard library as a shared object; so must the\n\
         # session libraries.\n[build]\nrustflags = [\"-C\", \"prefer-dynamic\"]\n{}",
        cargo_config(sources)
    );
    write(folder.join(".cargo/config.toml"), config)
}

/// Cargo's configuration for a project that depends on the session's
/// crates: their vendored `sources`, when the install made them.
pub fn cargo_config(sources: Option<&Path>) -> String {
    match sources {
        Some(sources) => format!(
            "\n[source.crates-io]\nreplace-with = \"ndlens-vendored\"\n\n[source.ndlens-vendored]\ndirectory = {:?}\n",
            sources.display().to_string()
        ),
        None => String::new(),
    }
}

/// rust-lld with the C compiler's library folders, if a cell linked with
/// them here builds.
fn direct_linker(folder: &Path, libraries: &Libraries) -> Option<Linker> {
    let host = libraries.rustc.lines().find_map(|l| l.strip_prefix("host: "))?;
    let sysroot = String::from_utf8(Command::new("rustc").args(["--print", "sysroot"]).output().ok()?.stdout).ok()?;
    let program = PathBuf::from(sysroot.trim()).join("lib/rustlib").join(host).join("bin/rust-lld");
    let said = String::from_utf8(Command::new("cc").arg("-print-search-dirs").output().ok()?.stdout).ok()?;
    let listed = said.lines().find_map(|l| l.strip_prefix("libraries: ="))?;
    let mut search: Vec<PathBuf> = Vec::new();
    for folder in std::env::split_paths(listed) {
        if let Ok(folder) = folder.canonicalize() {
            if folder.is_dir() && !search.contains(&folder) {
                search.push(folder);
            }
        }
    }
    let linker = Linker { program, search };
    let probe = folder.join("linker-probe");
    std::fs::create_dir_all(&probe).ok()?;
    let source = probe.join("cell.rs");
    let cell = "extern crate ndlens_session as _;\n\
                #[no_mangle]\npub extern \"C\" fn probe() -> usize { std::hint::black_box(vec![1u8]).len() }\n";
    std::fs::write(&source, cell).ok()?;
    let with_linker = Libraries { linker: Some(linker.clone()), ..libraries.clone() };
    let mut command = Command::new("rustc");
    command.args(["--crate-type", "cdylib", "--edition", "2021", "-C", "prefer-dynamic"]);
    with_linker.add_to(&mut command);
    with_linker.link_with(&mut command);
    command.arg("-o").arg(probe.join("libcell.so")).arg(&source).env_remove("RUSTFLAGS");
    let linked = command.output().ok()?.status.success();
    let _ = std::fs::remove_dir_all(&probe);
    linked.then_some(linker)
}

fn rustc_version() -> Result<String> {
    let output = Command::new("rustc").arg("-vV").output().context("running `rustc -vV`: is rustc on PATH?")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn target_libdir() -> Result<PathBuf> {
    let output = Command::new("rustc")
        .args(["--print", "target-libdir"])
        .output()
        .context("running `rustc --print target-libdir`")?;
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}
