//! Views that outlive their cell, without extending any lifetime.
//!
//! evcxr keeps a cell's `let` bindings between cells only when they own
//! their data: `let v = m.t();` borrows `m`, and evcxr refuses to keep it.
//! The recipe is about views, so the kernel remembers such a binding as the
//! expression that made it (`v` ↦ `m.t()`) and, in every later cell,
//! replaces each use of `v` by `(m.t())`: the view is derived again from its
//! owner, safely, each time it is used.
//!
//! The difference from NumPy, which the help and notebooks state: a view
//! here always views the owner's *current* value. Reassign `m`, and `v`
//! follows the new `m`; in NumPy `v` would keep the old buffer alive.
//!
//! While the debugger is on, the cell that defines a view derives it once
//! more where its `let` was, to note its reading for the Variables panel
//! ([`ndlens_runtime::inspect::Noted`]): a view is never kept, so nothing
//! could read it later without compiling a cell. A cell that names one of
//! the view's owners, and so may change it, notes it again as it ends; a
//! cell that could not ([`Session`](super::Session) says which) leaves it
//! unnoted, to be read by a compiled cell.

use std::collections::BTreeSet;
use std::ops::Range;

use proc_macro2::{TokenStream, TokenTree};
use syn::{Pat, Stmt};

use crate::syntax;

/// A remembered view: its name and the expression that derives it, in terms
/// of owned variables only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedView {
    pub name: String,
    pub expression: String,
    /// Whether the session process holds a reading of it that no cell has
    /// changed since.
    pub noted: bool,
}

/// What becomes of a view's `let` in the cell that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adoption {
    /// A statement that derives the view and notes its reading.
    Noted,
    /// Blanks: for a cell whose noting statement does not compile.
    Blanked,
}

/// What the noting statement puts before and after a view's expression.
const NOTE_OPEN: &str = "{ #[allow(unused_imports)] use ndlens_runtime::inspect::{NoteArray as _, NoteNothing as _}; \
                         (&ndlens_runtime::inspect::Noted(&(";

fn note_close(name: &str) -> String {
    format!("))).note({name:?}); }}")
}

#[derive(Clone, Debug, Default)]
pub struct DerivedViews {
    views: Vec<DerivedView>,
}

/// Code after rewriting, with the edits made, to map positions back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewritten {
    pub code: String,
    edits: Vec<Edit>,
}

/// One change to code: bytes of the original replaced by other text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Bytes replaced, in the original code.
    original: Range<usize>,
    replacement: String,
}

impl Edit {
    /// `text` inserted at byte `at`, before whatever else starts there.
    pub fn insert(at: usize, text: &str) -> Edit {
        Edit { original: at..at, replacement: text.to_string() }
    }
}

impl Rewritten {
    fn unchanged(code: &str) -> Rewritten {
        Rewritten { code: code.to_string(), edits: Vec::new() }
    }

    /// `code` with `edits` made; they must not overlap, and an insertion
    /// comes before a replacement that starts at the same byte.
    pub fn apply(code: &str, mut edits: Vec<Edit>) -> Rewritten {
        edits.sort_by_key(|e| (e.original.start, e.original.end));
        let mut out = String::with_capacity(code.len());
        let mut at = 0;
        for e in &edits {
            out.push_str(&code[at..e.original.start]);
            out.push_str(&e.replacement);
            at = e.original.end;
        }
        out.push_str(&code[at..]);
        Rewritten { code: out, edits }
    }

    /// The 1-based column in the original code of a 1-based (line, column)
    /// of the rewritten code, counting characters. Edits never add or remove
    /// line breaks, so lines stay where they were.
    pub fn original_column(&self, original: &str, line: usize, column: usize) -> usize {
        let line_start: usize = original.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let line_end = original[line_start..].find('\n').map_or(original.len(), |i| line_start + i);
        // Walk the line in the rewritten text, character by character.
        let mut rewritten_col = 1;
        let mut original_byte = line_start;
        let mut edits =
            self.edits.iter().filter(|e| e.original.start >= line_start && e.original.start < line_end).peekable();
        while original_byte < line_end {
            if let Some(e) = edits.peek() {
                if e.original.start == original_byte {
                    let width = e.replacement.chars().count();
                    if column < rewritten_col + width {
                        return original[line_start..original_byte].chars().count() + 1;
                    }
                    rewritten_col += width;
                    original_byte = e.original.end;
                    edits.next();
                    continue;
                }
            }
            if rewritten_col == column {
                break;
            }
            let c = original[original_byte..].chars().next().expect("inside the line");
            original_byte += c.len_utf8();
            rewritten_col += 1;
        }
        original[line_start..original_byte.min(line_end)].chars().count() + 1
    }
}

impl DerivedViews {
    pub fn iter(&self) -> impl Iterator<Item = &DerivedView> {
        self.views.iter()
    }

    pub fn get(&self, name: &str) -> Option<&DerivedView> {
        self.views.iter().find(|v| v.name == name)
    }

    pub fn clear(&mut self) {
        self.views.clear();
    }

    /// Views whose readings were noted and are still current.
    pub fn noted(&self) -> impl Iterator<Item = &DerivedView> {
        self.views.iter().filter(|v| v.noted)
    }

    /// The noted views whose expressions name a name `code` (as it will
    /// run, views expanded) names: those the cell may change.
    pub fn touched_by(&self, code: &str) -> Vec<String> {
        let named = identifiers(code);
        self.noted().filter(|v| !identifiers(&v.expression).is_disjoint(&named)).map(|v| v.name.clone()).collect()
    }

    /// Statements that note the views `names` again, placed after `code`'s
    /// last statement or before its final expression, on the same line: a
    /// cell that may change an owner notes its views as it leaves them.
    /// `None` when `code` has no statement to place them after.
    pub fn renoting(&self, code: &str, names: &[String]) -> Option<Edit> {
        let block = syntax::statements(code).ok()?;
        let at = match block.stmts.last()? {
            last @ (Stmt::Expr(_, None) | Stmt::Macro(syn::StmtMacro { semi_token: None, .. })) => {
                syntax::in_statements(syntax::byte_range(last)).start
            }
            last => syntax::in_statements(syntax::byte_range(last)).end,
        };
        let notes: String = names
            .iter()
            .filter_map(|name| self.get(name))
            .map(|v| format!(" {NOTE_OPEN}{}{} ", v.expression.replace('\n', " "), note_close(&v.name)))
            .collect();
        (!notes.is_empty()).then(|| Edit::insert(at, &notes))
    }

    /// Forgets the notes of views that `code` (as run, views expanded) may
    /// have changed: those whose expressions name a name it names, but for
    /// the views in `derived`, which it noted itself.
    pub fn forget_notes_touched_by(&mut self, code: &str, derived: &[String]) {
        let named = identifiers(code);
        for view in self.views.iter_mut().filter(|v| v.noted && !derived.contains(&v.name)) {
            if !identifiers(&view.expression).is_disjoint(&named) {
                view.noted = false;
            }
        }
    }

    /// Forgets the notes of the views `names`.
    pub fn forget_notes(&mut self, names: &[String]) {
        for view in self.views.iter_mut().filter(|v| names.contains(&v.name)) {
            view.noted = false;
        }
    }

    /// Forgets views that `code` binds anew at its top level: the user's
    /// new `let v = ...` replaces the remembered one.
    pub fn forget_rebound(&mut self, code: &str) {
        let bound = top_level_lets(code).into_iter().map(|l| l.name).collect::<Vec<_>>();
        self.views.retain(|v| !bound.contains(&v.name));
    }

    /// `code` with each use of a remembered view replaced by its expression.
    pub fn expand(&self, code: &str) -> Rewritten {
        self.expand_with(code, Vec::new())
    }

    /// [`DerivedViews::expand`], with `more` edits of `code` made too.
    pub fn expand_with(&self, code: &str, mut more: Vec<Edit>) -> Rewritten {
        if self.views.is_empty() && more.is_empty() {
            return Rewritten::unchanged(code);
        }
        if let Ok(tokens) = syntax::lexes(code) {
            self.collect_uses(tokens, None, &mut more);
        }
        Rewritten::apply(code, more)
    }

    /// Finds the uses of remembered views in `tokens`, the cell or a group
    /// in it (`outer` holds the names its enclosing blocks bind). As in
    /// Rust, a `let` of the same name inside a block is the block's own
    /// value from the end of its statement on, and the name a `for` binds
    /// is its own in the loop's body. A `let` at the top of the cell
    /// replaces the view itself ([`DerivedViews::forget_rebound`],
    /// [`DerivedViews::adopt`]).
    fn collect_uses(&self, tokens: TokenStream, outer: Option<&[String]>, edits: &mut Vec<Edit>) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let in_block = outer.is_some();
        let mut shadowed = outer.unwrap_or_default().to_vec();
        // A `let`'s name, in scope once its statement ends; a `for`'s, in
        // the body that follows.
        let mut binding: Option<String> = None;
        let mut loop_variable: Option<String> = None;
        for (i, tree) in trees.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| &trees[p]);
            let after = |keywords: &[&str]| matches!(previous, Some(TokenTree::Ident(k)) if keywords.contains(&k.to_string().as_str()));
            match tree {
                TokenTree::Group(group) => {
                    let mut inner = shadowed.clone();
                    if group.delimiter() == proc_macro2::Delimiter::Brace {
                        inner.extend(loop_variable.take());
                    }
                    self.collect_uses(group.stream(), Some(&inner), edits);
                }
                TokenTree::Punct(p) if p.as_char() == ';' => shadowed.extend(binding.take()),
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let Some(view) = self.get(&name) else { continue };
                    if after(&["let", "mut"]) && in_block {
                        binding = Some(name.clone());
                    }
                    if after(&["for"]) {
                        loop_variable = Some(name.clone());
                    }
                    let next = trees.get(i + 1);
                    let after_dot_or_path =
                        matches!(previous, Some(TokenTree::Punct(p)) if p.as_char() == '.' || p.as_char() == ':');
                    let binds = after(&["let", "mut", "ref", "fn", "struct", "enum", "mod", "use", "type", "for"]);
                    let path_or_macro = matches!(next, Some(TokenTree::Punct(p)) if (p.as_char() == ':' && p.spacing() == proc_macro2::Spacing::Joint) || p.as_char() == '!');
                    if after_dot_or_path || binds || path_or_macro || shadowed.contains(&name) {
                        continue;
                    }
                    edits.push(Edit {
                        original: ident.span().byte_range(),
                        replacement: format!("({})", view.expression),
                    });
                }
                _ => {}
            }
        }
    }

    /// After the engine refused to keep `names` (they borrow), remembers
    /// each one's `let` as a derived view and returns the cell with those
    /// statements made as `adoption` says, and later uses expanded. `None`
    /// when some name was not bound by a plain `let NAME = EXPR;` at the top
    /// of the cell.
    pub fn adopt(&mut self, code: &str, names: &[String], adoption: Adoption) -> Option<Rewritten> {
        let lets = top_level_lets(code);
        let mut adopted = Vec::new();
        for name in names {
            let found = lets.iter().rev().find(|l| &l.name == name)?;
            adopted.push(found.clone());
        }
        let mut without_lets = code.as_bytes().to_vec();
        for l in &adopted {
            without_lets[l.statement.clone()].fill(b' ');
        }
        // Whole statements were blanked: still UTF-8.
        let without_lets = String::from_utf8(without_lets).expect("statements end at character boundaries");
        // Each view's expression may use views remembered before it.
        let mut edits = Vec::new();
        for l in &adopted {
            let expression = self.expand(&code[l.init.clone()]).code.trim().to_string();
            // A later statement of the cell, other than one deriving a view,
            // may change what was noted.
            let later = &without_lets[l.statement.end..];
            let noted = adoption == Adoption::Noted && identifiers(&expression).is_disjoint(&identifiers(later));
            self.views.retain(|v| v.name != l.name);
            self.views.push(DerivedView { name: l.name.clone(), expression, noted });
            match adoption {
                Adoption::Noted => {
                    edits.push(Edit { original: l.statement.start..l.init.start, replacement: NOTE_OPEN.into() });
                    edits.push(Edit { original: l.init.end..l.statement.end, replacement: note_close(&l.name) });
                }
                Adoption::Blanked => {
                    // Keep line breaks, so that lines stay put.
                    let blank: String =
                        code[l.statement.clone()].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
                    edits.push(Edit { original: l.statement.clone(), replacement: blank });
                }
            }
        }
        let mut uses = Vec::new();
        if let Ok(tokens) = syntax::lexes(code) {
            self.collect_uses(tokens, None, &mut uses);
        }
        // Uses inside the blanked statements vanish with them.
        uses.retain(|u| {
            !edits.iter().any(|e| e.original.start <= u.original.start && u.original.end <= e.original.end)
        });
        edits.extend(uses);
        Some(Rewritten::apply(code, edits))
    }
}

/// Every identifier in `code`, at any depth.
fn identifiers(code: &str) -> BTreeSet<String> {
    fn collect(tokens: TokenStream, into: &mut BTreeSet<String>) {
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) => {
                    into.insert(ident.to_string());
                }
                TokenTree::Group(group) => collect(group.stream(), into),
                _ => {}
            }
        }
    }
    let mut found = BTreeSet::new();
    if let Ok(tokens) = syntax::lexes(code) {
        collect(tokens, &mut found);
    }
    found
}

#[derive(Clone, Debug)]
struct TopLevelLet {
    name: String,
    statement: Range<usize>,
    init: Range<usize>,
}

/// `let NAME = EXPR;` statements at the top of `code`, with byte ranges.
fn top_level_lets(code: &str) -> Vec<TopLevelLet> {
    let Ok(block) = syntax::statements(code) else {
        return Vec::new();
    };
    let mut lets = Vec::new();
    for stmt in &block.stmts {
        let Stmt::Local(local) = stmt else { continue };
        let ident = match &local.pat {
            Pat::Ident(p) => &p.ident,
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(p) => &p.ident,
                _ => continue,
            },
            _ => continue,
        };
        let Some(init) = &local.init else { continue };
        if init.diverge.is_some() {
            continue;
        }
        let start = local.let_token.span.byte_range().start;
        let end = local.semi_token.span.byte_range().end;
        lets.push(TopLevelLet {
            name: ident.to_string(),
            statement: syntax::in_statements(start..end),
            init: syntax::in_statements(syntax::byte_range(&init.expr)),
        });
    }
    lets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adopted(code: &str, names: &[&str]) -> (DerivedViews, Rewritten) {
        let mut views = DerivedViews::default();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let rewritten = views.adopt(code, &names, Adoption::Blanked).expect("the lets are found");
        (views, rewritten)
    }

    #[test]
    fn a_borrowing_let_is_remembered_and_removed() {
        let (views, rewritten) = adopted("let v = m.t();\nv.len()", &["v"]);
        assert_eq!(views.get("v").unwrap().expression, "m.t()");
        assert_eq!(rewritten.code, "              \n(m.t()).len()");
    }

    #[test]
    fn the_defining_cell_notes_its_views_until_an_owner_is_named() {
        let mut views = DerivedViews::default();
        let cell = "let v = m.t();\nlet r = m.row(0);\nv.len()";
        let rewritten = views.adopt(cell, &["v".into(), "r".into()], Adoption::Noted).unwrap();
        let lines: Vec<&str> = rewritten.code.lines().collect();
        assert!(
            lines[0].contains("Noted(&(m.t()))).note(\"v\")") && lines[1].contains("Noted(&(m.row(0)))"),
            "{}",
            rewritten.code
        );
        assert_eq!(lines[2], "(m.t()).len()");
        assert_eq!(views.noted().count(), 2);
        views.forget_notes_touched_by("let n = 3;", &[]);
        assert_eq!(views.noted().count(), 2);
        assert_eq!(views.touched_by("m.fill(1.0);"), vec!["v", "r"]);
        let renoting = views.renoting("m.fill(1.0);\nm.sum()", &["v".into()]).unwrap();
        let renoted = Rewritten::apply("m.fill(1.0);\nm.sum()", vec![renoting]).code;
        assert!(renoted.starts_with("m.fill(1.0);\n {") && renoted.ends_with(".note(\"v\"); } m.sum()"), "{renoted}");
        views.forget_notes_touched_by("m.fill(1.0);", &[]);
        assert_eq!(views.noted().count(), 0);
        // A statement after the `let` that names the owner may change the view.
        views.adopt("let w = m.t();\nm[[0, 0]] = 2.0;", &["w".into()], Adoption::Noted).unwrap();
        assert!(!views.get("w").unwrap().noted);
    }

    #[test]
    fn later_cells_derive_the_view_again() {
        let (views, _) = adopted("let v = m.t();", &["v"]);
        let r = views.expand("%layout m, v");
        assert_eq!(r.code, "%layout m, (m.t())");
        // Fields, methods, paths, macros and new bindings are not uses.
        assert_eq!(views.expand("x.v + v::C + v!() + w(v)").code, "x.v + v::C + v!() + w((m.t()))");
        assert_eq!(views.expand("let v = 3;").code, "let v = 3;");
        assert_eq!(views.expand("{ [v] }").code, "{ [(m.t())] }");
    }

    #[test]
    fn a_name_a_block_binds_again_is_the_blocks_own() {
        let (views, _) = adopted("let v = m.t();", &["v"]);
        let cell = "{\n    let v = |s: isize| s * 2;\n    v(1)\n}\nv.len()";
        assert_eq!(views.expand(cell).code, "{\n    let v = |s: isize| s * 2;\n    v(1)\n}\n(m.t()).len()");
        // The initialiser still reads the view: the new name is in scope after it.
        assert_eq!(views.expand("{ let v = v.sum(); v }").code, "{ let v = (m.t()).sum(); v }");
        assert_eq!(views.expand("for v in 0..3 { f(v) }").code, "for v in 0..3 { f(v) }");
    }

    #[test]
    fn views_of_views_are_expanded_down_to_owners() {
        let (mut views, _) = adopted("let v = m.t();", &["v"]);
        let names = vec!["w".to_string()];
        views.adopt("let w = v.row(0);", &names, Adoption::Blanked).unwrap();
        assert_eq!(views.get("w").unwrap().expression, "(m.t()).row(0)");
    }

    #[test]
    fn rebinding_forgets() {
        let (mut views, _) = adopted("let v = m.t();", &["v"]);
        views.forget_rebound("let v = Array1::<f64>::zeros(3);");
        assert!(views.get("v").is_none());
    }

    #[test]
    fn columns_map_back_through_edits() {
        let (views, _) = adopted("let v = m.t();", &["v"]);
        let original = "let x = v.foo() + bar;";
        let r = views.expand(original);
        assert_eq!(r.code, "let x = (m.t()).foo() + bar;");
        // `bar` is at column 25 rewritten and 19 originally.
        assert_eq!(r.original_column(original, 1, 25), 19);
        // Inside the replacement maps to the start of `v`.
        assert_eq!(r.original_column(original, 1, 11), 9);
        assert_eq!(r.original_column(original, 1, 3), 3);
    }

    #[test]
    fn a_let_that_is_not_plain_is_not_adopted() {
        let mut views = DerivedViews::default();
        assert!(views.adopt("let (a, b) = (m.t(), 1);", &["a".into()], Adoption::Noted).is_none());
    }
}
