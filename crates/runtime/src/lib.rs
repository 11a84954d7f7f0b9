//! What every cell of an ndlens session links.
//!
//! A notebook cell is compiled on its own, loaded into the session's
//! process and run there; the session keeps the values it binds for later
//! cells. This crate is the cells' side of that arrangement, and the pieces
//! of a session that do not depend on how cells are compiled:
//!
//! - [`host`]: the C ABI between a compiled cell and the session process
//!   that loads it (the process may be built by another compiler);
//! - [`cell`]: running a cell's body against that ABI: the session
//!   variables it names taken in and stored back, its `?` errors and its
//!   panics caught;
//! - [`content`]: rich output as mime blocks on standard output;
//! - [`show`]: how a cell's final value is shown when its type has no
//!   display of its own;
//! - [`display`]: values shown in the middle of a cell, updated in place,
//!   and the cell's output cleared;
//! - [`input`]: a line asked of the user;
//! - [`inspect`]: a value as the debugger's Variables panel shows it;
//! - [`interrupt`]: the checks that let an interrupt stop a cell's loops
//!   without ending the session;
//! - [`panic`]: the panic report the kernel turns into the cell's error;
//! - [`allocs`]: the count of what a statement allocates, which `%allocs`
//!   reports;
//! - [`counters`]: the processor's cache and TLB misses during a walk,
//!   which `%traffic -m` reports;
//! - [`warming`]: whether the cells run only to be compiled (`ndlens
//!   warm`), so that timing loops run once.
//!
//! Each compiled cell carries its own copy of this crate, statics included:
//! whatever must be one per process (the interrupt flag) is found through
//! the process's environment, never through a static of this crate.

pub mod allocs;
pub mod cell;
pub mod content;
pub mod counters;
pub mod display;
pub mod host;
pub mod input;
pub mod inspect;
pub mod interrupt;
pub mod panic;
pub mod show;
pub mod warming;

/// What every session imports (as a glob, so that a cell's own items of the
/// same names win): displays in the middle of a cell, and input.
pub mod prelude {
    pub use crate::display::{clear_output, Html, Png, Svg};
    pub use crate::input::{getpass, input};
    pub use crate::{display, update_display};
}
