//! The `:commands`, as evcxr has them: `:vars`, `:type`, `:dep`, `:opt`,
//! `:fmt`, `:clear`, `:restart`, `:explain`, `:help` ...
//!
//! Each is one [`Directive`] in [`COMMANDS`], its name starting with `:`
//! instead of `%`: the same parts (usage and help, typed parsing, the
//! action) and the same parser, completion and errors as the magics. They
//! act on the [`Session`](crate::session::Session) and its engine through
//! the seam, so they work the same whichever engine runs; a `:command` the
//! table does not know goes to the engine, which may know it (evcxr's own
//! `:sccache`, `:linker` ...) or not
//! ([`EngineCommand`](crate::directive::table::EngineCommand)).

mod build;
mod format;
mod help;
mod session;
mod vars;

use crate::directive::Directive;
use crate::outcome::{CellOutcome, ErrorReport};

/// Every command the kernel knows, in the order `:help` lists them.
pub static COMMANDS: &[&dyn Directive] = &[
    &vars::Vars,
    &vars::Type,
    &build::Dep,
    &build::ShowDeps,
    &build::Opt,
    &format::Fmt,
    &session::Clear,
    &session::Restart,
    &help::Explain,
    &build::LastCompileDir,
    &help::Version,
    &help::Help,
];

/// An engine's refusal, as the cell's error.
fn refused(what: impl std::fmt::Display) -> CellOutcome {
    CellOutcome::error(ErrorReport::new("EngineError", what.to_string(), Vec::new()))
}
