//! `:help`, `:version` and `:explain`.

use crate::directive::{Context, Directive, Invocation, Table, Usage, UsageError};
use crate::outcome::{CellOutcome, ErrorReport};

pub struct Help;

static HELP: Usage = Usage { name: ":help", synopsis: ":help", help: "the commands and the magics" };

pub struct Version;

static VERSION: Usage = Usage { name: ":version", synopsis: ":version", help: "the kernel's version" };

pub struct Explain;

static EXPLAIN: Usage = Usage {
    name: ":explain",
    synopsis: ":explain [CODE]",
    help: "rustc's explanation of an error code, E0382 say (the last error's when none is given)",
};

#[derive(Debug)]
enum Say {
    Help,
    Version,
    Explain(Option<String>),
}

impl Directive for Help {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&HELP)
    }

    fn parse(&self, _usage: &'static Usage, _args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        Ok(Box::new(Say::Help))
    }
}

impl Directive for Version {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&VERSION)
    }

    fn parse(&self, _usage: &'static Usage, _args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        Ok(Box::new(Say::Version))
    }
}

impl Directive for Explain {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&EXPLAIN)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        match args.trim() {
            "" => Ok(Box::new(Say::Explain(None))),
            code if code.len() == 5 && code.starts_with('E') && code[1..].chars().all(|c| c.is_ascii_digit()) => {
                Ok(Box::new(Say::Explain(Some(code.to_string()))))
            }
            other => Err(usage.error(format!("`{other}` is not an error code such as E0382"))),
        }
    }
}

impl Invocation for Say {
    fn run(&self, Context { session, directives, .. }: Context<'_>) -> CellOutcome {
        match self {
            Say::Help => CellOutcome::text(listing(directives)),
            Say::Version => CellOutcome::text(crate::version::VERSION),
            Say::Explain(code) => {
                let Some(code) = code.clone().or_else(|| session.last_error_code()) else {
                    return CellOutcome::text("No error to explain: the cells so far compiled.");
                };
                match std::process::Command::new("rustc").args(["--explain", &code]).output() {
                    Ok(out) if out.status.success() => {
                        CellOutcome::text(String::from_utf8_lossy(&out.stdout).into_owned())
                    }
                    _ => CellOutcome::error(ErrorReport::new(
                        "UsageError",
                        format!("rustc has no explanation of {code}"),
                        Vec::new(),
                    )),
                }
            }
        }
    }
}

/// The text `:help` prints: the commands, then the magics.
fn listing(directives: &Table) -> String {
    let width = directives.synopsis_width();
    let mut out = String::from("Commands:\n");
    for usage in directives.command_usages() {
        out.push_str(&format!("  {:<width$}  {}\n", usage.synopsis, usage.help));
    }
    out.push_str("\nMagics:\n");
    for usage in directives.magic_usages() {
        out.push_str(&format!("  {:<width$}  {}\n", usage.synopsis, usage.help));
    }
    out
}
