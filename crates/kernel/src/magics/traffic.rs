//! `%traffic A[, B ...]`: what walking each view costs the memory system,
//! as a model: the cache lines and pages its elements cover, how often a
//! walk in logical order switches between them, the walk's innermost
//! stride and what it means ([`ndlens::traffic::Report`]).
//!
//! With `-m`, each view is also walked once under the processor's
//! counters ([`ndlens_runtime::counters`]) and the L1D and dTLB misses are
//! shown beside the model's line and page switches; where the machine
//! hides its counters, the table says why and shows the model alone.

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::outcome::CellOutcome;

pub struct Traffic;

/// The most views one table compares.
const MAX_VIEWS: usize = 32;

static USAGE: Usage = Usage {
    name: "%traffic",
    synopsis: "%traffic [-m] A[, B ...]",
    help: "the cache lines and pages walking each view touches, as a model, and why its stride matters; \
           -m: also walk each view under the processor's counters",
};

impl Directive for Traffic {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let args = args.trim_start();
        let (measure, args) = match args.strip_prefix("-m") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => (true, rest),
            _ if args.starts_with('-') && !args.starts_with("-(") => {
                return Err(usage.error(format!(
                    "unknown option `{}`: the one option is -m",
                    args.split_whitespace().next().unwrap_or(args)
                )));
            }
            _ => (false, args),
        };
        let views = args::expressions(usage, args)?;
        if views.is_empty() {
            return Err(usage.error("which views? It needs at least one expression"));
        }
        if views.len() > MAX_VIEWS {
            return Err(usage.error(format!("compares at most {MAX_VIEWS} views, got {}", views.len())));
        }
        Ok(Box::new(TrafficOf { views, measure }))
    }
}

#[derive(Debug)]
struct TrafficOf {
    views: Vec<Expression>,
    /// `-m`: walk each view under the processor's counters too.
    measure: bool,
}

impl TrafficOf {
    fn code(&self) -> String {
        if !self.measure {
            return args::labelled("ndlens::traffic::Report::new()", &self.views);
        }
        let mut code = String::from("ndlens::traffic::Report::new()");
        for view in &self.views {
            let (label, source) = (view.literal(), &view.source);
            code.push_str(&format!(
                "\n    .add({label}, &({source}))\
                 \n    .measured(ndlens_runtime::counters::count(|| ndlens_runtime::counters::walk(({source}).iter()))\
                 .map(|c| ndlens::traffic::Measured {{ l1d_misses: c.l1d_misses, dtlb_misses: c.dtlb_misses }}))"
            ));
        }
        code
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
        let call =
            TrafficOf { views: vec![Expression::new("a.row(0)"), Expression::new("a.column(0)")], measure: false };
        assert_eq!(
            call.code(),
            "ndlens::traffic::Report::new()\n    .add(\"a.row(0)\", &(a.row(0)))\n    .add(\"a.column(0)\", &(a.column(0)))"
        );
        assert!(only_magic("%traffic").unwrap_err().to_string().starts_with("%traffic: which views?"));
        assert!(only_magic("%traffic -m").unwrap_err().to_string().starts_with("%traffic: which views?"));
        assert!(only_magic("%traffic -x a").unwrap_err().to_string().contains("unknown option `-x`"));
        let measured = TrafficOf { views: vec![Expression::new("a.row(0)")], measure: true }.code();
        assert!(
            measured.contains(
                ".measured(ndlens_runtime::counters::count(|| ndlens_runtime::counters::walk((a.row(0)).iter()))"
            ),
            "{measured}"
        );
        assert!(only_magic("%traffic -m a.row(0), -a").unwrap().contains("measure: true"));
    }
}
