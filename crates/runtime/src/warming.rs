//! Whether the cells run to be compiled, not for their results.
//!
//! `ndlens warm` compiles a class's notebooks by running their cells as a
//! student would, since each cell's library depends on the cells before
//! it. Their timing loops it need not run for long: `%timeit` takes a
//! second or more a statement, most of the recipe's warming time. Its code
//! asks [`active`] at run time, so that a student's `%timeit` is the same
//! code, and finds the same compiled library, as the warming one.

use std::sync::OnceLock;

/// The environment variable the engine sets in a warming session process.
pub const VARIABLE: &str = "NDLENS_WARMING";

/// Whether this process runs cells to warm the cache of compiled cells.
pub fn active() -> bool {
    static ACTIVE: OnceLock<bool> = OnceLock::new();
    *ACTIVE.get_or_init(|| std::env::var_os(VARIABLE).is_some_and(|v| v == "1"))
}
