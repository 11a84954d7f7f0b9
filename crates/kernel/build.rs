//! Gives the kernel a build id: a hash of every source it is built from,
//! its own and the lens's and runtime's it installs into sessions. `ndlens --version`
//! and `kernel_info` report it, so that a test can tell whether the kernel
//! it talks to is the one just built.
//!
//! Watching the lens's and runtime's folders here also makes cargo rebuild
//! the kernel when only they changed, which the sources it embeds need.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The code cells of the notebooks in `notebooks/` and of the exercises'
/// sources (`notebooks/exercises/source/*/`), as JSON: a list of
/// `{"name", "exercise", "cells"}`.
fn shipped_notebooks(folder: &Path) -> String {
    println!("cargo:rerun-if-changed={}", folder.display());
    let mut paths = Vec::new();
    files(folder, &mut paths);
    paths.retain(|p| {
        p.extension().is_some_and(|e| e == "ipynb") && !p.components().any(|c| c.as_os_str() == ".ipynb_checkpoints")
    });
    let exercises = folder.join("exercises").join("source");
    paths.retain(|p| p.parent() == Some(folder) || p.starts_with(&exercises));
    // The notebooks, then the exercises.
    paths.sort_by_key(|p| (p.starts_with(&exercises), p.clone()));
    let mut shipped = Vec::new();
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let notebook: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not a notebook: {e}", path.display()));
        let cells: Vec<String> = notebook["cells"]
            .as_array()
            .map(|cells| {
                cells
                    .iter()
                    .filter(|c| c["cell_type"] == "code")
                    .map(|c| match &c["source"] {
                        serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect(),
                        other => other.as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        shipped.push(serde_json::json!({ "name": name, "exercise": path.starts_with(&exercises), "cells": cells }));
    }
    serde_json::to_string(&shipped).expect("cells serialise")
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let watched = [
        manifest.join("src"),
        manifest.join("Cargo.toml"),
        manifest.join("../lens/src"),
        manifest.join("../lens/Cargo.toml"),
        manifest.join("../runtime/src"),
        manifest.join("../runtime/Cargo.toml"),
        manifest.join("../../kernel-spec"),
    ];
    let mut all = Vec::new();
    for path in &watched {
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            files(path, &mut all);
        } else {
            all.push(path.clone());
        }
    }
    all.sort();
    // SipHash with fixed keys: the same sources give the same id.
    let mut hash = DefaultHasher::new();
    for path in &all {
        hash.write(path.strip_prefix(&manifest).unwrap_or(path).to_string_lossy().as_bytes());
        hash.write(&std::fs::read(path).unwrap_or_default());
    }
    // The shipped notebooks' code cells, which `ndlens install` warms: what
    // the kernel compiles at install is part of what it is.
    let shipped = shipped_notebooks(&manifest.join("../../notebooks"));
    hash.write(shipped.as_bytes());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("shipped-notebooks.json"), shipped).expect("writing the shipped notebooks' cells");
    println!("cargo:rustc-env=NDLENS_BUILD_ID={:016x}", hash.finish());

    // The Rust release `kernel_info` reports: the one the kernel was built
    // with, which its install builds the session libraries with too. Asked
    // here, once, rather than by running rustc at every kernel start.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let said = std::process::Command::new(rustc).arg("--version").output().ok();
    let version = said
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    println!("cargo:rustc-env=NDLENS_RUSTC_VERSION={version}");
}
