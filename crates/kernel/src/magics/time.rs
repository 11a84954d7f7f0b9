//! `%time STATEMENT` and `%%time`: one run, and its wall time.
//!
//! The statements run at the top level of the cell, so that their `let`
//! bindings stay in the session, between two clock readings; a final
//! expression stays the cell's value.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Stmt;

use super::timing::format_time;
use crate::directive::args;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, STATEMENT};
use ndlens_runtime::content::TIME_MIME;

use crate::engine::output::Event;
use crate::outcome::CellOutcome;
use crate::session::emit_statement;
use crate::syntax;

pub struct Time;

static USAGES: [Usage; 2] = [
    Usage { name: "%time", synopsis: "%time STATEMENT", help: "run a statement once and print its wall time" },
    Usage { name: "%%time", synopsis: "%%time", help: "run the cell once and print its wall time" },
];

impl Directive for Time {
    fn usages(&self) -> &'static [Usage] {
        &USAGES
    }

    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let body = if usage.name.starts_with("%%") {
            if !args.trim().is_empty() {
                return Err(usage.error("takes no arguments on its first line"));
            }
            body
        } else {
            if args.trim().is_empty() {
                return Err(usage.error("what to time? It needs a statement"));
            }
            args
        };
        args::check_statements(usage, body)?;
        let code = code(body).map_err(|e| usage.error(format!("the statement is not Rust: {e}")))?;
        Ok(Box::new(TimeCall { usage, code }))
    }
}

#[derive(Debug)]
struct TimeCall {
    usage: &'static Usage,
    code: String,
}

impl Invocation for TimeCall {
    fn run(&self, Context { session, show, .. }: Context<'_>) -> CellOutcome {
        let evaluation = session.eval_generated_statements(&self.code);
        let mut outcome = CellOutcome::from_evaluation(evaluation, "", |d| self.usage.compile_error(STATEMENT, d));
        let Some(mut result) = outcome.result.take() else { return outcome };
        if let Some(seconds) = result.remove(TIME_MIME).and_then(|s| s.trim().parse::<f64>().ok()) {
            show.send(Event::Stdout(format!("Wall time: {}\n", format_time(seconds))));
        }
        CellOutcome::value(result)
    }
}

fn code(body: &str) -> syn::Result<String> {
    let mut stmts = syntax::statements(body)?.stmts;
    let tail = match stmts.pop() {
        Some(Stmt::Expr(expr, None)) => Some(expr),
        Some(other) => {
            stmts.push(other);
            None
        }
        None => None,
    };
    let report: TokenStream =
        emit_statement(TIME_MIME, "__ndlens_start.elapsed().as_secs_f64()").parse().expect("generated code lexes");
    let code = match tail {
        Some(expr) => quote! {
            let __ndlens_start = ::std::time::Instant::now();
            #(#stmts)*
            { let __ndlens_value = #expr; #report __ndlens_value }
        },
        None => quote! {
            let __ndlens_start = ::std::time::Instant::now();
            #(#stmts)*
            #report
        },
    };
    Ok(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_stay_at_the_top_and_the_tail_is_the_value() {
        let code = code("let x = 2;\nx * 3").unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(code.starts_with("let __ndlens_start = :: std :: time :: Instant :: now () ; let x = 2 ;"), "{code}");
        assert!(code.ends_with("__ndlens_value }"), "{code}");
    }

    #[test]
    fn statements_that_do_not_parse_are_errors() {
        assert!(code("fn (").is_err());
    }
}
