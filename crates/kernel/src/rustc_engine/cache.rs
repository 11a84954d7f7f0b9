//! Compiled cells, kept by what they are.
//!
//! A cell's crate ([`super::source`]) holds everything its meaning depends
//! on: its code, the items kept from earlier cells, the types of the
//! variables it loads. With the compiler's options and the identity of the
//! libraries it links, it names the compiled library exactly, so a cell
//! compiled once need not be compiled again:
//!
//! - by the same user, whose cache (`~/.cache/ndlens/cells`) keeps what
//!   their sessions compiled: a notebook run again, a cell run twice;
//! - by anyone, from the cells the kernel's installer compiled into the
//!   read-only cache next to the prebuilt libraries (`ndlens warm
//!   NOTEBOOK`): a class running the teacher's notebook compiles nothing.
//!
//! Only the installer writes the shared cache, and each user their own: a
//! library in a cache is loaded into a session, so no one else's may be.
//! Compile errors are kept too, so that a cell that fails the same way
//! (a view the session remembers after a first compile) fails at no cost;
//! and `%asm`'s listings, so that a class's `%asm` cells compile once.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::compiler::Diagnostic;

/// How many files a user's cache keeps; the oldest go beyond that.
const MOST_FILES: usize = 4000;

/// What a cache knows of a cell.
pub enum Cached {
    /// Its library, ready to load.
    Library(PathBuf),
    /// The errors it does not compile with.
    Errors(Vec<Diagnostic>),
}

/// The caches a session reads, and the one it writes.
#[derive(Clone, Debug, Default)]
pub struct CellCache {
    /// The installer's cache, read-only for sessions.
    pub shared: Option<PathBuf>,
    /// Where this session keeps what it compiles: the user's own cache, or
    /// the shared one when the installer warms it.
    pub own: Option<PathBuf>,
}

/// The key of a crate's `text` compiled with `options` (which name the
/// compiler, its flags and the libraries): 128 bits, in hex.
pub fn key(text: &str, options: &str) -> String {
    let half = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        options.hash(&mut hasher);
        text.hash(&mut hasher);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

impl CellCache {
    /// The cell `key` from either cache.
    pub fn find(&self, key: &str) -> Option<Cached> {
        for (folder, own) in [(self.shared.as_deref(), false), (self.own.as_deref(), true)] {
            let Some(folder) = folder else { continue };
            let library = library_path(folder, key);
            if library.is_file() {
                if own {
                    // Recently used cells are the last to be pruned.
                    let _ = filetime::set_file_mtime(&library, filetime::FileTime::now());
                }
                return Some(Cached::Library(library));
            }
            if let Ok(text) = std::fs::read_to_string(errors_path(folder, key)) {
                if let Ok(errors) = serde_json::from_str(&text) {
                    return Some(Cached::Errors(errors));
                }
            }
        }
        None
    }

    /// Keeps the library just compiled at `compiled` as `key`; where it is
    /// now, to load. Without a cache, it stays where it is.
    pub fn keep_library(&self, key: &str, compiled: &Path) -> PathBuf {
        let Some(folder) = &self.own else { return compiled.to_path_buf() };
        let kept = library_path(folder, key);
        // A rename, so that a session never loads half a file.
        let moved = std::fs::create_dir_all(folder).and_then(|()| std::fs::rename(compiled, &kept));
        match moved {
            Ok(()) => kept,
            Err(_) => compiled.to_path_buf(),
        }
    }

    /// Keeps the errors `key` fails with.
    pub fn keep_errors(&self, key: &str, errors: &[Diagnostic]) {
        let Some(folder) = &self.own else { return };
        let Ok(text) = serde_json::to_string(errors) else { return };
        let path = errors_path(folder, key);
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let _ = std::fs::create_dir_all(folder)
            .and_then(|()| std::fs::write(&temporary, text))
            .and_then(|()| std::fs::rename(&temporary, &path));
    }

    /// The assembly listing `key` compiled to (`%asm`), from either cache.
    pub fn find_listing(&self, key: &str) -> Option<String> {
        [self.shared.as_deref(), self.own.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|folder| std::fs::read_to_string(listing_path(folder, key)).ok())
    }

    /// Keeps the assembly listing `key` compiled to.
    pub fn keep_listing(&self, key: &str, listing: &str) {
        let Some(folder) = &self.own else { return };
        let path = listing_path(folder, key);
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let _ = std::fs::create_dir_all(folder)
            .and_then(|()| std::fs::write(&temporary, listing))
            .and_then(|()| std::fs::rename(&temporary, &path));
    }

    /// Whether a library loaded from `path` is a cache's, to be kept.
    pub fn holds(&self, path: &Path) -> bool {
        [&self.shared, &self.own].into_iter().flatten().any(|folder| path.starts_with(folder))
    }

    /// Keeps a user's cache within [`MOST_FILES`], removing the oldest.
    pub fn prune(&self) {
        let Some(folder) = &self.own else { return };
        let Ok(entries) = std::fs::read_dir(folder) else { return };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> =
            entries.flatten().filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
        if files.len() <= MOST_FILES {
            return;
        }
        files.sort();
        for (_, path) in &files[..files.len() - MOST_FILES / 2] {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn library_path(folder: &Path, key: &str) -> PathBuf {
    folder.join(format!("lib{key}.so"))
}

fn listing_path(folder: &Path, key: &str) -> PathBuf {
    folder.join(format!("{key}.s"))
}

fn errors_path(folder: &Path, key: &str) -> PathBuf {
    folder.join(format!("{key}.errors.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_text_and_the_options() {
        let k = key("fn f() {}", "opt-level=2");
        assert_eq!(k.len(), 32);
        assert_eq!(k, key("fn f() {}", "opt-level=2"));
        assert_ne!(k, key("fn f() {}", "opt-level=3"));
        assert_ne!(k, key("fn g() {}", "opt-level=2"));
    }

    #[test]
    fn libraries_errors_and_listings_are_found_again() {
        let root = std::env::temp_dir().join(format!("ndlens-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let cache = CellCache { shared: None, own: Some(root.join("own")) };
        std::fs::create_dir_all(&root).unwrap();
        let compiled = root.join("libcell.so");
        std::fs::write(&compiled, b"library").unwrap();
        let kept = cache.keep_library("k1", &compiled);
        assert!(cache.holds(&kept) && !compiled.exists());
        assert!(matches!(cache.find("k1"), Some(Cached::Library(path)) if path == kept));
        cache.keep_errors("k2", &[]);
        assert!(matches!(cache.find("k2"), Some(Cached::Errors(errors)) if errors.is_empty()));
        assert!(cache.find("k3").is_none());
        cache.keep_listing("k4", "addsd xmm0, xmm1\n");
        assert_eq!(cache.find_listing("k4").as_deref(), Some("addsd xmm0, xmm1\n"));
        assert!(cache.find_listing("k1").is_none());
        let _ = std::fs::remove_dir_all(root);
    }
}
