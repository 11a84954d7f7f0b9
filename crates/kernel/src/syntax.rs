//! Reading cells as Rust with `syn`: statements as a block, and where a
//! parsed node stands in the text it came from.
//!
//! Spans carry byte positions because `proc-macro2` is built with
//! `span-locations`.

use std::ops::Range;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::Block;

/// `code` parsed as the statements of a block. Positions inside the result
/// are one byte past those in `code`, for the opening brace: see
/// [`in_statements`].
pub fn statements(code: &str) -> syn::Result<Block> {
    syn::parse_str::<Block>(&format!("{{{code}\n}}"))
}

/// A byte range of a node of [`statements`]' block, as a range of `code`.
pub fn in_statements(range: Range<usize>) -> Range<usize> {
    range.start.saturating_sub(1)..range.end.saturating_sub(1)
}

/// The bytes a parsed node covers in the text it was parsed from.
pub fn byte_range(node: &impl ToTokens) -> Range<usize> {
    let mut tokens = node.to_token_stream().into_iter();
    let first = tokens.next().map(|t| t.span().byte_range());
    let last = tokens.last().map(|t| t.span().byte_range());
    match (first, last) {
        (Some(first), Some(last)) => first.start..last.end,
        (Some(first), None) => first,
        _ => 0..0,
    }
}

/// Whether `code` lexes as Rust: balanced brackets, closed strings and
/// comments.
pub fn lexes(code: &str) -> Result<TokenStream, proc_macro2::LexError> {
    code.parse::<TokenStream>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_map_back_to_the_code() {
        let code = "let x = a.t();";
        let block = statements(code).unwrap();
        let syn::Stmt::Local(local) = &block.stmts[0] else { panic!("a let") };
        let init = in_statements(byte_range(&local.init.as_ref().unwrap().expr));
        assert_eq!(&code[init], "a.t()");
    }
}
