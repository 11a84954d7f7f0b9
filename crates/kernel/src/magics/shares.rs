//! `%shares A, B`: whether two arrays share memory (exactly, as
//! `numpy.shares_memory`), and which element they share.

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::outcome::CellOutcome;

pub struct Shares;

static USAGE: Usage = Usage {
    name: "%shares",
    synopsis: "%shares A, B",
    help: "whether two arrays share memory (exact), and the first shared element",
};

impl Directive for Shares {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        match args::expressions(usage, args)?.as_slice() {
            [a, b] => Ok(Box::new(SharesOf { a: a.clone(), b: b.clone() })),
            got => Err(usage.error(format!("takes two arrays, got {}", got.len()))),
        }
    }
}

#[derive(Debug)]
struct SharesOf {
    a: Expression,
    b: Expression,
}

impl SharesOf {
    fn code(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        format!("ndlens::explain_sharing({}, &({}), {}, &({}))", a.literal(), a.source, b.literal(), b.source)
    }
}

impl Invocation for SharesOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        USAGE.run(session, ARGUMENTS, &self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_borrowed_and_labelled_as_written() {
        let call = SharesOf { a: Expression::new("a"), b: Expression::new("a.slice(s![\"x\"..])") };
        assert_eq!(
            call.code(),
            "ndlens::explain_sharing(\"a\", &(a), \"a.slice(s![\\\"x\\\"..])\", &(a.slice(s![\"x\"..])))"
        );
    }
}
