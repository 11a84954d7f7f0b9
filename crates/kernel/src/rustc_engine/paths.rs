//! Public paths for the places types are defined.
//!
//! `type_name` writes where a type is defined, often through private
//! modules: `std::collections::hash::map::HashMap`, `ndarray::data_repr::
//! OwnedRepr`. rustc itself knows which shorter paths re-export it, so the
//! kernel asks it: for a path not seen before, the candidates (the same
//! name in each enclosing module, and under `std` for `core` and `alloc`)
//! are written as `use` lines of one small crate, checked without code
//! generation, and the most specific one that resolves is kept. (rustc's
//! own suggestion for a private path helps for std, but not for crates
//! that re-export from their root, as ndarray does, so it is not relied
//! on.) What is learned is kept per machine, for this compiler and these
//! session libraries, so each path costs one check once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use super::compiler::Diagnostic;
use super::libraries::Libraries;

pub struct PublicPaths {
    known: HashMap<String, Option<String>>,
    prober: Option<Prober>,
}

/// Checks candidate paths with rustc.
pub struct Prober {
    pub libraries: Libraries,
    /// A folder for the probe crate.
    pub scratch: PathBuf,
    /// The file what is learned is kept in.
    pub cache: Option<PathBuf>,
}

impl PublicPaths {
    /// Paths known in advance, and no probing: for tests.
    #[cfg(test)]
    pub fn known<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> PublicPaths {
        let known = pairs.into_iter().map(|(d, p)| (d.to_string(), Some(p.to_string()))).collect();
        PublicPaths { known, prober: None }
    }

    /// Paths learned before on this machine, and `prober` for new ones.
    pub fn new(prober: Prober) -> PublicPaths {
        let known = prober.cache.as_ref().map(|path| load(path, &prober.libraries)).unwrap_or_default();
        PublicPaths { known, prober: Some(prober) }
    }

    /// Checks new paths against `libraries` from now on (after a `:dep`).
    pub fn use_libraries(&mut self, libraries: Libraries) {
        if let Some(prober) = &mut self.prober {
            prober.libraries = libraries;
        }
    }

    /// The public path of `defined`, among those resolved so far.
    pub fn resolve(&mut self, defined: &str) -> Option<String> {
        if !self.known.contains_key(defined) {
            self.resolve_all(&[defined.to_string()]);
        }
        self.known.get(defined).cloned().flatten()
    }

    /// Finds public paths for every path of `defined` not yet known, in one
    /// check.
    pub fn resolve_all(&mut self, defined: &[String]) {
        let mut missing: Vec<&String> = defined.iter().filter(|d| !self.known.contains_key(*d)).collect();
        missing.sort();
        missing.dedup();
        let Some(prober) = &self.prober else {
            for d in missing {
                self.known.insert(d.clone(), None);
            }
            return;
        };
        if missing.is_empty() {
            return;
        }
        let candidates: Vec<(usize, String)> =
            missing.iter().enumerate().flat_map(|(i, d)| candidates(d).into_iter().map(move |c| (i, c))).collect();
        let valid = match prober.check(candidates.iter().map(|(_, c)| c.as_str())) {
            Ok(valid) => valid,
            Err(e) => {
                // Nothing learned: the next cell that needs them asks again.
                eprintln!("ndlens: could not check paths for types: {e}");
                return;
            }
        };
        for (index, defined) in missing.iter().enumerate() {
            let found =
                candidates.iter().zip(&valid).find(|((i, _), ok)| *i == index && **ok).map(|((_, c), _)| c.clone());
            self.known.insert((*defined).clone(), found);
        }
        if let Some(cache) = &prober.cache {
            save(cache, &prober.libraries, &self.known);
        }
    }
}

/// Where else the item `defined` might be public, most specific first:
/// its own path, then the same name in each enclosing module, each under
/// `std` first when it is in `core` or `alloc`.
fn candidates(defined: &str) -> Vec<String> {
    let segments: Vec<&str> = defined.split("::").collect();
    let Some((name, modules)) = segments.split_last() else { return Vec::new() };
    let mut out = Vec::new();
    for keep in (1..=modules.len()).rev() {
        let path = modules[..keep].iter().chain([name]).copied().collect::<Vec<_>>();
        if matches!(path[0], "core" | "alloc") {
            let mut std_path = path.clone();
            std_path[0] = "std";
            out.push(std_path.join("::"));
        }
        out.push(path.join("::"));
    }
    out
}

impl Prober {
    /// Which of `paths` resolve to something public, as rustc says.
    fn check<'a>(&self, paths: impl Iterator<Item = &'a str>) -> anyhow::Result<Vec<bool>> {
        let mut source = String::from("#![allow(unused_imports)]\nextern crate alloc;\n");
        let mut lines = Vec::new();
        for (index, path) in paths.enumerate() {
            let start = source.len();
            source.push_str(&format!("use {path} as __ndlens_probe_{index};\n"));
            lines.push(start..source.len());
        }
        std::fs::create_dir_all(&self.scratch)?;
        let file = self.scratch.join("paths.rs");
        std::fs::write(&file, &source)?;
        let mut command = Command::new("rustc");
        command
            .args(["--crate-name", "ndlens_paths", "--crate-type", "lib", "--edition", "2021"])
            .args(["--emit=metadata", "--error-format=json", "-A", "warnings"])
            .arg("-o")
            .arg(self.scratch.join("libndlens_paths.rmeta"))
            .arg(&file)
            .env_remove("RUSTFLAGS");
        self.libraries.add_to(&mut command);
        let output = command.output()?;
        let file_name = file.display().to_string();
        let mut valid = vec![true; lines.len()];
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            let Ok(diagnostic) = serde_json::from_str::<Diagnostic>(line) else { continue };
            if diagnostic.level != "error" {
                continue;
            }
            for span in diagnostic.spans.iter().filter(|s| s.file_name == file_name) {
                if let Some(index) = lines.iter().position(|l| l.contains(&span.byte_start)) {
                    valid[index] = false;
                }
            }
        }
        Ok(valid)
    }
}

/// What this machine learned, when it was learned with these libraries.
fn load(path: &std::path::Path, libraries: &Libraries) -> HashMap<String, Option<String>> {
    let Ok(text) = std::fs::read_to_string(path) else { return HashMap::new() };
    let Ok(saved) = serde_json::from_str::<Saved>(&text) else { return HashMap::new() };
    if saved.libraries != libraries.identity() {
        return HashMap::new();
    }
    saved.paths
}

fn save(path: &std::path::Path, libraries: &Libraries, known: &HashMap<String, Option<String>>) {
    let saved = Saved { libraries: libraries.identity(), paths: known.clone() };
    let Some(folder) = path.parent() else { return };
    // Written whole and renamed into place: sessions running together
    // never read half a file.
    let temporary = folder.join(format!(".paths-{}.json", std::process::id()));
    let written = std::fs::create_dir_all(folder)
        .and_then(|()| std::fs::write(&temporary, serde_json::to_string(&saved).unwrap_or_default()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        eprintln!("ndlens: could not keep what was learned of type paths in {}: {e}", path.display());
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    /// The compiler and libraries the paths were checked with.
    libraries: String,
    paths: HashMap<String, Option<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_go_from_the_definition_outwards_and_try_std() {
        assert_eq!(
            candidates("core::ops::range::Range"),
            vec![
                "std::ops::range::Range",
                "core::ops::range::Range",
                "std::ops::Range",
                "core::ops::Range",
                "std::Range",
                "core::Range"
            ]
        );
        assert_eq!(
            candidates("ndarray::data_repr::OwnedRepr"),
            vec!["ndarray::data_repr::OwnedRepr", "ndarray::OwnedRepr"]
        );
    }
}
