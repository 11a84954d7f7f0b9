//! `%lsmagic`: every magic, with its synopsis and help, read from the table.

use crate::directive::{Context, Directive, Invocation, Table, Usage, UsageError};
use crate::outcome::CellOutcome;

pub struct Lsmagic;

static USAGE: Usage = Usage { name: "%lsmagic", synopsis: "%lsmagic", help: "this list" };

impl Directive for Lsmagic {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(LsmagicCall))
    }
}

#[derive(Debug)]
struct LsmagicCall;

impl Invocation for LsmagicCall {
    fn run(&self, Context { directives, .. }: Context<'_>) -> CellOutcome {
        CellOutcome::text(listing(directives))
    }
}

/// The text `%lsmagic` prints.
fn listing(directives: &Table) -> String {
    let width = directives.synopsis_width();
    let mut out = String::from("Magics (arguments are Rust expressions over the session's variables):\n");
    for usage in directives.magic_usages() {
        out.push_str(&format!("  {:<width$}  {}\n", usage.synopsis, usage.help));
    }
    out.push_str(
        "\nCells compile as `cargo build --release` would: dependencies at opt-level 3, and no overflow\n\
         checks or debug assertions in cells unless %checks on.\n\
         Commands as evcxr has them (:vars, :dep, :opt, :fmt, :clear, :explain ...): :help lists them.\n\
         Views across cells: `let v = m.t();` is remembered as `m.t()` and re-derived from `m`\n\
         each time `v` is used, so `v` always views the current `m`. In NumPy a view keeps\n\
         the old buffer alive when its owner is reassigned; here it follows the new owner.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_listed_with_its_synopsis() {
        let text = listing(&super::super::tests::MAGICS_ONLY);
        assert!(text.contains("%timeit [-n N] [-r R] [-q] [-o] STATEMENT"));
        assert!(text.contains("%%time "));
        assert!(super::super::tests::only_magic("%whos x").is_err());
    }
}
