//! Magic arguments: Rust expressions split at top-level commas, found by
//! parsing them as Rust, so that commas inside calls, macros, generics and
//! closures stay where they belong.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

use super::{error, MagicError};

/// An argument as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    pub source: String,
}

impl Expression {
    pub fn new(source: &str) -> Expression {
        Expression { source: source.trim().to_string() }
    }
}

/// The arguments of `magic`: a comma-separated list of expressions, or
/// plain names separated by spaces.
pub(super) fn expressions(magic: &str, args: &str) -> Result<Vec<Expression>, MagicError> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let words: Vec<&str> = args.split_whitespace().collect();
    if words.len() > 1 && words.iter().all(|w| syn::parse_str::<syn::Ident>(w).is_ok()) {
        return Ok(words.into_iter().map(Expression::new).collect());
    }
    let tokens: TokenStream =
        args.parse().map_err(|e| error(magic, format!("`{args}` is not a list of Rust expressions: {e}")))?;
    let list = Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(tokens)
        .map_err(|e| error(magic, format!("`{args}` is not a list of Rust expressions: {e}")))?;
    Ok(list
        .iter()
        .map(|expr| {
            let range = span_of(expr);
            Expression::new(&args[range])
        })
        .collect())
}

/// The byte range an expression covers in the text it was parsed from.
fn span_of(expr: &Expr) -> std::ops::Range<usize> {
    use quote::ToTokens;
    let mut tokens = expr.to_token_stream().into_iter();
    let first = tokens.next().map(|t| t.span().byte_range());
    let last = tokens.last().map(|t| t.span().byte_range());
    match (first, last) {
        (Some(first), Some(last)) => first.start..last.end,
        (Some(first), None) => first,
        _ => 0..0,
    }
}

/// Checks that `code` lexes as Rust (balanced brackets, closed strings), so
/// that a typo is reported against the magic rather than generated code.
pub(super) fn check_statements(magic: &str, code: &str) -> Result<(), MagicError> {
    code.parse::<TokenStream>().map(|_| ()).map_err(|e| error(magic, format!("`{}` is not Rust: {e}", code.trim())))
}
