//! `:fmt`: how values are shown, `{:?}` or `{:#?}`.

use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::outcome::CellOutcome;

pub struct Fmt;

static FMT: Usage = Usage {
    name: ":fmt",
    synopsis: ":fmt [{:?}|{:#?}]",
    help: "how a cell's value is shown: {:?} (the default) or {:#?}, one field a line",
};

impl Directive for Fmt {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&FMT)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let pretty = match args.trim() {
            "" | "{:?}" => false,
            "{:#?}" => true,
            other => return Err(usage.error(format!("`{other}` is not a format the kernel shows values with"))),
        };
        Ok(Box::new(Format { pretty }))
    }

    fn complete_argument(&self, word: &str) -> Vec<&'static str> {
        ["{:?}", "{:#?}"].into_iter().filter(|f| f.starts_with(word)).collect()
    }
}

#[derive(Debug)]
struct Format {
    pretty: bool,
}

impl Invocation for Format {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        let format = if self.pretty { "{:#?}" } else { "{:?}" };
        // evcxr formats the values it shows itself with its own setting.
        let _ = session.engine().command(&format!(":fmt {format}"));
        session.set_pretty_debug(self.pretty);
        CellOutcome::text(format!("Output format: {format}"))
    }
}
