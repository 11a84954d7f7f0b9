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
