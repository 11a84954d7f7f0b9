//! Installing the kernel where Jupyter looks for kernels.
//!
//! The installed kernel is self-contained, so that it keeps working when the
//! source checkout moves or goes: the kernelspec folder holds the files of
//! the checkout's `kernel-spec/` (logos, and `kernel.json` with `{ndlens}`
//! standing for the binary), a copy of this binary, and the lens crate's
//! manifest and sources, which every session compiles against.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use include_dir::{include_dir, Dir};

use crate::engine;

/// The lens crate as built: its manifest and sources.
static LENS_SOURCES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../lens/src");
const LENS_MANIFEST: &str = include_str!("../../lens/Cargo.toml");
/// The kernelspec's files: `kernel.json` and the logos.
static KERNEL_SPEC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../kernel-spec");
/// What `kernel.json` writes for the path of the installed binary.
const BINARY_PLACEHOLDER: &str = "{ndlens}";

const KERNEL_NAME: &str = "ndlens";

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
    /// The kernelspec folder, `.../kernels/ndlens`.
    fn kernel_dir(&self) -> Result<PathBuf> {
        let kernels = if let Some(prefix) = &self.prefix {
            prefix.join("share/jupyter/kernels")
        } else if self.sys_prefix {
            python_prefix()?.join("share/jupyter/kernels")
        } else {
            user_data_dir()?.join("kernels")
        };
        // Sessions name the lens by this path from any working folder.
        std::path::absolute(kernels.join(KERNEL_NAME)).context("finding the current folder")
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

/// The installed library's folder next to the installed binary, or this
/// checkout's when the binary runs from a build folder.
pub fn lens_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's path")?;
    if let Some(installed) = exe.parent().and_then(Path::parent).map(|d| d.join("lens")) {
        if installed.join("Cargo.toml").exists() {
            return Ok(installed);
        }
    }
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lens");
    if checkout.join("Cargo.toml").exists() {
        return Ok(checkout);
    }
    bail!(
        "the ndlens library is neither installed next to {} nor at {}: run `ndlens install`",
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

pub fn install(place: &Place, warm: bool) -> Result<()> {
    let dir = place.kernel_dir()?;
    let binary = dir.join("bin").join("ndlens");
    let lens = dir.join("lens");

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

    write(&lens.join("Cargo.toml"), LENS_MANIFEST.as_bytes())?;
    write_tree(&LENS_SOURCES, &lens.join("src"))?;

    write_tree(&KERNEL_SPEC, &dir)?;
    let spec = kernel_json(&binary)?;
    write(&dir.join("kernel.json"), serde_json::to_string_pretty(&spec)?.as_bytes())?;
    println!("Installed the kernel \"{}\" in {}", spec["display_name"].as_str().unwrap_or(KERNEL_NAME), dir.display());

    if warm {
        build_prebuilt_libraries(&lens)?;
    } else {
        // Libraries built for an earlier lens would be seeded stale.
        let prebuilt = dir.join(engine::prebuilt::FOLDER);
        if prebuilt.exists() {
            std::fs::remove_dir_all(&prebuilt).with_context(|| format!("removing {}", prebuilt.display()))?;
        }
    }
    Ok(())
}

/// `kernel-spec/kernel.json` with the installed binary's path in its place.
fn kernel_json(binary: &Path) -> Result<serde_json::Value> {
    let template = KERNEL_SPEC.get_file("kernel.json").context("kernel-spec/kernel.json is missing from the build")?;
    let mut spec: serde_json::Value =
        serde_json::from_slice(template.contents()).context("kernel-spec/kernel.json is not JSON")?;
    for arg in spec["argv"].as_array_mut().into_iter().flatten() {
        if arg == BINARY_PLACEHOLDER {
            *arg = binary.display().to_string().into();
        }
    }
    Ok(spec)
}

/// Builds ndarray and ndlens once, as a session would, next to the
/// installed kernel, where every session of every user seeds its own build
/// folder from (see `engine::prebuilt`): no session compiles them again.
fn build_prebuilt_libraries(lens: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    println!("Building ndarray and ndlens for sessions (once; a minute or two)...");
    let prebuilt = engine::prebuilt::Prebuilt::beside(lens);
    prebuilt.build(&engine::session_dependencies(lens), |crate_dir| {
        let build =
            engine::profile::CellBuild { checks: engine::profile::Checks::Off, sources: Some(prebuilt.sources()) };
        engine::environment::enter(crate_dir, &build)?;
        let (mut context, _outputs) = evcxr::CommandContext::new().map_err(|e| {
            anyhow::anyhow!("the Rust engine could not start: {e}; is `rustup component add rust-src` done?")
        })?;
        context
            .execute(&engine::prelude(lens))
            .map_err(|e| anyhow::anyhow!("building the session libraries failed: {e}"))?;
        context
            .execute("let warm = ndlens::diagram!(Array2::<f64>::zeros((2, 3)).t()); warm.to_svg().len()")
            .map_err(|e| anyhow::anyhow!("a first array cell failed: {e}"))?;
        Ok(())
    })?;
    println!("Session libraries built in {:.0?} (in {}).", started.elapsed(), prebuilt.crate_dir().display());
    Ok(())
}

pub fn uninstall(place: &Place) -> Result<()> {
    let dir = place.kernel_dir()?;
    if !dir.join("kernel.json").exists() {
        bail!("no ndlens kernel is installed in {}", dir.display());
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    println!("Removed the kernel from {}", dir.display());
    Ok(())
}
