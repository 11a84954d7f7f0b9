//! The `:commands`, as evcxr has them: `:vars`, `:type`, `:dep`, `:opt`,
//! `:fmt`, `:clear`, `:restart`, `:explain`, `:help` ...
//!
//! Each is one [`Magic`] in [`COMMANDS`], its name starting with `:`
//! instead of `%`: the same parts (usage and help, typed parsing, the
//! action) and the same parser, completion and errors as the magics. They
//! act on the [`Session`](crate::engine::Session) and its engine through
//! the seam, so they work the same whichever engine runs; a `:command` the
//! table does not know goes to the engine, which may know it (evcxr's own
//! `:sccache`, `:linker` ...) or not.

mod build;
mod format;
mod help;
mod session;
mod vars;

use crate::engine::output::Router;
use crate::engine::Session;
use crate::magics::{Invocation, Magic};
use crate::outcome::{CellOutcome, ErrorReport};

/// Every command the kernel knows, in the order `:help` lists them.
pub static COMMANDS: &[&dyn Magic] = &[
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

/// A `:command` line the table does not know, for the engine to try.
#[derive(Debug)]
pub struct EngineCommand {
    pub line: String,
}

impl Invocation for EngineCommand {
    fn run(&self, session: &mut Session, _show: &Router) -> CellOutcome {
        let line = self.line.trim();
        match session.engine().command(line) {
            Some(run) => CellOutcome::from_evaluation(session.evaluation_of(run, line), line, |d| {
                crate::outcome::compile_error(line, d)
            }),
            None => {
                let name = line.split_whitespace().next().unwrap_or(line);
                let known: Vec<&str> = COMMANDS.iter().flat_map(|c| c.usages()).map(|u| u.name).collect();
                CellOutcome::error(ErrorReport::new(
                    "UsageError",
                    format!("{name}: no such command; the commands are {}", known.join(", ")),
                    Vec::new(),
                ))
            }
        }
    }
}

/// An engine's refusal, as the cell's error.
fn refused(what: impl std::fmt::Display) -> CellOutcome {
    CellOutcome::error(ErrorReport::new("EngineError", what.to_string(), Vec::new()))
}
