//! Where a session's compiled code lives.
//!
//! Every session compiles its cells in a folder of its own: the rustc
//! engine its cells' sources and libraries, evcxr its crate with the
//! compiled dependencies, which outlives the session so that the next one
//! starts with them built. Two kernels running at once must not share one,
//! so each takes the first free numbered slot under the cache folder and
//! holds an exclusive lock on it for as long as it runs.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// How many kernels can run at once before slots are created anew.
const MAX_SLOTS: usize = 64;

/// A build directory held for the life of this process.
pub struct Slot {
    pub dir: PathBuf,
    // Dropping the file releases the lock.
    _lock: File,
}

/// This user's cache folder for ndlens: `$XDG_CACHE_HOME/ndlens`, or
/// `NDLENS_CACHE_DIR` when that is set.
pub fn cache_root() -> Result<PathBuf> {
    match std::env::var_os("NDLENS_CACHE_DIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(dirs::cache_dir()
            .context("no cache folder for this user: set NDLENS_CACHE_DIR to choose one")?
            .join("ndlens")),
    }
}

/// The folder that holds the slots: `sessions` in [`cache_root`].
pub fn sessions_root() -> Result<PathBuf> {
    Ok(cache_root()?.join("sessions"))
}

/// Takes the first slot no other process holds.
pub fn acquire(root: &Path) -> Result<Slot> {
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    for number in 0..MAX_SLOTS {
        let dir = root.join(number.to_string());
        let lock_path = root.join(format!("{number}.lock"));
        let lock = File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
        if lock.try_lock().is_ok() {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            return Ok(Slot { dir, _lock: lock });
        }
    }
    anyhow::bail!(
        "all {MAX_SLOTS} build slots under {} are in use by other kernels; stop one, or set NDLENS_CACHE_DIR",
        root.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_slot_is_not_handed_out_twice() {
        let root = std::env::temp_dir().join(format!("ndlens-slots-{}", std::process::id()));
        let first = acquire(&root).unwrap();
        let second = acquire(&root).unwrap();
        assert_ne!(first.dir, second.dir);
        let first_dir = first.dir.clone();
        drop(first);
        assert_eq!(acquire(&root).unwrap().dir, first_dir);
        let _ = std::fs::remove_dir_all(root);
    }
}
