//! `%whos`: the session's variables, their types, and each array's layout,
//! as IPython's `%whos` table.
//!
//! The layouts are read in the session, by one generated cell for all the
//! arrays; everything else comes from what the engine knows already.

use std::collections::BTreeMap;

use proc_macro2::{Group, Spacing, TokenStream, TokenTree};

use super::{Invocation, Magic, MagicError, Usage, ARGUMENTS};
use ndlens_runtime::content::WHOS_MIME;

use crate::engine::emit_statement;
use crate::engine::output::Router;
use crate::engine::{Session, Variable};
use crate::outcome::CellOutcome;
use crate::syntax;

pub struct Whos;

static USAGE: Usage = Usage {
    name: "%whos",
    synopsis: "%whos",
    help: "the session's variables, their types, and for arrays their layout",
};

impl Magic for Whos {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, MagicError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(WhosCall))
    }
}

#[derive(Debug)]
struct WhosCall;

impl Invocation for WhosCall {
    fn run(&self, session: &mut Session, _show: &Router) -> CellOutcome {
        let variables = session.variables();
        if variables.is_empty() {
            return CellOutcome::text("Interactive namespace is empty.");
        }
        let arrays: Vec<&str> = variables.iter().filter(|v| v.is_array()).map(Variable::name).collect();
        let mut layouts: BTreeMap<String, String> = BTreeMap::new();
        if !arrays.is_empty() {
            let mut outcome = USAGE.run(session, ARGUMENTS, &layouts_code(&arrays));
            if outcome.error.is_some() {
                return outcome;
            }
            let rows = outcome.result.take().and_then(|mut r| r.remove(WHOS_MIME)).unwrap_or_default();
            for row in rows.lines() {
                if let Some((name, layout)) = row.split_once('\t') {
                    layouts.insert(name.to_string(), layout.to_string());
                }
            }
        }
        let rows: Vec<[String; 3]> = variables
            .iter()
            .map(|v| {
                let ty = match v {
                    Variable::Value { ty, .. } => short_type(ty),
                    Variable::View { expression, .. } => format!("view = {expression}"),
                };
                [v.name().to_string(), ty, layouts.get(v.name()).cloned().unwrap_or_default()]
            })
            .collect();
        CellOutcome::value(BTreeMap::from([
            ("text/plain".into(), text_table(&rows)),
            ("text/html".into(), html_table(&rows)),
        ]))
    }
}

/// One row per array, `name\tlayout`, sent back as one content block.
fn layouts_code(arrays: &[&str]) -> String {
    let mut code = String::from("{\n    let mut __ndlens_rows = String::new();\n");
    for name in arrays {
        code.push_str(&format!(
            "    __ndlens_rows.push_str(&format!(\"{{}}\\t{{}}\\n\", {name:?}, ndlens::layout(&{name})));\n"
        ));
    }
    code.push_str(&format!("    {}\n}}", emit_statement(WHOS_MIME, "__ndlens_rows.trim_end()")));
    code
}

const HEADER: [&str; 3] = ["Variable", "Type", "Data/Info"];

fn text_table(rows: &[[String; 3]]) -> String {
    let widths: Vec<usize> =
        (0..3).map(|c| rows.iter().map(|r| r[c].chars().count()).chain([HEADER[c].len()]).max().unwrap_or(0)).collect();
    let line = |r: [&str; 3]| {
        format!("{:<w0$}   {:<w1$}   {}", r[0], r[1], r[2], w0 = widths[0], w1 = widths[1]).trim_end().to_string()
    };
    let mut text = line(HEADER);
    text.push('\n');
    text.push_str(&"-".repeat(widths.iter().sum::<usize>() + 6));
    for r in rows {
        text.push('\n');
        text.push_str(&line([&r[0], &r[1], &r[2]]));
    }
    text
}

fn html_table(rows: &[[String; 3]]) -> String {
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let mut html = String::from("<table class=\"ndlens-whos\"><tr>");
    for h in HEADER {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr>");
    for r in rows {
        html.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&r[0]),
            escape(&r[1]),
            escape(&r[2])
        ));
    }
    html.push_str("</table>");
    html
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

    #[test]
    fn the_table_lines_up_under_its_header() {
        let rows = [["m".to_string(), "Array2<f64>".to_string(), "shape=(2, 5)".to_string()]];
        assert_eq!(text_table(&rows), "Variable   Type          Data/Info\n-------------------------------------\nm          Array2<f64>   shape=(2, 5)");
        assert!(html_table(&[["a<b".into(), String::new(), String::new()]]).contains("<code>a&lt;b</code>"));
    }
}
