//! Reading cells as Rust with `syn`: statements as a block, and where a
//! parsed node stands in the text it came from.
//!
//! Spans carry byte positions because `proc-macro2` is built with
//! `span-locations`.

use std::borrow::Cow;
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

/// `code` with the `;` its last `let` left out, which Rust requires and a
/// notebook's user does not expect to type: `let q = 5` as a cell's last
/// line binds `q`, as if the semicolon were there. Other code comes back
/// as it is, for the compiler to judge.
pub fn with_final_semicolon(code: &str) -> Cow<'_, str> {
    if statements(code).is_ok() {
        return Cow::Borrowed(code);
    }
    // On a line of its own, so that a comment ending the code does not
    // swallow it.
    let amended = format!("{code}\n;");
    match statements(&amended) {
        Ok(block) if matches!(block.stmts.last(), Some(syn::Stmt::Local(_))) => Cow::Owned(amended),
        _ => Cow::Borrowed(code),
    }
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
    fn a_last_let_without_its_semicolon_gets_one() {
        assert_eq!(with_final_semicolon("let q = 5"), "let q = 5\n;");
        assert_eq!(with_final_semicolon("let a = 1;\nlet b = a + 1 // two"), "let a = 1;\nlet b = a + 1 // two\n;");
        for unchanged in ["let q = 5;", "q + 1", "let x = ;", "fn f() {", "let q = 5\nq"] {
            assert_eq!(with_final_semicolon(unchanged), unchanged);
        }
    }

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
