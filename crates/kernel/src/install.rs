//! Installing the kernel where Jupyter looks for kernels.
//!
//! The installed kernel is self-contained, so that it keeps working when the
//! source checkout moves or goes: the kernelspec folder holds the files of
//! the checkout's `kernel-spec/` (logos, and `kernel.json` with `{ndlens}`
//! standing for the binary), a copy of this binary, the lens's and the
//! runtime's manifests and sources, which every session compiles against,
//! and the session libraries built from them (`prebuilt/`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use include_dir::{include_dir, Dir};

use crate::engine::{self, EngineKind};

/// The lens and the runtime as built: their manifests and sources.
static LENS_SOURCES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../lens/src");
const LENS_MANIFEST: &str = include_str!("../../lens/Cargo.toml");
static RUNTIME_SOURCES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../runtime/src");
const RUNTIME_MANIFEST: &str = include_str!("../../runtime/Cargo.toml");
/// The kernelspec's files: `kernel.json` and the logos.
static KERNEL_SPEC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../kernel-spec");
/// What `kernel.json` writes for the path of the installed binary.
const BINARY_PLACEHOLDER: &str = "{ndlens}";

/// The kernelspec's name for each engine: the default engine's kernel is
/// `ndlens`, and evcxr's can be installed beside it.
fn kernel_name(engine: EngineKind) -> &'static str {
    match engine {
        EngineKind::Rustc => "ndlens",
        EngineKind::Evcxr => "ndlens-evcxr",
    }
}

/// Where to install, as `jupyter kernelspec install` takes it.
#[derive(Args, Debug)]
#[group(multiple = false)]
pub struct Place {
    /// For this user (the default): Jupyter's user data folder.
    #[arg(long)]
    user: bool,
    /// Into the Python environment Jupyter runs in (sys.prefix of `python3`
    /// on PATH, or of the active virtual environment).
    #[arg(long)]
    sys_prefix: bool,
    /// Under this prefix: PREFIX/share/jupyter/kernels.
    #[arg(long, value_name = "DIR")]
    prefix: Option<PathBuf>,
}

impl Place {
    /// The kernelspec folder, `.../kernels/NAME`.
    fn kernel_dir(&self, name: &str) -> Result<PathBuf> {
        let kernels = if let Some(prefix) = &self.prefix {
            prefix.join("share/jupyter/kernels")
        } else if self.sys_prefix {
            python_prefix()?.join("share/jupyter/kernels")
        } else {
            user_data_dir()?.join("kernels")
        };
        // Sessions name the lens by this path from any working folder.
        std::path::absolute(kernels.join(name)).context("finding the current folder")
    }
}

fn user_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("JUPYTER_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    Ok(dirs::data_dir().context("no data folder for this user: use --prefix")?.join("jupyter"))
}

fn python_prefix() -> Result<PathBuf> {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        return Ok(PathBuf::from(venv));
    }
    let output = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .context("--sys-prefix asks `python3` for its prefix, and python3 could not be run: use --prefix")?;
    if !output.status.success() {
        bail!("`python3 -c 'import sys; print(sys.prefix)'` failed: use --prefix");
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// The installed kernel's folder, which holds the lens and the runtime
/// (`lens/`, `runtime/`) and the prebuilt session libraries, above the
/// installed binary; or this checkout's `crates/` when the binary runs
/// from a build folder (its sessions then build their libraries).
pub fn kernel_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    let has_sources = |dir: &Path| dir.join("lens/Cargo.toml").exists() && dir.join("runtime/Cargo.toml").exists();
    if let Some(installed) = exe.parent().and_then(Path::parent) {
        if has_sources(installed) {
            return Ok(installed.to_path_buf());
        }
    }
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    if has_sources(&checkout) {
        return Ok(checkout);
    }
    bail!(
        "the ndlens library is neither installed next to {} nor in {}: run `ndlens install`",
        exe.display(),
        checkout.display()
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn write_tree(dir: &Dir<'_>, to: &Path) -> Result<()> {
    for file in dir.files() {
        write(&to.join(file.path()), file.contents())?;
    }
    for sub in dir.dirs() {
        write_tree(sub, to)?;
    }
    Ok(())
}

/// What `ndlens install` builds beside the kernel, for its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Built {
    /// Nothing: each session builds its libraries and compiles its cells.
    Nothing,
    /// The session libraries (ndarray, the lens, the runtime).
    Libraries,
    /// The libraries, and the shipped notebooks' cells compiled into the
    /// shared cache (rustc engine only: evcxr keeps no such cache).
    LibrariesAndCells,
}

pub fn install(place: &Place, engine: EngineKind, built: Built) -> Result<()> {
    if !engine.built_in() {
        bail!(
            "this ndlens was built without the {0} engine: build it with `cargo build --release -p ndlens-kernel --features {0}`",
            engine.name()
        );
    }
    let dir = place.kernel_dir(kernel_name(engine))?;
    let binary = dir.join("bin").join("ndlens");

    // A fresh copy: files of an older version must not linger. The
    // prebuilt libraries stay, to be brought up to date by the build below.
    if dir.exists() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.file_name() == Some(std::ffi::OsStr::new(engine::prebuilt::FOLDER)) {
                continue;
            }
            let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            removed.with_context(|| format!("removing the old {}", path.display()))?;
        }
    }
    let exe = std::env::current_exe().context("finding this program's path")?;
    std::fs::create_dir_all(binary.parent().expect("bin has a parent"))?;
    std::fs::copy(&exe, &binary).with_context(|| format!("copying {} to {}", exe.display(), binary.display()))?;

    write(&dir.join("lens/Cargo.toml"), LENS_MANIFEST.as_bytes())?;
    write_tree(&LENS_SOURCES, &dir.join("lens/src"))?;
    write(&dir.join("runtime/Cargo.toml"), RUNTIME_MANIFEST.as_bytes())?;
    write_tree(&RUNTIME_SOURCES, &dir.join("runtime/src"))?;

    write_tree(&KERNEL_SPEC, &dir)?;
    let spec = kernel_json(&binary, engine)?;
    write(&dir.join("kernel.json"), serde_json::to_string_pretty(&spec)?.as_bytes())?;
    println!("Installed the kernel \"{}\" in {}", spec["display_name"].as_str().unwrap_or_default(), dir.display());

    if built != Built::Nothing {
        build_prebuilt_libraries(&dir, engine)?;
        if built == Built::LibrariesAndCells && engine == EngineKind::Rustc {
            println!("Compiling the shipped notebooks' cells for every session (once; half a minute)...");
            crate::warm::warm(&dir, &crate::warm::shipped())?;
        }
    } else {
        // Libraries built for an earlier lens would be seeded stale.
        let prebuilt = dir.join(engine::prebuilt::FOLDER);
        if prebuilt.exists() {
            std::fs::remove_dir_all(&prebuilt).with_context(|| format!("removing {}", prebuilt.display()))?;
        }
    }
    Ok(())
}

/// `kernel-spec/kernel.json` with the installed binary's path in its
/// place, and the engine.
fn kernel_json(binary: &Path, engine: EngineKind) -> Result<serde_json::Value> {
    let template = KERNEL_SPEC.get_file("kernel.json").context("kernel-spec/kernel.json is missing from the build")?;
    let mut spec: serde_json::Value =
        serde_json::from_slice(template.contents()).context("kernel-spec/kernel.json is not JSON")?;
    let argv = spec["argv"].as_array_mut().context("kernel-spec/kernel.json has no argv")?;
    for arg in argv.iter_mut() {
        if arg == BINARY_PLACEHOLDER {
            *arg = binary.display().to_string().into();
        }
    }
    if engine != EngineKind::Rustc {
        argv.extend(["--engine".into(), engine.name().into()]);
        let name = spec["display_name"].as_str().unwrap_or("Rust (ndlens)").trim_end_matches(')').to_string();
        spec["display_name"] = format!("{name}, {} engine)", engine.name()).into();
    }
    Ok(spec)
}

/// Builds ndarray, the lens and the runtime once, next to the installed
/// kernel, where every session of every user finds them (see
/// `engine::prebuilt`): no session compiles them again.
fn build_prebuilt_libraries(kernel_dir: &Path, engine: EngineKind) -> Result<()> {
    let started = std::time::Instant::now();
    println!("Building ndarray, ndlens and the runtime for sessions (once; a minute or two)...");
    match engine {
        EngineKind::Rustc => {
            crate::rustc_engine::libraries::build_template(kernel_dir)?;
        }
        #[cfg(feature = "evcxr")]
        EngineKind::Evcxr => crate::evcxr_engine::install::build_template(kernel_dir)?,
        #[cfg(not(feature = "evcxr"))]
        EngineKind::Evcxr => unreachable!("checked before installing"),
    }
    let folder = kernel_dir.join(engine::prebuilt::FOLDER);
    println!("Session libraries built in {:.0?} (in {}).", started.elapsed(), folder.display());
    Ok(())
}

/// The folder of the default kernel installed in the place.
pub fn installed(place: &Place) -> Result<PathBuf> {
    let dir = place.kernel_dir(kernel_name(EngineKind::Rustc))?;
    if !dir.join("kernel.json").exists() {
        bail!("no ndlens kernel is installed in {}: run `ndlens install` first", dir.display());
    }
    Ok(dir)
}

/// Removes every ndlens kernel installed in the place: the default one and
/// evcxr's.
pub fn uninstall(place: &Place) -> Result<()> {
    let mut removed = 0;
    for engine in [EngineKind::Rustc, EngineKind::Evcxr] {
        let dir = place.kernel_dir(kernel_name(engine))?;
        if dir.join("kernel.json").exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
            println!("Removed the kernel from {}", dir.display());
            removed += 1;
        }
    }
    if removed == 0 {
        bail!("no ndlens kernel is installed in {}", place.kernel_dir(kernel_name(EngineKind::Rustc))?.display());
    }
    Ok(())
}
