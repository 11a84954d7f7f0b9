//! `%aid EXPR`: the address of an array's first element, as the recipe's
//! `aid()`.

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::outcome::CellOutcome;

pub struct Aid;

static USAGE: Usage = Usage {
    name: "%aid",
    synopsis: "%aid EXPR",
    help: "the address of an array's first element, as the recipe's aid()",
};

impl Directive for Aid {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        match args::expressions(usage, args)?.as_slice() {
            [array] => Ok(Box::new(AidOf { array: array.clone() })),
            [] => Err(usage.error("which array? It needs one expression")),
            more => Err(usage.error(format!("takes one expression, got {}", more.len()))),
        }
    }
}

#[derive(Debug)]
struct AidOf {
    array: Expression,
}

impl AidOf {
    fn code(&self) -> String {
        format!("ndlens::aid(&({}))", self.array.source)
    }
}

impl Invocation for AidOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        USAGE.run(session, ARGUMENTS, &self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expression_is_borrowed() {
        assert_eq!(AidOf { array: Expression::new("a.t()") }.code(), "ndlens::aid(&(a.t()))");
    }
}
