//! Session libraries built once, at install time, and reused by every
//! session however many start together.
//!
//! A new session used to compile ndarray, plotters and the lens from cold:
//! a class of students starting together waited a minute each. `ndlens
//! install` now builds a template next to the installed kernel: the
//! session libraries of the rustc engine, which cells link where they lie,
//! or evcxr's crate folder, which a session copies into its slot
//! ([`super::slots`]) before evcxr starts. A session of the rustc engine
//! copies its template only when a `:dep` needs cargo to build beside it.
//!
//! A copied target folder is only reused if cargo finds every fingerprint
//! fresh in its new place. Two things make it so:
//! - cargo fingerprints a registry crate by the absolute path of its
//!   sources, which lie under each user's own `CARGO_HOME`: a second user's
//!   session would rebuild them all. The template therefore carries the
//!   sources (`cargo vendor`) and every session reads crates.io's crates
//!   from that one fixed folder (see [`super::profile`]).
//! - path dependencies (the lens) are checked by modification time, so the
//!   copy keeps each file's.
//!
//! Copies use `std::fs::copy`, which shares extents where the file system
//! can (XFS, Btrfs) and copies bytes elsewhere.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The file, in the template and in each seeded slot, that names the
/// kernel build the libraries were made for. It is written last, so that a
/// copy cut short (a kernel killed, a disk full) is never taken as done.
const STAMP: &str = ".ndlens-prebuilt";

/// The folder, next to the installed lens, that holds the prebuilt libraries.
pub const FOLDER: &str = "prebuilt";

/// The prebuilt libraries of one installed kernel: `<kernel dir>/prebuilt`.
#[derive(Clone, Debug)]
pub struct Prebuilt {
    dir: PathBuf,
}

/// What seeding a slot did.
#[derive(Debug, PartialEq)]
pub enum Seeded {
    /// The slot already held this build's libraries (and the session's own
    /// incremental state from its last use).
    Current,
    /// The template was copied in.
    Copied { bytes: u64, took: Duration },
}

/// Why a slot could not be seeded; the session then builds the libraries
/// itself.
#[derive(Debug)]
pub enum SeedError {
    /// `ndlens install --no-prebuilt` built no template.
    Missing(PathBuf),
    /// The template is there but this user cannot read it.
    Unreadable { path: PathBuf, error: io::Error },
    /// Copying into the slot failed (a full disk, say).
    Copy { path: PathBuf, error: io::Error },
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::Missing(dir) => write!(f, "no prebuilt session libraries in {}", dir.display()),
            SeedError::Unreadable { path, error } => {
                write!(f, "the prebuilt session libraries cannot be read ({}: {error})", path.display())
            }
            SeedError::Copy { path, error } => {
                write!(f, "copying the prebuilt session libraries failed ({}: {error})", path.display())
            }
        }
    }
}

impl std::error::Error for SeedError {}

impl Prebuilt {
    /// The templates of the kernel installed in `kernel_dir`.
    pub fn beside(kernel_dir: &Path) -> Prebuilt {
        Prebuilt { dir: kernel_dir.join(FOLDER) }
    }

    /// The template of the evcxr engine: the crate folder evcxr builds in.
    #[cfg(feature = "evcxr")]
    pub fn evcxr_crate(&self) -> PathBuf {
        self.dir.join("crate")
    }

    /// The template of the rustc engine: the session libraries' workspace.
    pub fn libraries(&self) -> PathBuf {
        self.dir.join("libraries")
    }

    /// The sources of every crates.io crate the sessions load.
    pub fn sources(&self) -> PathBuf {
        self.dir.join("vendor")
    }

    /// The vendored sources, when the install made them.
    pub fn vendored(&self) -> Option<PathBuf> {
        let sources = self.sources();
        sources.is_dir().then_some(sources)
    }

    /// The build `template` was made by.
    pub fn stamp(&self, template: &Path) -> Result<String, SeedError> {
        let path = template.join(STAMP);
        match std::fs::read_to_string(&path) {
            Ok(stamp) => Ok(stamp),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(SeedError::Missing(self.dir.clone())),
            Err(error) => Err(SeedError::Unreadable { path, error }),
        }
    }

    /// Whether sessions can use `template`: it is complete and readable,
    /// with its vendored sources. Sessions only point cargo at the vendored
    /// sources when so.
    pub fn check(&self, template: &Path) -> Result<(), SeedError> {
        self.stamp(template)?;
        let sources = self.sources();
        std::fs::read_dir(&sources).map(drop).map_err(|error| SeedError::Unreadable { path: sources, error })
    }

    /// Fills `crate_dir` with `template`, unless it already holds this
    /// build of it.
    pub fn seed(&self, template: &Path, crate_dir: &Path) -> Result<Seeded, SeedError> {
        let stamp = self.stamp(template)?;
        self.check(template)?;
        if std::fs::read_to_string(crate_dir.join(STAMP)).is_ok_and(|held| held == stamp) {
            return Ok(Seeded::Current);
        }
        let started = Instant::now();
        let copy_error = |path: &Path, error: io::Error| SeedError::Copy { path: path.to_path_buf(), error };
        if crate_dir.exists() {
            std::fs::remove_dir_all(crate_dir).map_err(|e| copy_error(crate_dir, e))?;
        }
        let copied = copy_tree(template, crate_dir).and_then(|bytes| {
            std::fs::write(crate_dir.join(STAMP), &stamp).map(|()| bytes).map_err(|e| copy_error(crate_dir, e))
        });
        let bytes = copied.inspect_err(|_| {
            // Half a copy only takes disk: the next session starts over.
            let _ = std::fs::remove_dir_all(crate_dir);
        })?;
        Ok(Seeded::Copied { bytes, took: started.elapsed() })
    }

    /// Builds `template`: the crates.io sources of `dependencies` (each
    /// `(name, TOML specification)`) vendored, then `build` run in the
    /// template's folder. An earlier template is built over, so that a
    /// reinstall compiles only what changed; sessions do not use it until
    /// it is done.
    pub fn build(
        &self,
        template: &Path,
        dependencies: &[(&str, String)],
        build: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let crate_dir = template.to_path_buf();
        let stamp = crate_dir.join(STAMP);
        if stamp.exists() {
            std::fs::remove_file(&stamp).with_context(|| format!("removing {}", stamp.display()))?;
        }
        self.vendor(dependencies)?;
        std::fs::create_dir_all(&crate_dir).with_context(|| format!("creating {}", crate_dir.display()))?;
        build(&crate_dir)?;
        readable_by_all(&self.dir)?;
        // Unique to this build, so that every slot seeded from an earlier
        // one is seeded again.
        let built = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let content = format!("{} built at {}.{:09}\n", crate::version::VERSION, built.as_secs(), built.subsec_nanos());
        std::fs::write(&stamp, content).with_context(|| format!("writing {}", stamp.display()))
    }

    /// `cargo vendor` for a manifest with the sessions' dependencies, each
    /// `(name, TOML specification)`.
    fn vendor(&self, dependencies: &[(&str, String)]) -> Result<()> {
        let project = self.dir.join("dependencies");
        std::fs::create_dir_all(project.join("src")).with_context(|| format!("creating {}", project.display()))?;
        let mut manifest =
            String::from("[package]\nname = \"ndlens-session\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n");
        for (name, specification) in dependencies {
            manifest += &format!("{name} = {specification}\n");
        }
        std::fs::write(project.join("Cargo.toml"), manifest)?;
        std::fs::write(project.join("src/lib.rs"), "")?;
        let status = std::process::Command::new("cargo")
            .arg("vendor")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(project.join("Cargo.toml"))
            .arg(self.sources())
            .stdout(std::process::Stdio::null())
            .status()
            .context("running `cargo vendor`: is cargo on PATH?")?;
        if !status.success() {
            bail!("`cargo vendor` could not fetch the sessions' crates from crates.io");
        }
        Ok(())
    }
}

/// Lets every user read the tree at `dir`: installed system-wide, the
/// template is built by one user and seeded from by all, and cargo and
/// rustc leave some files (incremental-compilation locks) readable by their
/// owner alone.
pub fn readable_by_all(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.file_type().is_symlink() {
            continue;
        }
        let mut permissions = entry.metadata()?.permissions();
        let wanted = match entry.file_type().is_dir() {
            true => 0o555,
            false => 0o444,
        };
        if permissions.mode() & wanted != wanted {
            permissions.set_mode(permissions.mode() | wanted);
            std::fs::set_permissions(entry.path(), permissions)
                .with_context(|| format!("letting all users read {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Copies the tree at `from` to `to`, keeping modification times, and
/// returns the bytes copied.
fn copy_tree(from: &Path, to: &Path) -> Result<u64, SeedError> {
    let unreadable = |path: &Path, error: io::Error| SeedError::Unreadable { path: path.to_path_buf(), error };
    let copy_error = |path: &Path, error: io::Error| SeedError::Copy { path: path.to_path_buf(), error };
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(from).to_path_buf();
            unreadable(&path, e.into())
        })?;
        let relative = entry.path().strip_prefix(from).expect("walkdir stays under its root");
        // The stamp is written once everything else is in place.
        if relative.as_os_str() == STAMP {
            continue;
        }
        let target = to.join(relative);
        let file_type = entry.file_type();
        if file_type.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| copy_error(&target, e))?;
        } else if file_type.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(|e| unreadable(entry.path(), e))?;
            std::os::unix::fs::symlink(link, &target).map_err(|e| copy_error(&target, e))?;
        } else {
            let metadata = entry.metadata().map_err(|e| unreadable(entry.path(), e.into()))?;
            bytes += std::fs::copy(entry.path(), &target).map_err(|e| match e.kind() {
                io::ErrorKind::PermissionDenied => unreadable(entry.path(), e),
                _ => copy_error(&target, e),
            })?;
            let modified = filetime::FileTime::from_last_modification_time(&metadata);
            filetime::set_file_mtime(&target, modified).map_err(|e| copy_error(&target, e))?;
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ndlens-prebuilt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn template(root: &Path) -> Prebuilt {
        let prebuilt = Prebuilt::beside(root);
        let deps = prebuilt.libraries().join("target/deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::create_dir_all(prebuilt.sources()).unwrap();
        std::fs::write(deps.join("libndarray.rlib"), b"compiled").unwrap();
        let old = filetime::FileTime::from_unix_time(1_600_000_000, 0);
        filetime::set_file_mtime(deps.join("libndarray.rlib"), old).unwrap();
        std::fs::write(prebuilt.libraries().join(STAMP), "build 1").unwrap();
        prebuilt
    }

    #[test]
    fn a_slot_is_seeded_once_with_times_kept_and_again_after_a_new_install() {
        let root = scratch("seed");
        let prebuilt = template(&root);
        let slot = root.join("slot/crate");
        let template = prebuilt.libraries();
        let copied = prebuilt.seed(&template, &slot).unwrap();
        let expected = b"compiled".len() as u64;
        assert!(matches!(copied, Seeded::Copied { bytes, .. } if bytes == expected), "{copied:?}");
        let rlib = slot.join("target/deps/libndarray.rlib");
        assert_eq!(std::fs::read(&rlib).unwrap(), b"compiled");
        let modified = filetime::FileTime::from_last_modification_time(&std::fs::metadata(&rlib).unwrap());
        assert_eq!(modified.unix_seconds(), 1_600_000_000);

        std::fs::write(slot.join("session-state"), "kept").unwrap();
        assert_eq!(prebuilt.seed(&template, &slot).unwrap(), Seeded::Current);
        assert!(slot.join("session-state").exists());

        std::fs::write(template.join(STAMP), "build 2").unwrap();
        assert!(matches!(prebuilt.seed(&template, &slot).unwrap(), Seeded::Copied { .. }));
        assert!(!slot.join("session-state").exists(), "a new install's libraries replace the old slot");
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn the_template_is_left_readable_by_every_user() {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("readable");
        let lock = root.join("incremental/s-1.lock");
        std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
        std::fs::write(&lock, "").unwrap();
        std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o600)).unwrap();
        readable_by_all(&root).unwrap();
        assert_eq!(std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777, 0o644);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_missing_template_says_so() {
        let root = scratch("missing");
        let prebuilt = Prebuilt::beside(&root);
        let error = prebuilt.seed(&prebuilt.libraries(), &root.join("slot")).unwrap_err();
        assert!(matches!(error, SeedError::Missing(_)));
        assert!(error.to_string().starts_with("no prebuilt session libraries in"));
    }
}
