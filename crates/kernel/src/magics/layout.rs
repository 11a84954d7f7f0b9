//! `%layout A[, B ...]`: the memory-layout diagram of one or more arrays,
//! each labelled with its expression.

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::outcome::CellOutcome;

pub struct Layout;

/// The most arrays one diagram draws; its colours repeat after eight.
const MAX_ARRAYS: usize = 32;

static USAGE: Usage =
    Usage { name: "%layout", synopsis: "%layout A[, B ...]", help: "the memory-layout diagram of one or more arrays" };

impl Directive for Layout {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let arrays = args::expressions(usage, args)?;
        if arrays.is_empty() {
            return Err(usage.error("which arrays? It needs at least one expression"));
        }
        if arrays.len() > MAX_ARRAYS {
            return Err(usage.error(format!("draws at most {MAX_ARRAYS} arrays, got {}", arrays.len())));
        }
        Ok(Box::new(LayoutOf { arrays }))
    }
}

#[derive(Debug)]
struct LayoutOf {
    arrays: Vec<Expression>,
}

impl LayoutOf {
    fn code(&self) -> String {
        args::labelled("ndlens::Diagram::new()", &self.arrays)
    }
}

impl Invocation for LayoutOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        USAGE.run(session, ARGUMENTS, &self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_array_is_added_under_its_expression() {
        let call = LayoutOf { arrays: vec![Expression::new("m"), Expression::new("m.t()")] };
        assert_eq!(call.code(), "ndlens::Diagram::new()\n    .add(\"m\", &(m))\n    .add(\"m.t()\", &(m.t()))");
    }
}
