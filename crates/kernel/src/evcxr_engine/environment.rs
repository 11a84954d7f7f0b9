//! What the kernel sets up before evcxr starts, in this process's
//! environment, which evcxr's cargo, rustc and session process inherit:
//! where the session builds, how its cells compile, where the standard
//! library is found, and huge pages for large arrays.
//!
//! Call [`enter`] before any thread starts: environment variables are
//! process-wide.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::profile::{self, CellBuild};

/// Prepares this process to host evcxr in `crate_dir`, building cells as
/// `build` says.
pub fn enter(crate_dir: &Path, build: &CellBuild) -> Result<()> {
    std::fs::create_dir_all(crate_dir).with_context(|| format!("creating {}", crate_dir.display()))?;
    profile::write(crate_dir, build)?;
    std::env::set_var("EVCXR_TMPDIR", crate_dir);
    expose_rust_libraries()?;
    ask_for_huge_pages();
    Ok(())
}

/// Makes the Rust standard library findable by the session's process.
///
/// Cells are compiled against the toolchain's shared `libstd`, found
/// through a run path relative to where cargo first wrote the library; evcxr
/// loads a copy one folder up, where that relative path only resolves by
/// luck (it does under `/tmp`, not under a home folder). Naming the folder
/// in `LD_LIBRARY_PATH` makes it resolve wherever the slot is.
fn expose_rust_libraries() -> Result<()> {
    let output = std::process::Command::new("rustc")
        .args(["--print", "target-libdir"])
        .output()
        .context("running `rustc --print target-libdir`: is rustc on PATH?")?;
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    prepend_path("LD_LIBRARY_PATH", Path::new(&libdir))
}

fn prepend_path(variable: &str, path: &Path) -> Result<()> {
    let mut paths: Vec<PathBuf> = vec![path.to_path_buf()];
    if let Some(existing) = std::env::var_os(variable) {
        paths.extend(std::env::split_paths(&existing));
    }
    std::env::set_var(variable, std::env::join_paths(paths).context("joining library paths")?);
    Ok(())
}

fn ask_for_huge_pages() {
    if let Some((name, value)) = crate::engine::huge_pages::tunables() {
        std::env::set_var(name, value);
    }
}
