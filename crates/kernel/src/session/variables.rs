//! The session's variables as the kernel sees them: values the engine
//! keeps, and views the kernel remembers as expressions (see
//! [`views`](super::views)).

use proc_macro2::{Group, Spacing, TokenStream, TokenTree};

use crate::syntax;

/// One variable of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variable {
    /// A value the engine keeps between cells, with its type as the engine
    /// spells it.
    Value { name: String, ty: String },
    /// A view remembered as the expression that derives it from its owner.
    View { name: String, expression: String },
}

impl Variable {
    pub fn name(&self) -> &str {
        match self {
            Variable::Value { name, .. } | Variable::View { name, .. } => name,
        }
    }

    /// Whether it is an array: of an ndarray type (owned, a view, a
    /// `CowArray`, or nested in another type), or a remembered view.
    pub fn is_array(&self) -> bool {
        match self {
            Variable::Value { ty, .. } => ty.contains("ArrayBase<"),
            Variable::View { .. } => true,
        }
    }

    /// Its type as a person writes it (`Array2<f64>`), or for a view the
    /// expression that derives it.
    pub fn display_type(&self) -> String {
        match self {
            Variable::Value { ty, .. } => short_type(ty),
            Variable::View { expression, .. } => format!("view = {expression}"),
        }
    }
}

/// A type as a person writes it: `Array2<f64>` for an owned 2-D array,
/// and every path cut to its last segment (`alloc::string::String` →
/// `String`); a type that does not lex is shown as evcxr gave it.
fn short_type(ty: &str) -> String {
    let Ok(tokens) = syntax::lexes(ty) else { return ty.to_string() };
    // Tokens print with spaces around punctuation; close them up again.
    let short = [" <", "< ", " >", " ,", "& ", "( ", " )", "[ ", " ]", " ;"]
        .iter()
        .fold(last_segments(tokens).to_string(), |s, gap| s.replace(gap, gap.trim()));
    owned_array(&short).unwrap_or(short)
}

/// `tokens` with every `segment ::` (and a leading `::`) left out.
fn last_segments(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let path_separator_at = |i: usize| {
        matches!((trees.get(i), trees.get(i + 1)), (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':')
    };
    let mut out = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Ident(_) if path_separator_at(i + 1) => i += 3,
            TokenTree::Punct(_) if path_separator_at(i) => i += 2,
            TokenTree::Group(g) => {
                out.push(TokenTree::Group(Group::new(g.delimiter(), last_segments(g.stream()))));
                i += 1;
            }
            other => {
                out.push(other.clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

/// `ArrayBase<OwnedRepr<f64>, Dim<[usize; 2]>, f64>` → `Array2<f64>`.
fn owned_array(ty: &str) -> Option<String> {
    let rest = ty.strip_prefix("ArrayBase<OwnedRepr<")?;
    let (elem, dims) = rest.split_once(">, Dim<[usize; ")?;
    let (n, _) = dims.split_once(']')?;
    Some(format!("Array{}<{elem}>", n.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_read_short() {
        assert_eq!(
            short_type("ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>, f64>"),
            "Array2<f64>"
        );
        assert_eq!(short_type("alloc::string::String"), "String");
        assert_eq!(short_type("num_complex::Complex<f64>"), "Complex<f64>");
        assert_eq!(short_type("(i32, core::option::Option<u8>)"), "(i32, Option<u8>)");
        assert_eq!(short_type("an (open"), "an (open");
    }
}
