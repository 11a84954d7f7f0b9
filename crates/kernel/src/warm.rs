//! `ndlens warm NOTEBOOK...`: the installer compiles a class's notebooks
//! once, into the cache of compiled cells next to the installed kernel's
//! prebuilt libraries, so that the sessions of every user running them
//! compile nothing (see `rustc_engine::cache`).
//!
//! The notebooks run in a session of their own, cell after cell, as a
//! student's would: a cell's compiled library depends on the cells before
//! it (the items they kept, the types of their variables).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::engine::output::Router;
use crate::engine::{self, EngineConfig, EngineKind};
use crate::session::{self, Session};

/// What a notebook is made of, as far as warming goes.
#[derive(Deserialize)]
struct Notebook {
    cells: Vec<NotebookCell>,
}

#[derive(Deserialize)]
struct NotebookCell {
    cell_type: String,
    source: Source,
}

/// nbformat stores a cell's source as one string or as its lines.
#[derive(Deserialize)]
#[serde(untagged)]
enum Source {
    Text(String),
    Lines(Vec<String>),
}

impl Source {
    fn text(&self) -> String {
        match self {
            Source::Text(text) => text.clone(),
            Source::Lines(lines) => lines.concat(),
        }
    }
}

/// The code cells of the notebook at `path`.
fn code_cells(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let notebook: Notebook =
        serde_json::from_str(&text).with_context(|| format!("{} is not a notebook", path.display()))?;
    Ok(notebook.cells.iter().filter(|c| c.cell_type == "code").map(|c| c.source.text()).collect())
}

/// Runs `notebooks` for the kernel installed in `kernel_dir`, keeping what
/// their cells compile to.
pub fn warm(kernel_dir: &Path, notebooks: &[PathBuf]) -> Result<()> {
    let prebuilt = engine::prebuilt::Prebuilt::beside(kernel_dir);
    if prebuilt.check(&prebuilt.libraries()).is_err() {
        bail!("{} has no prebuilt session libraries to warm: install it without --no-warm", kernel_dir.display());
    }
    for notebook in notebooks {
        let cells = code_cells(notebook)?;
        let work = tempdir()?;
        let config = EngineConfig {
            kind: EngineKind::Rustc,
            kernel_dir: kernel_dir.to_path_buf(),
            work_dir: work.clone(),
            warm: true,
        };
        let router = Router::default();
        let started = std::time::Instant::now();
        let engine = session::start::engine(&config, router.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut session = Session::start(engine, config, Vec::new(), Default::default(), Default::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut failed = 0;
        for cell in &cells {
            let outcome = crate::cell::run(&mut session, cell, &router);
            if let Some(error) = outcome.error {
                failed += 1;
                eprintln!("ndlens: a cell of {} failed: {}: {}", notebook.display(), error.ename, error.evalue);
            }
        }
        drop(session);
        let _ = std::fs::remove_dir_all(&work);
        println!(
            "Warmed {} ({} cells, {failed} failed) in {:.0?}.",
            notebook.display(),
            cells.len(),
            started.elapsed()
        );
    }
    let cells = prebuilt.libraries().join("cells");
    match cells.exists() {
        true => engine::prebuilt::readable_by_all(&cells),
        false => Ok(()),
    }
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ndlens-warm-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}
