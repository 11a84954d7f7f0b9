//! `%checks [on|off]`: overflow checks and debug assertions in the cells'
//! own code.
//!
//! Cells compile as `cargo build --release` would (see
//! [`profile`](crate::engine::profile)): integer overflow wraps. A teacher
//! who wants overflow to panic, as in a debug build, switches checks on for
//! the session; the dependencies stay as they were built, so nothing but
//! the next cell is recompiled.

use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::engine::Checks;
use crate::outcome::{CellOutcome, ErrorReport};

pub struct ChecksMagic;

static USAGE: Usage = Usage {
    name: "%checks",
    synopsis: "%checks [on|off]",
    help: "overflow checks and debug assertions in cells: off (as --release, the default) or on",
};

impl Directive for ChecksMagic {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let wanted = match args.trim() {
            "" => None,
            "on" => Some(Checks::On),
            "off" => Some(Checks::Off),
            other => return Err(usage.error(format!("`{other}` is neither on nor off"))),
        };
        Ok(Box::new(ChecksCall { wanted }))
    }

    fn complete_argument(&self, word: &str) -> Vec<&'static str> {
        ["on", "off"].into_iter().filter(|w| w.starts_with(word)).collect()
    }
}

/// `None` asks which checks are in force.
#[derive(Debug)]
struct ChecksCall {
    wanted: Option<Checks>,
}

impl Invocation for ChecksCall {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        if let Some(checks) = self.wanted {
            if let Err(e) = session.set_checks(checks) {
                return CellOutcome::error(ErrorReport::new("EngineError", format!("{e:#}"), Vec::new()));
            }
        }
        CellOutcome::text(describe(session.checks()))
    }
}

fn describe(checks: Checks) -> &'static str {
    match checks {
        Checks::Off => {
            "Checks are off, as in `cargo build --release`: integer overflow in cells wraps, and debug_assert! \
             is skipped."
        }
        Checks::On => {
            "Checks are on, as in `cargo build`: integer overflow in cells panics, and debug_assert! runs. \
             ndarray and the lens stay optimised."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;

    #[test]
    fn takes_on_off_or_nothing() {
        assert!(only_magic("%checks on").unwrap().contains("Some(On)"));
        assert!(only_magic("%checks").unwrap().contains("None"));
        assert!(only_magic("%checks maybe").unwrap_err().to_string().starts_with("%checks: `maybe` is neither"));
        assert_eq!(
            super::super::tests::MAGICS_ONLY.complete("%checks o").unwrap().0,
            vec!["on".to_string(), "off".to_string()]
        );
    }
}
