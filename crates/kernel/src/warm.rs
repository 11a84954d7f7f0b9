//! `ndlens warm NOTEBOOK...`: the installer compiles a class's notebooks
//! once, into the cache of compiled cells next to the installed kernel's
//! prebuilt libraries, so that the sessions of every user running them
//! compile nothing (see `rustc_engine::cache`).
//!
//! The notebooks run in a session of their own, cell after cell, as a
//! student's would: a cell's compiled library depends on the cells before
//! it (the items they kept, the types of their variables).

use std::io::{IsTerminal, Write};
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

/// A notebook to warm: its name, for the progress line, and its code cells.
pub struct Warmed {
    pub name: String,
    pub cells: Vec<String>,
    /// A student's version of an exercise: its cells stop at `todo!()`
    /// until answered, so their failures are expected, not reported.
    pub unanswered: bool,
}

/// The shipped notebooks' code cells, read from `notebooks/` when the
/// kernel was built.
const SHIPPED: &str = include_str!(concat!(env!("OUT_DIR"), "/shipped-notebooks.json"));

#[derive(Deserialize)]
struct Shipped {
    name: String,
    exercise: bool,
    cells: Vec<String>,
}

/// What replaces each solution in a student's version of an exercise: the
/// `code_stub` of `notebooks/exercises/nbgrader_config.py`.
const CODE_STUB: &str = "// YOUR CODE HERE\ntodo!()";

/// The shipped notebooks: the recipe, the playground, and each exercise as
/// written and as `nbgrader generate_assignment` gives it to students.
pub fn shipped() -> Vec<Warmed> {
    let shipped: Vec<Shipped> = serde_json::from_str(SHIPPED).expect("the build wrote the shipped notebooks as JSON");
    let mut notebooks = Vec::new();
    for notebook in shipped {
        if notebook.exercise {
            notebooks.push(Warmed {
                name: format!("{} (student's version)", notebook.name),
                cells: notebook.cells.iter().map(|cell| student_version(cell, CODE_STUB)).collect(),
                unanswered: true,
            });
        }
        notebooks.push(Warmed { name: notebook.name, cells: notebook.cells, unanswered: false });
    }
    notebooks
}

/// `cell` as nbgrader's `ClearSolutions` gives it to students: each region
/// from a line holding `BEGIN SOLUTION` to one holding `END SOLUTION`
/// replaced by `stub`, indented as the first line was. The text must be the
/// students' to the byte, or their cells would miss the warmed cache.
fn student_version(cell: &str, stub: &str) -> String {
    let mut lines = Vec::new();
    let mut in_solution = false;
    for line in cell.split('\n') {
        if line.contains("BEGIN SOLUTION") {
            in_solution = true;
            let indent = &line[..line.len() - line.trim_start().len()];
            lines.extend(stub.split('\n').map(|stub_line| format!("{indent}{stub_line}")));
        } else if line.contains("END SOLUTION") {
            in_solution = false;
        } else if !in_solution {
            lines.push(line.to_string());
        }
    }
    lines.join("\n")
}

/// The notebooks at `paths`, to warm as they are.
pub fn from_files(paths: &[PathBuf]) -> Result<Vec<Warmed>> {
    paths
        .iter()
        .map(|path| Ok(Warmed { name: path.display().to_string(), cells: code_cells(path)?, unanswered: false }))
        .collect()
}

/// Runs `notebooks` for the kernel installed in `kernel_dir`, keeping what
/// their cells compile to, with a line of progress for each.
pub fn warm(kernel_dir: &Path, notebooks: &[Warmed]) -> Result<()> {
    let prebuilt = engine::prebuilt::Prebuilt::beside(kernel_dir);
    if prebuilt.check(&prebuilt.libraries()).is_err() {
        bail!("{} has no prebuilt session libraries to warm: install it without --no-prebuilt", kernel_dir.display());
    }
    let live = std::io::stdout().is_terminal();
    for notebook in notebooks {
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
        let total = notebook.cells.len();
        let mut failed = 0;
        for (done, cell) in notebook.cells.iter().enumerate() {
            if live {
                print!("\rWarming {}: {done} of {total} cells", notebook.name);
                let _ = std::io::stdout().flush();
            }
            let outcome = crate::cell::run(&mut session, cell, &router);
            if let Some(error) = outcome.error {
                failed += 1;
                if !notebook.unanswered {
                    let first = cell.lines().next().unwrap_or_default();
                    eprintln!(
                        "\nndlens: cell {} of {} failed ({first}): {}: {}",
                        done + 1,
                        notebook.name,
                        error.ename,
                        error.evalue
                    );
                }
            }
        }
        drop(session);
        let _ = std::fs::remove_dir_all(&work);
        let failures = match (failed, notebook.unanswered) {
            (0, _) => String::new(),
            (n, true) => format!(", {n} stop at their todo!() as a student's do"),
            (n, false) => format!(", {n} failed"),
        };
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{}Warmed {}: {total} of {total} cells{failures}, in {elapsed:.0} s.",
            if live { "\r" } else { "" },
            notebook.name
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_get_the_stub_where_the_solution_was() {
        let cell = "fn f() -> u8 {\n    // ### BEGIN SOLUTION\n    42\n    // ### END SOLUTION\n}\n";
        assert_eq!(student_version(cell, CODE_STUB), "fn f() -> u8 {\n    // YOUR CODE HERE\n    todo!()\n}\n");
        assert_eq!(student_version("let a = 1;", CODE_STUB), "let a = 1;");
    }

    #[test]
    fn the_shipped_notebooks_are_the_recipe_the_playground_and_each_exercise_twice() {
        let shipped = shipped();
        let names: Vec<&str> = shipped.iter().map(|n| n.name.as_str()).collect();
        assert!(
            names.iter().any(|n| n.starts_with("recipe")) && names.iter().any(|n| n.starts_with("layout")),
            "{names:?}"
        );
        let students: Vec<&Warmed> = shipped.iter().filter(|n| n.unanswered).collect();
        assert!(!students.is_empty() && students.iter().all(|n| n.cells.iter().all(|c| !c.contains("BEGIN SOLUTION"))));
    }
}
