//! Magic arguments: Rust expressions split at top-level commas, found by
//! parsing them as Rust, so that commas inside calls, macros, generics and
//! closures stay where they belong.

use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

use super::{MagicError, Usage};
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

/// The arguments of a magic: a comma-separated list of expressions, or
/// plain names separated by spaces.
pub(super) fn expressions(usage: &Usage, args: &str) -> Result<Vec<Expression>, MagicError> {
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
/// that a typo is reported against the magic rather than generated code.
pub(super) fn check_statements(usage: &Usage, code: &str) -> Result<(), MagicError> {
    syntax::lexes(code).map(|_| ()).map_err(|e| usage.error(format!("`{}` is not Rust: {e}", code.trim())))
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;

    #[test]
    fn arguments_split_at_top_level_commas_only() {
        let shown = only_magic("%layout a, a.slice(s![1.., ..;2]), HashMap::<u8, u8>::new()").unwrap();
        for source in ["\"a\"", "\"a.slice(s![1.., ..;2])\"", "\"HashMap::<u8, u8>::new()\""] {
            assert!(shown.contains(&format!("source: {source}")), "{shown}");
        }
    }

    #[test]
    fn plain_names_may_be_separated_by_spaces() {
        let shown = only_magic("%shares a b").unwrap();
        assert!(shown.contains("source: \"a\"") && shown.contains("source: \"b\""), "{shown}");
        assert!(only_magic("%shares a.t() b").is_err());
    }
}
