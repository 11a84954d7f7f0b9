//! Directive arguments: Rust expressions split at top-level commas, found by
//! parsing them as Rust, so that commas inside calls, macros, generics and
//! closures stay where they belong.

use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

use super::{Usage, UsageError};
use crate::syntax;

/// An argument as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    pub source: String,
}

impl Expression {
    pub fn new(source: &str) -> Expression {
        Expression { source: source.trim().to_string() }
    }

    /// The expression as a Rust string literal, to label what it shows.
    pub fn literal(&self) -> String {
        format!("{:?}", self.source)
    }
}

/// Code that builds one of the lens's labelled pictures or tables from
/// `expressions`: `constructor` (`ndlens::Diagram::new()`), then an
/// `.add(label, &(expression))` for each, labelled as the user wrote it.
pub fn labelled(constructor: &str, expressions: &[Expression]) -> String {
    let mut code = constructor.to_string();
    for e in expressions {
        code.push_str(&format!("\n    .add({}, &({}))", e.literal(), e.source));
    }
    code
}

/// The arguments of a directive: a comma-separated list of expressions, or
/// plain names separated by spaces.
pub fn expressions(usage: &Usage, args: &str) -> Result<Vec<Expression>, UsageError> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let words: Vec<&str> = args.split_whitespace().collect();
    if words.len() > 1 && words.iter().all(|w| syn::parse_str::<syn::Ident>(w).is_ok()) {
        return Ok(words.into_iter().map(Expression::new).collect());
    }
    let not_a_list =
        |e: &dyn std::fmt::Display| usage.error(format!("`{args}` is not a list of Rust expressions: {e}"));
    let tokens = syntax::lexes(args).map_err(|e| not_a_list(&e))?;
    let list = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(tokens).map_err(|e| not_a_list(&e))?;
    Ok(list.iter().map(|expr| Expression::new(&args[syntax::byte_range(expr)])).collect())
}

/// Checks that `code` lexes as Rust (balanced brackets, closed strings), so
/// that a typo is reported against the directive rather than generated code.
pub fn check_statements(usage: &Usage, code: &str) -> Result<(), UsageError> {
    syntax::lexes(code).map(|_| ()).map_err(|e| usage.error(format!("`{}` is not Rust: {e}", code.trim())))
}
