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

/// The deepest bracket nesting the kernel reads. `syn`, and the parsers
/// inside evcxr, descend recursively: code nested thousands deep would
/// overflow a thread's stack and end the kernel, where a person writes a
/// few dozen levels at most.
pub const MAX_NESTING: usize = 256;

/// How deep `(`, `[` and `{` nest in `code`, counted in one pass without
/// recursion. Brackets inside strings and comments count too, so this can
/// only overstate.
pub fn nesting_depth(code: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in code.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
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
    fn nesting_is_counted_without_recursion() {
        assert_eq!(nesting_depth("f(a[1], {2})"), 2);
        let deep = "(".repeat(100_000) + &")".repeat(100_000);
        assert_eq!(nesting_depth(&deep), 100_000);
    }

    #[test]
    fn ranges_map_back_to_the_code() {
        let code = "let x = a.t();";
        let block = statements(code).unwrap();
        let syn::Stmt::Local(local) = &block.stmts[0] else { panic!("a let") };
        let init = in_statements(byte_range(&local.init.as_ref().unwrap().expr));
        assert_eq!(&code[init], "a.t()");
    }
}
