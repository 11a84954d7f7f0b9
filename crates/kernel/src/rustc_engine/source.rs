//! The crate a cell is compiled into, and where each of its bytes came
//! from.
//!
//! ```text
//! extern crate ndlens_session as _;     the session libraries, linked once
//! <items kept from earlier cells>
//! <this cell's items>
//! fn __ndlens_body(cell: &Cell) -> Result<(), CellError> {
//!     <check then take the session variables the cell names>
//!     let mut statements = Some(|| -> Result<(), CellError> {
//!         <the cell's statements, its items blanked out>
//!         <its final expression, shown>
//!         <the variables its top level bound, stored>
//!         Ok(())
//!     });
//!     let outcome = catch(&mut || statements.take()...());   (a panic stops here)
//!     drop(statements);
//!     <the variables it only borrowed, stored back>
//!     outcome
//! }
//! #[no_mangle] pub unsafe extern "C" fn ndlens_cell_main(...) -> u32
//! ```
//!
//! (See [`ndlens_runtime::cell`] for why the statements run in a closure,
//! and why a cell that loads nothing has them in the body itself.)
//! The cell's own text is copied byte for byte, so that the compiler's
//! positions map back to the user's line and column through [`SourceMap`];
//! each piece the kernel wrote is tagged with what it does, so that an
//! error there says which variable could not be kept, and why.

use std::fmt::Write;
use std::ops::Range;

use super::analysis::Binding;
use super::items::{Items, NewItem};

/// A session variable a cell loads.
#[derive(Clone, Debug)]
pub struct Load {
    pub name: String,
    /// The type as Rust source ([`super::types`]).
    pub ty: String,
    pub mutable: bool,
    /// Whether the cell's top level binds the name anew: the new value is
    /// stored, not the old one.
    pub rebound: bool,
}

/// Where a byte of the generated crate came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The cell's code, from this byte on.
    Cell(usize),
    /// A `use` of the cell rewritten to import one name: all of it stands
    /// for the cell's byte here.
    CellAt(usize),
    /// An item kept from an earlier cell (index into the kept items).
    Kept(usize),
    /// Loading a session variable.
    Load(String),
    /// Storing a variable the cell bound.
    Store(String),
    /// Storing back a variable the cell loaded.
    Restore(String),
    /// Showing the final expression's value.
    Show,
    /// The rest of the kernel's code.
    Generated,
}

/// The generated crate's text, and the origin of each range of it.
#[derive(Debug, Default)]
pub struct CellSource {
    pub text: String,
    pieces: Vec<(Range<usize>, Origin)>,
}

impl CellSource {
    fn push(&mut self, text: &str, origin: Origin) {
        let start = self.text.len();
        self.text.push_str(text);
        self.pieces.push((start..self.text.len(), origin));
    }

    /// The origin of byte `at` of the generated text, and for the cell's
    /// own bytes, the byte of the cell it was copied from.
    pub fn origin(&self, at: usize) -> (&Origin, Option<usize>) {
        let index = self.pieces.partition_point(|(range, _)| range.end <= at).min(self.pieces.len().saturating_sub(1));
        let Some((range, origin)) = self.pieces.get(index) else { return (&Origin::Generated, None) };
        let in_cell = match origin {
            Origin::Cell(start) => Some(start + (at - range.start)),
            Origin::CellAt(start) => Some(*start),
            _ => None,
        };
        (origin, in_cell)
    }
}

/// What a cell's crate is made of.
pub struct Cell<'a> {
    pub code: &'a str,
    /// `None` when the code does not parse: it is then compiled as
    /// statements, for the compiler to say what is wrong.
    pub items: Option<&'a [NewItem]>,
    pub final_expression: Option<Range<usize>>,
    pub bindings: &'a [Binding],
    pub loads: &'a [Load],
}

/// The crate for `cell`, with `kept` items from earlier cells.
pub fn generate(cell: &Cell, kept: &Items) -> CellSource {
    let mut source = CellSource::default();
    source.push("extern crate ndlens_session as _;\n", Origin::Generated);
    let new = cell.items.unwrap_or(&[]);
    let kept_items = kept.kept();
    for item in kept.merged(new) {
        match item {
            Ok(kept) => {
                let index = kept_items.iter().position(|k| std::ptr::eq(k, kept)).expect("one of the kept items");
                source.push(&kept.text, Origin::Kept(index));
            }
            Err(index) => {
                let item = &new[index];
                match &item.text {
                    None => source.push(&cell.code[item.range.clone()], Origin::Cell(item.range.start)),
                    Some(text) => source.push(text, Origin::CellAt(item.range.start)),
                }
            }
        }
        source.push("\n", Origin::Generated);
    }

    source.push(
        "fn __ndlens_body(__ndlens_cell: &::ndlens_runtime::cell::Cell<'_>) \
         -> ::core::result::Result<(), ::ndlens_runtime::cell::CellError> {\n",
        Origin::Generated,
    );
    for load in cell.loads {
        source
            .push(&format!("__ndlens_cell.check::<{}>({:?})?;\n", load.ty, load.name), Origin::Load(load.name.clone()));
    }
    for load in cell.loads {
        let binding = if load.mutable { "mut " } else { "" };
        let take = format!("let {binding}{}: {} = __ndlens_cell.take({:?});\n", load.name, load.ty, load.name);
        source.push(&take, Origin::Load(load.name.clone()));
    }
    // With nothing loaded there is nothing to give back after a panic: the
    // statements need no closure and no catch of their own (5 ms a cell).
    let caught = !cell.loads.is_empty();
    if caught {
        source.push(
            "let mut __ndlens_statements = ::core::option::Option::Some(|| -> ::core::result::Result<(), ::ndlens_runtime::cell::CellError> {\n",
            Origin::Generated,
        );
    }
    push_statements(&mut source, cell, new);
    source.push(";\n", Origin::Generated);
    for binding in cell.bindings {
        let store = format!("__ndlens_cell.put({:?}, {}, {});\n", binding.name, binding.name, binding.mutable);
        source.push(&store, Origin::Store(binding.name.clone()));
    }
    if !caught {
        source.push("::core::result::Result::Ok(())\n}\n", Origin::Generated);
        push_entry_point(&mut source);
        return source;
    }
    source.push(
        "::core::result::Result::Ok(())\n});\n\
         let __ndlens_outcome = ::ndlens_runtime::cell::catch(&mut || match __ndlens_statements.take() {\n\
             ::core::option::Option::Some(mut statements) => statements(),\n\
             ::core::option::Option::None => ::core::result::Result::Ok(()),\n\
         });\n\
         ::core::mem::drop(__ndlens_statements);\n",
        Origin::Generated,
    );
    for load in cell.loads.iter().filter(|l| !l.rebound) {
        let restore = format!("__ndlens_cell.put({:?}, {}, {});\n", load.name, load.name, load.mutable);
        source.push(&restore, Origin::Restore(load.name.clone()));
    }
    source.push("__ndlens_outcome\n}\n", Origin::Generated);
    push_entry_point(&mut source);
    source
}

fn push_entry_point(source: &mut CellSource) {
    source.push(
        "#[no_mangle]\n\
         pub unsafe extern \"C\" fn ndlens_cell_main(host: *const ::ndlens_runtime::host::Host) -> u32 {\n    \
             unsafe { ::ndlens_runtime::cell::run(host, __ndlens_body) }\n\
         }\n",
        Origin::Generated,
    );
}

/// The cell's code with its items blanked out (they stand above, in the
/// crate), byte for byte, and its final expression shown.
fn push_statements(source: &mut CellSource, cell: &Cell, items: &[NewItem]) {
    let code = cell.code;
    let mut statements = code.as_bytes().to_vec();
    for item in items {
        for byte in &mut statements[item.range.clone()] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    // Whole characters were blanked (a multi-byte one becomes as many
    // spaces as it had bytes), so this is still UTF-8.
    let statements = String::from_utf8(statements).expect("blanking keeps UTF-8");
    match &cell.final_expression {
        None => source.push(&statements, Origin::Cell(0)),
        Some(value) => {
            source.push(&statements[..value.start], Origin::Cell(0));
            source.push("{ let __ndlens_value = &(", Origin::Show);
            source.push(&statements[value.clone()], Origin::Cell(value.start));
            source.push(");\n", Origin::Show);
            let mut show = String::new();
            let _ =
                write!(show, "{{ use ::ndlens_runtime::show::ShowDebug as _; __ndlens_value.evcxr_display(); }} }}");
            source.push(&show, Origin::Show);
            source.push(&statements[value.end..], Origin::Cell(value.end));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::analysis::Analysis;
    use super::*;

    fn generated(code: &str, loads: &[Load]) -> CellSource {
        let analysis = Analysis::of(code).unwrap();
        let cell = Cell {
            code,
            items: Some(&analysis.items),
            final_expression: analysis.final_expression.clone(),
            bindings: &analysis.bindings,
            loads,
        };
        generate(&cell, &Items::default())
    }

    #[test]
    fn the_cells_bytes_map_back_to_it() {
        let code = "let b = a.len();\nfn f() {}\nb + 1";
        let loads = [Load { name: "a".into(), ty: "Vec<u8>".into(), mutable: false, rebound: false }];
        let source = generated(code, &loads);
        let text = &source.text;
        assert!(text.contains("__ndlens_cell.check::<Vec<u8>>(\"a\")?;"), "{text}");
        assert!(text.contains("let a: Vec<u8> = __ndlens_cell.take(\"a\");"), "{text}");
        assert!(text.contains("__ndlens_cell.put(\"b\", b, false);"), "{text}");
        assert!(text.contains("__ndlens_cell.put(\"a\", a, false);"), "{text}");
        assert!(text.contains("\nfn f() {}\n"), "the item is at the crate's top: {text}");
        // `len` in the statement maps back to its byte in the cell.
        let at = text.find("a.len()").unwrap() + 2;
        assert_eq!(source.origin(at), (&Origin::Cell(0), Some(code.find("len").unwrap())));
        let shown = text.find("b + 1").unwrap();
        assert_eq!(source.origin(shown).1, Some(code.find("b + 1").unwrap()));
        let store = text.find("__ndlens_cell.put(\"b\"").unwrap();
        assert_eq!(source.origin(store), (&Origin::Store("b".into()), None));
    }

    #[test]
    fn a_rebound_variable_is_not_stored_back() {
        let loads = [Load { name: "a".into(), ty: "i32".into(), mutable: false, rebound: true }];
        let source = generated("let a = a + 1;", &loads);
        assert_eq!(source.text.matches("put(\"a\"").count(), 1, "{}", source.text);
    }
}
