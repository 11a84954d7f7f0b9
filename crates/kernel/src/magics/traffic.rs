//! `%traffic A[, B ...]`: what walking each view costs the memory system,
//! as a model: the cache lines and pages its elements cover, how often a
//! walk in logical order switches between them, the walk's innermost
//! stride and what it means ([`ndlens::traffic::Report`]).

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::outcome::CellOutcome;

pub struct Traffic;

/// The most views one table compares.
const MAX_VIEWS: usize = 32;

static USAGE: Usage = Usage {
    name: "%traffic",
    synopsis: "%traffic A[, B ...]",
    help: "the cache lines and pages walking each view touches, as a model, and why its stride matters",
};

impl Directive for Traffic {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let views = args::expressions(usage, args)?;
        if views.is_empty() {
            return Err(usage.error("which views? It needs at least one expression"));
        }
        if views.len() > MAX_VIEWS {
            return Err(usage.error(format!("compares at most {MAX_VIEWS} views, got {}", views.len())));
        }
        Ok(Box::new(TrafficOf { views }))
    }
}

#[derive(Debug)]
struct TrafficOf {
    views: Vec<Expression>,
}

impl TrafficOf {
    fn code(&self) -> String {
        args::labelled("ndlens::traffic::Report::new()", &self.views)
    }
}

impl Invocation for TrafficOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        USAGE.run(session, ARGUMENTS, &self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;
    use super::*;

    #[test]
    fn each_view_is_added_under_its_expression() {
        let call = TrafficOf { views: vec![Expression::new("a.row(0)"), Expression::new("a.column(0)")] };
        assert_eq!(
            call.code(),
            "ndlens::traffic::Report::new()\n    .add(\"a.row(0)\", &(a.row(0)))\n    .add(\"a.column(0)\", &(a.column(0)))"
        );
        assert!(only_magic("%traffic").unwrap_err().to_string().starts_with("%traffic: which views?"));
    }
}
