//! Starting a session: the one place above the seam that knows both
//! engines, and picks the one a kernel was started with.

use std::path::PathBuf;

use crate::engine::output::Router;
use crate::engine::slots::{self, Slot};
use crate::engine::{Engine, EngineConfig, EngineKind, StartError};
#[cfg(feature = "evcxr")]
use crate::evcxr_engine::{self, EvcxrEngine};
use crate::rustc_engine::RustcEngine;

/// Sets up where the session of the kernel installed in `kernel_dir`
/// builds, before any thread starts (evcxr's set-up changes this process's
/// environment): a slot of its own, which must be held as long as the
/// session runs. Also returns what the user should hear about it.
pub fn prepare(kind: EngineKind, kernel_dir: PathBuf) -> anyhow::Result<(Slot, EngineConfig, Vec<String>)> {
    let slot = slots::acquire(&slots::sessions_root()?)?;
    let config = EngineConfig { kind, kernel_dir, work_dir: slot.dir.clone(), warm: false };
    let notices = match kind {
        EngineKind::Rustc => Vec::new(),
        #[cfg(feature = "evcxr")]
        EngineKind::Evcxr => evcxr_engine::prepare(&config)?,
        #[cfg(not(feature = "evcxr"))]
        EngineKind::Evcxr => Vec::new(),
    };
    Ok((slot, config, notices))
}

/// Starts the engine `config` names; what its cells print goes to `router`.
pub fn engine(config: &EngineConfig, router: Router) -> Result<Box<dyn Engine>, StartError> {
    match config.kind {
        EngineKind::Rustc => {
            Ok(Box::new(RustcEngine::start(config, router).map_err(|e| StartError::Engine(format!("{e:#}")))?))
        }
        #[cfg(feature = "evcxr")]
        EngineKind::Evcxr => Ok(Box::new(EvcxrEngine::start(config, router)?)),
        #[cfg(not(feature = "evcxr"))]
        EngineKind::Evcxr => Err(StartError::Engine(
            "this ndlens was built without the evcxr engine: build it with `--features evcxr`".into(),
        )),
    }
}
