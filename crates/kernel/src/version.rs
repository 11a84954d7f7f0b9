//! The kernel's version, with the build id: a hash of the sources this
//! binary was built from (see `build.rs`), so that a kernel and the
//! compiled cells and prebuilt libraries it finds can tell whether they
//! belong together.

pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (build ", env!("NDLENS_BUILD_ID"), ")");
