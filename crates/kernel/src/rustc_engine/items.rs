//! Items that persist across cells: `fn`, `struct`, `enum`, `trait`,
//! `impl`, `use`, `mod`, `macro_rules!`, `const`, `static`, `type`.
//!
//! Every cell is compiled as a crate of the same name and metadata, with
//! every item kept so far in it: a user's type is then the same type, with
//! the same `TypeId`, in every cell, and a value made in one cell is read
//! in the next. An item replaces the kept item of the same name, in place
//! (a macro must stay above its uses); an `impl` goes with the named item
//! before it in its cell (a `struct` and its `impl` are redefined
//! together), or, alone in a cell, replaces the `impl` of the same trait
//! for the same type; a `use` is kept per name it imports, so that a later
//! `use` of the same name replaces it instead of clashing.
//!
//! A type redefined with other text is a new type under an old name: the
//! variables of the old one are dropped rather than read with another
//! layout (see [`Items::redefined`]).

use std::collections::BTreeSet;
use std::ops::Range;

use quote::{quote, ToTokens};
use syn::visit::Visit;
use syn::{Item, UseTree};

use crate::syntax;

/// How a kept item is found again when a later cell defines it anew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A named item: `fn f`, `struct S`, `macro_rules! m`, `mod m` ...
    Named(String),
    /// A name a `use` brings in (`_` imports and globs by their path).
    Import(String),
    /// An `impl` alone in its cell: `impl Trait for Type` or `impl Type`.
    Impl(String),
    /// The `index`th `impl` after the named item `owner` in its cell.
    Attached { owner: String, index: usize },
}

/// An item of the cell being compiled.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub key: Key,
    /// Its bytes in the cell's code.
    pub range: Range<usize>,
    /// The text to compile when it is not the code's bytes (one name of a
    /// `use` that imports several).
    pub text: Option<String>,
    /// The types it defines at the crate's root, by name (a `mod` counts as
    /// defining everything under its name).
    pub defines: Vec<String>,
}

impl NewItem {
    pub fn text<'a>(&'a self, code: &'a str) -> &'a str {
        self.text.as_deref().unwrap_or(&code[self.range.clone()])
    }
}

/// An item kept from an earlier cell.
#[derive(Clone, Debug)]
pub struct KeptItem {
    pub key: Key,
    pub text: String,
    pub defines: Vec<String>,
}

impl KeptItem {
    /// How the user would name it, for an error inside it.
    pub fn describe(&self) -> String {
        match &self.key {
            Key::Named(name) => format!("`{name}`"),
            Key::Import(name) => format!("the `use` of `{name}`"),
            Key::Impl(signature) => format!("`{signature}`"),
            Key::Attached { owner, .. } => format!("an `impl` defined with `{owner}`"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Items {
    kept: Vec<KeptItem>,
}

impl Items {
    pub fn kept(&self) -> &[KeptItem] {
        &self.kept
    }

    /// The kept items with `new` in their places: what a cell with these
    /// items is compiled with. The new items are `Err(index into new)`.
    pub fn merged<'a>(&'a self, new: &'a [NewItem]) -> Vec<Result<&'a KeptItem, usize>> {
        let mut merged: Vec<Result<&KeptItem, usize>> = Vec::new();
        let mut placed = vec![false; new.len()];
        let replaced = |key: &Key| match key {
            Key::Attached { owner, .. } => new.iter().any(|n| n.key == Key::Named(owner.clone())),
            key => new.iter().any(|n| &n.key == key),
        };
        for kept in &self.kept {
            if !replaced(&kept.key) {
                merged.push(Ok(kept));
                continue;
            }
            // A named item is redefined where it stood, with what goes with it.
            if let Key::Named(owner) = &kept.key {
                for (index, item) in new.iter().enumerate() {
                    let goes_with = match &item.key {
                        Key::Attached { owner: o, .. } => o == owner,
                        key => key == &kept.key,
                    };
                    if goes_with && !placed[index] {
                        placed[index] = true;
                        merged.push(Err(index));
                    }
                }
            } else if let Some(index) = new.iter().position(|n| n.key == kept.key) {
                if !placed[index] {
                    placed[index] = true;
                    merged.push(Err(index));
                }
            }
        }
        merged.extend((0..new.len()).filter(|&i| !placed[i]).map(Err));
        merged
    }

    /// The type names `new` redefines with other text than they were kept
    /// with: variables of those types can no longer be read.
    pub fn redefined(&self, new: &[NewItem], code: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for item in new {
            if let Some(kept) = self.kept.iter().find(|k| k.key == item.key) {
                if normalised(&kept.text) != normalised(item.text(code)) {
                    names.extend(kept.defines.iter().cloned());
                }
            }
        }
        names
    }

    /// Keeps `new` for the cells after this one.
    pub fn commit(&mut self, new: &[NewItem], code: &str) {
        let merged: Vec<KeptItem> = self
            .merged(new)
            .into_iter()
            .map(|item| match item {
                Ok(kept) => kept.clone(),
                Err(index) => {
                    let item = &new[index];
                    KeptItem { key: item.key.clone(), text: item.text(code).to_string(), defines: item.defines.clone() }
                }
            })
            .collect();
        self.kept = merged;
    }

    pub fn clear(&mut self) {
        self.kept.clear();
    }
}

/// Text compared token by token, so that spacing does not count as a change.
fn normalised(text: &str) -> String {
    syntax::lexes(text).map(|t| t.to_string()).unwrap_or_else(|_| text.to_string())
}

/// The kept items `item` makes; a `use` makes one per name it imports.
pub fn from_syn(item: &Item, code: &str) -> Vec<NewItem> {
    let range = syntax::in_statements(syntax::byte_range(item));
    let named = |name: &syn::Ident, defines: bool| {
        let name = name.to_string();
        vec![NewItem {
            key: Key::Named(name.clone()),
            range: range.clone(),
            text: None,
            defines: if defines { vec![name] } else { Vec::new() },
        }]
    };
    match item {
        Item::Struct(i) => named(&i.ident, true),
        Item::Enum(i) => named(&i.ident, true),
        Item::Union(i) => named(&i.ident, true),
        Item::Trait(i) => named(&i.ident, true),
        Item::TraitAlias(i) => named(&i.ident, true),
        Item::Type(i) => named(&i.ident, true),
        Item::Mod(i) => named(&i.ident, true),
        Item::Fn(i) => named(&i.sig.ident, false),
        Item::Const(i) => named(&i.ident, false),
        Item::Static(i) => named(&i.ident, false),
        Item::ExternCrate(i) => named(i.rename.as_ref().map_or(&i.ident, |(_, r)| r), false),
        Item::Macro(i) => match &i.ident {
            Some(ident) => named(ident, false),
            None => anonymous(range, code),
        },
        Item::Impl(i) => {
            let trait_part = i.trait_.as_ref().map(|(bang, path, _)| format!("{} for ", quote!(#bang #path)));
            let signature = format!("impl {}{}", trait_part.unwrap_or_default(), i.self_ty.to_token_stream());
            vec![NewItem { key: Key::Impl(signature), range, text: None, defines: Vec::new() }]
        }
        Item::Use(u) => {
            let mut leaves = Vec::new();
            flatten(&u.tree, &mut Vec::new(), &mut leaves);
            let (attrs, vis, colon) = (&u.attrs, &u.vis, &u.leading_colon);
            leaves
                .into_iter()
                .map(|(key, tree)| NewItem {
                    key: Key::Import(key),
                    range: range.clone(),
                    text: Some(quote!(#(#attrs)* #vis use #colon #tree;).to_string()),
                    defines: Vec::new(),
                })
                .collect()
        }
        _ => anonymous(range, code),
    }
}

/// An item with no name to find it by: kept by its text.
fn anonymous(range: Range<usize>, code: &str) -> Vec<NewItem> {
    let key = Key::Impl(normalised(&code[range.clone()]));
    vec![NewItem { key, range, text: None, defines: Vec::new() }]
}

/// The leaves of a `use` tree, each as (key, a tree importing only it).
fn flatten(tree: &UseTree, prefix: &mut Vec<syn::Ident>, out: &mut Vec<(String, proc_macro2::TokenStream)>) {
    let path = |prefix: &[syn::Ident]| quote!(#(#prefix ::)*);
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.clone());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Group(g) => g.items.iter().for_each(|t| flatten(t, prefix, out)),
        UseTree::Name(n) if n.ident == "self" => {
            if let Some((last, rest)) = prefix.split_last() {
                let rest = path(rest);
                out.push((last.to_string(), quote!(#rest #last)));
            }
        }
        UseTree::Name(n) => {
            let (p, ident) = (path(prefix), &n.ident);
            out.push((n.ident.to_string(), quote!(#p #ident)));
        }
        UseTree::Rename(r) => {
            let (p, ident, rename) = (path(prefix), &r.ident, &r.rename);
            let key = if rename == "_" { quote!(#p #ident as _).to_string() } else { rename.to_string() };
            out.push((key, quote!(#p #ident as #rename)));
        }
        UseTree::Glob(_) => {
            let p = path(prefix);
            out.push((quote!(#p *).to_string(), quote!(#p *)));
        }
    }
}

/// Gives each `impl` that follows a named item in its cell to that item, so
/// that they are redefined together.
/// The functions and methods among `items` (their source texts) whose
/// return type is or holds an `impl Trait`: a value they return is of an
/// opaque type, which Rust lets no code outside them name.
pub fn returning_opaque<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    #[derive(Default)]
    struct Opaque {
        found: bool,
    }
    impl<'ast> Visit<'ast> for Opaque {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.found = true;
        }
    }
    #[derive(Default)]
    struct Functions {
        names: BTreeSet<String>,
    }
    impl<'ast> Visit<'ast> for Functions {
        fn visit_signature(&mut self, signature: &'ast syn::Signature) {
            if let syn::ReturnType::Type(_, ty) = &signature.output {
                let mut opaque = Opaque::default();
                opaque.visit_type(ty);
                if opaque.found {
                    self.names.insert(signature.ident.to_string());
                }
            }
        }
    }
    let mut functions = Functions::default();
    for text in items {
        if let Ok(item) = syn::parse_str::<Item>(text) {
            functions.visit_item(&item);
        }
    }
    functions.names
}

pub fn attach_impls(items: &mut [NewItem]) {
    let mut owner: Option<String> = None;
    let mut index = 0;
    for item in items.iter_mut() {
        match &item.key {
            Key::Named(name) => {
                owner = Some(name.clone());
                index = 0;
            }
            Key::Impl(_) if item.text.is_none() => {
                if let Some(owner) = &owner {
                    item.key = Key::Attached { owner: owner.clone(), index };
                    index += 1;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The items of `code`, as the cell's analysis finds them.
    fn items(code: &str) -> Vec<NewItem> {
        let block = syntax::statements(code).unwrap();
        let mut found: Vec<NewItem> = block
            .stmts
            .iter()
            .flat_map(|stmt| match stmt {
                syn::Stmt::Item(item) => from_syn(item, code),
                _ => Vec::new(),
            })
            .collect();
        attach_impls(&mut found);
        found
    }

    fn keys(code: &str) -> Vec<Key> {
        items(code).into_iter().map(|i| i.key).collect()
    }

    #[test]
    fn functions_returning_impl_trait_are_found() {
        let code = "fn make() -> impl Bar { 1 }\nfn plain() -> i32 { 1 }\nfn pair() -> (impl Bar, u8) { (1, 2) }\n\
                    impl S { fn it(&self) -> impl Iterator<Item = u8> { None.into_iter() } fn arg(x: impl Bar) {} }";
        let texts: Vec<String> = items(code).iter().map(|i| i.text(code).to_string()).collect();
        let found = returning_opaque(texts.iter().map(String::as_str));
        assert_eq!(found, BTreeSet::from(["make".to_string(), "pair".into(), "it".into()]));
    }

    #[test]
    fn uses_are_kept_per_name() {
        let code = "use std::collections::{HashMap, BTreeMap as Tree, hash_map::*};\nuse std::io::Write as _;";
        let found = items(code);
        let shown: Vec<(String, String)> =
            found.iter().map(|i| (format!("{:?}", i.key), i.text(code).to_string())).collect();
        assert_eq!(shown[0], ("Import(\"HashMap\")".into(), "use std :: collections :: HashMap ;".into()));
        assert_eq!(shown[1], ("Import(\"Tree\")".into(), "use std :: collections :: BTreeMap as Tree ;".into()));
        assert_eq!(shown[2].1, "use std :: collections :: hash_map :: * ;");
        assert_eq!(shown[3].0, "Import(\"std :: io :: Write as _\")");
    }

    #[test]
    fn an_impl_goes_with_the_item_before_it() {
        assert_eq!(
            keys("struct S;\nimpl S { fn f() {} }\nimpl Clone for S { fn clone(&self) -> S { S } }"),
            vec![
                Key::Named("S".into()),
                Key::Attached { owner: "S".into(), index: 0 },
                Key::Attached { owner: "S".into(), index: 1 }
            ]
        );
        assert_eq!(keys("impl std::fmt::Display for S {}"), vec![Key::Impl("impl std :: fmt :: Display for S".into())]);
    }

    #[test]
    fn a_redefinition_replaces_in_place_and_names_changed_types() {
        let mut kept = Items::default();
        let first =
            "macro_rules! m { () => { 1 } }\nstruct P { x: i32 }\nimpl P { fn one() {} }\nfn f() -> i32 { m!() }";
        kept.commit(&items(first), first);
        let again = "struct P { x: i64 }\nimpl P { fn two() {} }";
        let new = items(again);
        assert_eq!(kept.redefined(&new, again), BTreeSet::from(["P".to_string()]));
        kept.commit(&new, again);
        let texts: Vec<&str> = kept.kept().iter().map(|k| k.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "macro_rules! m { () => { 1 } }",
                "struct P { x: i64 }",
                "impl P { fn two() {} }",
                "fn f() -> i32 { m!() }"
            ]
        );
        // The same text again redefines nothing.
        assert!(kept.redefined(&items(again), again).is_empty());
    }
}
