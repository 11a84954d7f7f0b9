//! What a cell's code is made of, read with `syn`: the items it defines
//! (kept for later cells), the statements that run, the final expression
//! whose value is shown, the variables its top level binds, and every name
//! it mentions, so that only the session variables it names are loaded.

use std::collections::BTreeSet;
use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::{Expr, Pat, Stmt};

use super::items::{self, NewItem};
use crate::syntax;

/// A variable the cell's top level binds with `let`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub mutable: bool,
    /// The function or method whose result the binding holds as it is
    /// (`let w = foo();`, `let w = x.foo()?;`), when it is one call and
    /// the binding has no type annotation: the value may then be of the
    /// opaque type `foo` returns.
    pub called: Option<String>,
}

#[derive(Debug)]
pub struct Analysis {
    /// Items, in order, with their bytes in the code.
    pub items: Vec<NewItem>,
    /// The final expression, when the cell ends in one (no semicolon).
    pub final_expression: Option<Range<usize>>,
    /// Top-level bindings, each name once, as last bound.
    pub bindings: Vec<Binding>,
    /// Every identifier the code mentions, format strings' included.
    pub names: BTreeSet<String>,
    /// Names the top level binds before anything reads them (`let a = 5;
    /// a + 1`, not `let a = a + 1;`): a session variable of that name need
    /// not be loaded, so a cell run again compiles to the same crate.
    pub fresh: BTreeSet<String>,
    /// Whether something in the code could leave a pointer into the cell's
    /// library behind once it has run: a thread, a hook, a leaked or
    /// `'static` value, raw pointers. The cell's library is then kept.
    pub lasting: bool,
}

/// What code needs to leave a pointer into its library behind.
const LASTING: [&str; 12] = [
    "spawn",
    "set_hook",
    "leak",
    "forget",
    "into_raw",
    "static",
    "thread_local",
    "transmute",
    "unsafe",
    "extern",
    "asm",
    "global_asm",
];

impl Analysis {
    /// Reads `code`; `None` when it does not parse, which the compiler
    /// will explain better than `syn`.
    pub fn of(code: &str) -> Option<Analysis> {
        let block = syntax::statements(code).ok()?;
        let mut items = Vec::new();
        let mut bindings: Vec<Binding> = Vec::new();
        // Where each name is first bound: its `let`, and where the value
        // the pattern is matched against ends.
        let mut first_bound: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        let mut final_expression = None;
        let count = block.stmts.len();
        for (index, stmt) in block.stmts.iter().enumerate() {
            let last = index + 1 == count;
            match stmt {
                Stmt::Item(item) => items.extend(items::from_syn(item, code)),
                Stmt::Local(local) => {
                    let mut bound = Vec::new();
                    pattern_bindings(&local.pat, &mut bound);
                    if let (Pat::Ident(_), [binding], Some(init)) = (&local.pat, bound.as_mut_slice(), &local.init) {
                        binding.called = called(&init.expr);
                    }
                    let statement = syntax::in_statements(syntax::byte_range(local));
                    let pattern = syntax::in_statements(syntax::byte_range(&local.pat));
                    for binding in &bound {
                        if !first_bound.iter().any(|(name, _)| name == &binding.name) {
                            // Mentions inside the pattern bind; any other
                            // mention up to the statement's end reads.
                            first_bound.push((binding.name.clone(), statement.start..pattern.end));
                        }
                    }
                    for binding in bound {
                        bindings.retain(|b| b.name != binding.name);
                        bindings.push(binding);
                    }
                }
                Stmt::Expr(expression, None) if last => {
                    final_expression = Some(syntax::in_statements(syntax::byte_range(expression)));
                }
                Stmt::Macro(mac) if last && mac.semi_token.is_none() => {
                    final_expression = Some(syntax::in_statements(syntax::byte_range(&mac.mac)));
                }
                Stmt::Expr(..) | Stmt::Macro(_) => {}
            }
        }
        items::attach_impls(&mut items);
        let mentions = syntax::lexes(code).map(mentioned).unwrap_or_default();
        let names: BTreeSet<String> = mentions.iter().map(|(name, _)| name.clone()).collect();
        let fresh = first_bound
            .iter()
            .filter(|(name, bound)| {
                // Read before it is bound, or in the pattern's own value.
                let statement_end = block.stmts.iter().find_map(|stmt| match stmt {
                    Stmt::Local(local) if syntax::in_statements(syntax::byte_range(local)).start == bound.start => {
                        Some(syntax::in_statements(syntax::byte_range(local)).end)
                    }
                    _ => None,
                });
                let statement_end = statement_end.unwrap_or(bound.end);
                !mentions
                    .iter()
                    .any(|(n, at)| n == name && (*at < bound.start || (*at >= bound.end && *at < statement_end)))
            })
            .map(|(name, _)| name.clone())
            .collect();
        let lasting = LASTING.iter().any(|word| names.contains(*word)) || code.contains("'static");
        Some(Analysis { items, final_expression, bindings, names, fresh, lasting })
    }
}

/// The names a pattern binds.
fn pattern_bindings(pat: &Pat, out: &mut Vec<Binding>) {
    match pat {
        Pat::Ident(p) => {
            out.push(Binding { name: p.ident.to_string(), mutable: p.mutability.is_some(), called: None });
            if let Some((_, sub)) = &p.subpat {
                pattern_bindings(sub, out);
            }
        }
        Pat::Type(p) => pattern_bindings(&p.pat, out),
        Pat::Tuple(p) => p.elems.iter().for_each(|e| pattern_bindings(e, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|e| pattern_bindings(e, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| pattern_bindings(&f.pat, out)),
        Pat::Slice(p) => p.elems.iter().for_each(|e| pattern_bindings(e, out)),
        Pat::Reference(p) => pattern_bindings(&p.pat, out),
        Pat::Paren(p) => pattern_bindings(&p.pat, out),
        // Every alternative binds the same names.
        Pat::Or(p) => {
            if let Some(first) = p.cases.first() {
                pattern_bindings(first, out);
            }
        }
        _ => {}
    }
}

/// The function or method `expression` is a call of, looking through
/// parentheses, references, `?` and `.await`.
fn called(expression: &Expr) -> Option<String> {
    match expression {
        Expr::Call(call) => match &*call.func {
            Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        Expr::MethodCall(call) => Some(call.method.to_string()),
        Expr::Paren(inner) => called(&inner.expr),
        Expr::Reference(inner) => called(&inner.expr),
        Expr::Try(inner) => called(&inner.expr),
        Expr::Await(inner) => called(&inner.base),
        _ => None,
    }
}

/// Every identifier in `tokens`, and the names format strings capture
/// (`println!("{x}")` uses `x`), each with the byte it is at.
fn mentioned(tokens: TokenStream) -> Vec<(String, usize)> {
    let mut mentions = Vec::new();
    let mut stack = vec![tokens];
    while let Some(tokens) = stack.pop() {
        for tree in tokens {
            match tree {
                TokenTree::Group(group) => stack.push(group.stream()),
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let at = ident.span().byte_range().start;
                    mentions.push((name.strip_prefix("r#").map(str::to_string).unwrap_or(name), at));
                }
                TokenTree::Literal(literal) => {
                    let mut captured = BTreeSet::new();
                    format_captures(&literal.to_string(), &mut captured);
                    let at = literal.span().byte_range().start;
                    mentions.extend(captured.into_iter().map(|name| (name, at)));
                }
                TokenTree::Punct(_) => {}
            }
        }
    }
    mentions
}

/// The identifiers a string literal would capture as format arguments:
/// `{name}`, `{name:?}`, not `{{`.
fn format_captures(literal: &str, names: &mut BTreeSet<String>) {
    if !(literal.starts_with('"') || literal.starts_with('r')) {
        return;
    }
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '{' {
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            continue;
        }
        let name: String = std::iter::from_fn(|| chars.next_if(|c| c.is_alphanumeric() || *c == '_')).collect();
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
            names.insert(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        Analysis::of(code).unwrap().names.into_iter().collect()
    }

    #[test]
    fn top_level_lets_bind_and_blocks_do_not() {
        let a = Analysis::of("let mut a = 1;\nlet (b, Point { x, y: y2 }) = f();\n{ let hidden = 2; }\nlet a = 3;")
            .unwrap();
        let bound: Vec<(&str, bool)> = a.bindings.iter().map(|b| (b.name.as_str(), b.mutable)).collect();
        assert_eq!(bound, vec![("b", false), ("x", false), ("y2", false), ("a", false)]);
        assert!(a.final_expression.is_none());
    }

    #[test]
    fn the_final_expression_is_found_with_or_without_a_macro() {
        let code = "let a = 1;\na + 1";
        assert_eq!(&code[Analysis::of(code).unwrap().final_expression.unwrap()], "a + 1");
        let code = "vec![1, 2]";
        assert_eq!(&code[Analysis::of(code).unwrap().final_expression.unwrap()], "vec![1, 2]");
        assert!(Analysis::of("println!(\"x\");").unwrap().final_expression.is_none());
        assert!(Analysis::of("fn f() {}").unwrap().final_expression.is_none());
    }

    #[test]
    fn names_include_format_captures() {
        let found = names("println!(\"{total:>5} {{not}} {0}\", x.len());");
        assert!(found.contains(&"total".to_string()) && found.contains(&"x".to_string()));
        assert!(!found.contains(&"not".to_string()));
    }

    #[test]
    fn a_name_bound_before_it_is_read_is_fresh() {
        let fresh = |code: &str| Analysis::of(code).unwrap().fresh.into_iter().collect::<Vec<_>>();
        assert_eq!(fresh("let a = 5; a + 1"), vec!["a"]);
        assert!(fresh("let a = a + 1;").is_empty());
        assert!(fresh("println!(\"{a}\"); let a = 1;").is_empty());
        assert!(fresh("let v = w; let w = 2;").contains(&"v".to_string()));
        assert_eq!(fresh("let (x, y) = (1, 2); x + y"), vec!["x", "y"]);
    }

    #[test]
    fn code_that_could_leave_pointers_behind_is_lasting() {
        assert!(!Analysis::of("1 + 1").unwrap().lasting);
        assert!(Analysis::of("std::thread::spawn(|| {});").unwrap().lasting);
        assert!(Analysis::of("let s: &'static str = \"x\";").unwrap().lasting);
        assert!(Analysis::of("Box::leak(Box::new(1));").unwrap().lasting);
    }

    #[test]
    fn code_that_does_not_parse_has_no_analysis() {
        assert!(Analysis::of("let = ;").is_none());
    }
}
