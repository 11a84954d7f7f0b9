//! Naming a variable's type so that a later cell can load it.
//!
//! A cell stores each variable it binds with `std::any::type_name`, taken in
//! the cell's own compile, so no analyser has to run: the name is exact, but
//! written with the paths where types are *defined*, through private
//! modules (`ndarray::data_repr::OwnedRepr`, `core::ops::range::Range`).
//! Each path is replaced by a public one ([`paths`](super::paths)); a type
//! of the cells themselves (`ndlens_cell::Point`) is `crate::Point`. What
//! has no name (a closure, a function item) is refused with a message that
//! says what to do instead.
//!
//! Naming is best effort, as `type_name` is documented to be; what makes it
//! safe is that loading checks the value's `TypeId` before taking it, so a
//! wrong name is a clear error, never a value read as another type.

use syn::visit_mut::VisitMut;

use super::compiler::CELL_CRATE;
use super::paths::PublicPaths;

/// Why a variable's type cannot be named in a later cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unnameable {
    /// A closure, an async block: the compiler gives them no name.
    Closure,
    /// A function item: `let g = foo;`.
    FunctionItem(String),
    /// A type defined by a path with no public equivalent.
    Private(String),
    /// `type_name` gave something that is not a Rust type.
    Unreadable,
    /// The value a function returned as `impl Trait`: its type is opaque
    /// outside the function, whatever `type_name` says it is.
    Opaque(String),
}

impl Unnameable {
    /// What the user reads when variable `name` of type `type_name` is not
    /// kept for this reason.
    pub fn message(&self, name: &str, type_name: &str) -> String {
        match self {
            Unnameable::Closure => format!(
                "`{name}` is a closure, which cannot be kept for later cells: its type has no name to load it by. \
                 Box it, as in `let {name}: Box<dyn Fn(i32) -> i32> = Box::new(|x| x + 1);`, or use it within \
                 one cell (inside braces, it is not kept at all)."
            ),
            Unnameable::FunctionItem(function) => format!(
                "`{name}` is the function `{function}` itself, whose type has no name. Keep it as a function \
                 pointer, as in `let {name}: fn(i32) -> i32 = {function};`, or call `{function}` directly."
            ),
            Unnameable::Private(path) => format!(
                "`{name}` has type `{type_name}`, which a later cell cannot name: `{path}` has no public path. \
                 Give `{name}` a type annotation with a public type, or keep it within one cell (inside braces)."
            ),
            Unnameable::Opaque(function) => format!(
                "`{name}` holds what `{function}` returns as `impl Trait`, which cannot be kept for later cells: \
                 its type is opaque, and Rust lets no code outside `{function}` name it. Use it within this cell, \
                 or have `{function}` return a named type or a `Box<dyn Trait>`."
            ),
            Unnameable::Unreadable => format!(
                "`{name}` has type `{type_name}`, which this kernel cannot write as Rust. Give it a type \
                 annotation, or keep it within one cell (inside braces)."
            ),
        }
    }
}

/// The type `type_name` as a later cell writes it. `is_cell_type` says
/// whether a path under the cells' crate names a type (a `struct`, an
/// `enum`, a `mod` ...) rather than a function.
pub fn name(
    type_name: &str,
    is_cell_type: &dyn Fn(&str) -> bool,
    paths: &mut PublicPaths,
) -> Result<String, Unnameable> {
    if type_name.contains("{{") || type_name.contains("{closure") {
        return Err(Unnameable::Closure);
    }
    let mut ty: syn::Type = syn::parse_str(type_name).map_err(|_| Unnameable::Unreadable)?;
    let mut external = Vec::new();
    collect_paths(&mut ty, &mut external);
    // Every path outside the cells is resolved in one go: one probe at most.
    let unknown: Vec<String> =
        external.iter().filter(|p| !p.starts_with(&format!("{CELL_CRATE}::"))).cloned().collect();
    paths.resolve_all(&unknown);
    let mut renamer = Renamer { is_cell_type, paths, failure: None };
    renamer.visit_type_mut(&mut ty);
    if let Some(failure) = renamer.failure {
        return Err(failure);
    }
    Ok(quote::ToTokens::to_token_stream(&ty).to_string())
}

/// The `a::b::C` paths (two segments or more) of `ty`, without their
/// generic arguments.
fn collect_paths(ty: &mut syn::Type, out: &mut Vec<String>) {
    struct Collector<'a>(&'a mut Vec<String>);
    impl VisitMut for Collector<'_> {
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            if path.segments.len() > 1 {
                self.0.push(plain(path));
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    Collector(out).visit_type_mut(ty);
}

/// A path's segments without their arguments: `a::b::C`.
fn plain(path: &syn::Path) -> String {
    path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

struct Renamer<'a> {
    is_cell_type: &'a dyn Fn(&str) -> bool,
    paths: &'a mut PublicPaths,
    failure: Option<Unnameable>,
}

impl VisitMut for Renamer<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        syn::visit_mut::visit_path_mut(self, path);
        if path.segments.len() < 2 || self.failure.is_some() {
            return;
        }
        let defined = plain(path);
        let public = match defined.strip_prefix(&format!("{CELL_CRATE}::")) {
            Some(local) if (self.is_cell_type)(local) => format!("crate::{local}"),
            Some(local) => {
                self.failure = Some(Unnameable::FunctionItem(local.to_string()));
                return;
            }
            None => match self.paths.resolve(&defined) {
                Some(public) => public,
                None => {
                    self.failure = Some(Unnameable::Private(defined));
                    return;
                }
            },
        };
        let arguments = path.segments.last().map(|s| s.arguments.clone()).unwrap_or_default();
        let Ok(mut renamed) = syn::parse_str::<syn::Path>(&public) else {
            self.failure = Some(Unnameable::Unreadable);
            return;
        };
        if let Some(last) = renamed.segments.last_mut() {
            last.arguments = arguments;
        }
        renamed.leading_colon = path.leading_colon;
        *path = renamed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(type_name: &str, paths: &mut PublicPaths) -> Result<String, Unnameable> {
        name(type_name, &|local| local == "Point" || local.starts_with("shapes::"), paths)
    }

    #[test]
    fn private_paths_become_public_ones_and_arguments_stay() {
        let mut paths = PublicPaths::known([
            ("ndarray::ArrayBase", "ndarray::ArrayBase"),
            ("ndarray::data_repr::OwnedRepr", "ndarray::OwnedRepr"),
            ("ndarray::dimension::dim::Dim", "ndarray::Dim"),
        ]);
        let array =
            "ndarray::ArrayBase<ndarray::data_repr::OwnedRepr<f64>, ndarray::dimension::dim::Dim<[usize; 2]>, f64>";
        assert_eq!(
            named(array, &mut paths).unwrap(),
            "ndarray :: ArrayBase < ndarray :: OwnedRepr < f64 > , ndarray :: Dim < [usize ; 2] > , f64 >"
        );
        assert_eq!(named("(i32, &str, [u8; 3])", &mut paths).unwrap(), "(i32 , & str , [u8 ; 3])");
    }

    #[test]
    fn the_cells_own_types_are_the_crates() {
        let mut paths = PublicPaths::known([("alloc::vec::Vec", "std::vec::Vec")]);
        assert_eq!(
            named("alloc::vec::Vec<ndlens_cell::Point>", &mut paths).unwrap(),
            "std :: vec :: Vec < crate :: Point >"
        );
        assert_eq!(named("ndlens_cell::shapes::Square", &mut paths).unwrap(), "crate :: shapes :: Square");
    }

    #[test]
    fn what_has_no_name_is_refused() {
        let mut paths = PublicPaths::known([]);
        assert_eq!(named("ndlens_cell::__ndlens_body::{{closure}}", &mut paths), Err(Unnameable::Closure));
        assert_eq!(named("ndlens_cell::double", &mut paths), Err(Unnameable::FunctionItem("double".into())));
        assert!(Unnameable::Closure.message("f", "").contains("Box<dyn Fn"));
    }
}
