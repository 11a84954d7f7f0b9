//! `:clear` and `:restart`: a fresh session, or a fresh process.

use super::refused;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::outcome::CellOutcome;

pub struct Clear;

static CLEAR: Usage =
    Usage { name: ":clear", synopsis: ":clear", help: "forget every variable, view, item and dependency" };

pub struct Restart;

static RESTART: Usage = Usage {
    name: ":restart",
    synopsis: ":restart",
    help: "start a new session process: variables are lost, items and dependencies kept",
};

/// Which of the two was asked for.
#[derive(Debug)]
enum Fresh {
    Session,
    Process,
}

impl Directive for Clear {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&CLEAR)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        no_arguments(usage, args)?;
        Ok(Box::new(Fresh::Session))
    }
}

impl Directive for Restart {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&RESTART)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        no_arguments(usage, args)?;
        Ok(Box::new(Fresh::Process))
    }
}

fn no_arguments(usage: &Usage, args: &str) -> Result<(), UsageError> {
    match args.trim().is_empty() {
        true => Ok(()),
        false => Err(usage.error("takes no arguments")),
    }
}

impl Invocation for Fresh {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        let done = match self {
            Fresh::Session => session.clear(),
            Fresh::Process => session.restart(),
        };
        match (done, self) {
            (Ok(()), Fresh::Session) => CellOutcome::default(),
            (Ok(()), Fresh::Process) => CellOutcome::text("The session process was restarted: its variables are gone."),
            (Err(e), _) => refused(e),
        }
    }
}
