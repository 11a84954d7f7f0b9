//! How the session's cells are compiled: as `cargo build --release` would,
//! unless the session asks for checks.
//!
//! evcxr writes its crate's `[profile.dev]` with debug assertions and
//! overflow checks on (`get_cargo_toml_contents` in evcxr's `module.rs`).
//! Those keep ndarray from vectorising: the recipe's broadcast product took
//! several times NumPy's time. Cargo reads `.cargo/config.toml` in every
//! folder above the crate it builds, and a profile's per-package overrides
//! outrank the manifest's base profile, so the kernel writes one above
//! evcxr's crate: every dependency at opt-level 3 without checks, and the
//! cell crate with checks off, or on when the session asks. Switching
//! rebuilds only the cell crate, which every cell rebuilds anyway; the
//! dependencies keep the build `ndlens install` made. evcxr's own `:opt`
//! now changes only the cells' optimisation, never the dependencies'.
//!
//! The same file points cargo at the prebuilt libraries' vendored sources
//! when the session seeded its slot from them ([`crate::engine::prebuilt`]), so
//! that cargo finds the copied dependencies fresh.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::engine::Checks;

/// The name evcxr gives the crate it compiles cells into (`CRATE_NAME` in
/// evcxr's `module.rs`).
const CELL_CRATE: &str = "ctx";

/// The config file for cells built in `crate_dir`: in its parent, since
/// evcxr writes its own `.cargo/config.toml` in the crate's folder.
fn config_path(crate_dir: &Path) -> PathBuf {
    crate_dir.parent().unwrap_or(crate_dir).join(".cargo").join("config.toml")
}

/// How a session's cells are built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellBuild {
    pub checks: Checks,
    /// Where crates.io's crates are read from instead of crates.io: the
    /// prebuilt libraries' vendored sources. A `:dep` on a crate not among
    /// them then fails, naming this folder.
    pub sources: Option<PathBuf>,
}

fn config(build: &CellBuild) -> String {
    let on = build.checks == Checks::On;
    let mut config = format!(
        "# Written by the ndlens kernel: how this session's cells are compiled.\n\
         [profile.dev.package.\"*\"]\n\
         opt-level = 3\n\
         debug-assertions = false\n\
         overflow-checks = false\n\n\
         [profile.dev.package.{CELL_CRATE}]\n\
         debug-assertions = {on}\n\
         overflow-checks = {on}\n"
    );
    if let Some(sources) = &build.sources {
        config += &format!(
            "\n[source.crates-io]\n\
             replace-with = \"ndlens-prebuilt\"\n\n\
             [source.ndlens-prebuilt]\n\
             directory = {:?}\n",
            sources.display().to_string()
        );
    }
    config
}

/// Sets how the cells built in `crate_dir` are compiled from the next cell on.
pub fn write(crate_dir: &Path, build: &CellBuild) -> Result<()> {
    let path = config_path(crate_dir);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    std::fs::write(&path, config(build)).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_always_optimised_and_the_cells_follow_the_switch() {
        let off = config(&CellBuild { checks: Checks::Off, sources: None });
        assert!(!off.contains("[source"));
        assert!(off.contains("[profile.dev.package.\"*\"]\nopt-level = 3\ndebug-assertions = false"));
        assert!(off.contains("[profile.dev.package.ctx]\ndebug-assertions = false\noverflow-checks = false"));
        assert!(config(&CellBuild { checks: Checks::On, sources: None })
            .contains("[profile.dev.package.ctx]\ndebug-assertions = true\noverflow-checks = true"));
        let prebuilt = config(&CellBuild { checks: Checks::Off, sources: Some("/k/prebuilt/vendor".into()) });
        assert!(prebuilt.contains("[source.ndlens-prebuilt]\ndirectory = \"/k/prebuilt/vendor\""));
        assert_eq!(config_path(Path::new("/c/sessions/0/crate")), Path::new("/c/sessions/0/.cargo/config.toml"));
    }
}
