//! Showing a cell's final value.
//!
//! A value is shown by calling `evcxr_display` on it, as evcxr does: types
//! with rich output (the lens's `Layout` and `Diagram`, a user's own type)
//! define that method themselves and print mime blocks
//! ([`crate::content`]). [`ShowDebug`] gives every other `Debug` value the
//! same method, printing its `Debug` text; method resolution prefers a
//! type's own inherent `evcxr_display`, so the two never conflict.
//!
//! `:fmt {:#?}` asks for the alternate `Debug` form through an environment
//! variable of the session's process ([`set_pretty_debug`]): the one
//! setting every compiled cell, with its own copy of this crate, can see.

use std::fmt::Debug;

use crate::content;

/// The environment variable that asks [`ShowDebug`] for `{:#?}`.
pub const PRETTY_DEBUG_VARIABLE: &str = "NDLENS_PRETTY_DEBUG";

/// `evcxr_display` for every `Debug` value: its `Debug` text as
/// `text/plain`. The unit value shows nothing, as a statement would.
///
/// ```
/// use ndlens_runtime::show::ShowDebug;
/// Some(42).evcxr_display(); // prints a text/plain block: Some(42)
/// ().evcxr_display(); // prints nothing
/// ```
pub trait ShowDebug {
    /// Prints the value's `Debug` text as a `text/plain` block.
    fn evcxr_display(&self);
}

impl<T: Debug + ?Sized> ShowDebug for T {
    #[inline]
    fn evcxr_display(&self) {
        // The work is done once, in this crate, rather than compiled anew
        // into every cell for each type shown.
        show_debug(&self, std::any::type_name::<T>() == "()");
    }
}

fn show_debug(value: &dyn Debug, unit: bool) {
    if unit {
        return;
    }
    let text = match std::env::var_os(PRETTY_DEBUG_VARIABLE) {
        Some(_) => format!("{value:#?}"),
        None => format!("{value:?}"),
    };
    content::emit("text/plain", &text);
}

/// Whether values are shown with `{:#?}` (true) or `{:?}`, from now on, in
/// this process.
pub fn set_pretty_debug(pretty: bool) {
    // SAFETY: cells run one at a time on the session's thread; a thread a
    // cell started and left running could race this, as with any setenv.
    unsafe {
        match pretty {
            true => std::env::set_var(PRETTY_DEBUG_VARIABLE, "1"),
            false => std::env::remove_var(PRETTY_DEBUG_VARIABLE),
        }
    }
}
