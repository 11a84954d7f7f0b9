//! The evcxr engine's prebuilt template: evcxr's crate folder with
//! ndarray, plotters, the lens and the runtime compiled, which every session
//! copies into its slot (see [`crate::engine::prebuilt`]).

use std::path::Path;

use anyhow::Result;

use super::{environment, prelude, profile, session_dependencies};
use crate::engine::prebuilt::Prebuilt;
use crate::engine::Checks;

/// Builds the template next to the kernel installed in `kernel_dir`, as a
/// session would: the prelude, then a first array cell.
pub fn build_template(kernel_dir: &Path) -> Result<()> {
    let prebuilt = Prebuilt::beside(kernel_dir);
    prebuilt.build(&prebuilt.evcxr_crate(), &session_dependencies(kernel_dir), |crate_dir| {
        let build = profile::CellBuild { checks: Checks::Off, sources: Some(prebuilt.sources()) };
        environment::enter(crate_dir, &build)?;
        let (mut context, _outputs) = evcxr::CommandContext::new().map_err(|e| {
            anyhow::anyhow!("the Rust engine could not start: {e}; is `rustup component add rust-src` done?")
        })?;
        context
            .execute(&prelude(kernel_dir))
            .map_err(|e| anyhow::anyhow!("building the session libraries failed: {e}"))?;
        context
            .execute("let warm = ndlens::diagram!(ndarray::Array2::<f64>::zeros((2, 3)).t()); warm.to_svg().len()")
            .map_err(|e| anyhow::anyhow!("a first array cell failed: {e}"))?;
        Ok(())
    })
}
