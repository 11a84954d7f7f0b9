//! `%asm EXPR` and `%%asm`: the machine code the cells' compiler makes of
//! an expression or of the cell's functions, with the generic code they
//! call (ndarray's `sum` for `f64` is compiled into the cell's own crate),
//! packed and scalar arithmetic marked ([`crate::assembly`]).
//!
//! The code is compiled as a cell is, with the session's flags
//! (`%checks`, `:opt`) and its items, into one codegen unit so that the
//! listing is one file; nothing runs. An expression becomes the body of a
//! function that takes the variables it names by reference.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::assembly::render::{self, Sources};
use crate::assembly::Listing;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::engine::{Assembly, AssemblyOf};
use crate::outcome::{CellOutcome, ErrorReport};

pub struct Asm;

static USAGES: [Usage; 2] = [
    Usage {
        name: "%asm",
        synopsis: "%asm EXPRESSION",
        help: "the machine code of an expression, compiled as the cells are, with the generic code it calls",
    },
    Usage {
        name: "%%asm",
        synopsis: "%%asm (a cell of functions under it)",
        help: "the machine code of the cell's functions, compiled as the cells are, with the generic code they call",
    },
];

impl Directive for Asm {
    fn usages(&self) -> &'static [Usage] {
        &USAGES
    }

    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if usage.name == "%asm" {
            let expression = args.trim();
            if expression.is_empty() {
                return Err(usage.error("which expression? `%asm a.row(0).sum()` shows the code that sums a row"));
            }
            syn::parse_str::<syn::Expr>(expression)
                .map_err(|e| usage.error(format!("`{expression}` is not a Rust expression: {e}")))?;
            return Ok(Box::new(AsmOf { usage, code: expression.to_string(), functions: Vec::new() }));
        }
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments: the functions go in the cell, under `%%asm`"));
        }
        let functions = match syn::parse_file(body) {
            Ok(file) => shown_functions(&file).map_err(|problem| usage.error(problem))?,
            // The compiler will say what is wrong, at its place.
            Err(_) => Vec::new(),
        };
        Ok(Box::new(AsmOf { usage, code: body.to_string(), functions }))
    }
}

/// The cell's functions that have machine code of their own: those with
/// no type or const parameters (a generic function is compiled only where
/// it is used, for the types it is used with).
fn shown_functions(file: &syn::File) -> Result<Vec<String>, String> {
    let mut generic = Vec::new();
    let mut functions = Vec::new();
    for item in &file.items {
        if let syn::Item::Fn(function) = item {
            let name = function.sig.ident.to_string();
            let typed = function.sig.generics.params.iter().any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
            if typed {
                generic.push(name)
            } else {
                functions.push(name)
            }
        }
    }
    if functions.is_empty() {
        let mut problem =
            "the cell has no function to show: write one, as `fn double(x: &mut [f64]) { ... }`".to_string();
        if !generic.is_empty() {
            problem.push_str(&format!(
                "; `{}` is generic, and generic code is compiled only where it is used: call it from a plain function",
                generic.join("`, `")
            ));
        }
        return Err(problem);
    }
    Ok(functions)
}

#[derive(Debug)]
struct AsmOf {
    usage: &'static Usage,
    code: String,
    /// For `%%asm`, the functions shown; empty for `%asm`.
    functions: Vec<String>,
}

/// Where `rust-src` puts the standard library's sources; asked of rustc
/// once per kernel.
fn standard_library() -> Option<PathBuf> {
    static FOLDER: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOLDER
        .get_or_init(|| {
            let sysroot = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
            let sysroot = String::from_utf8(sysroot.stdout).ok()?;
            Some(PathBuf::from(sysroot.trim()).join("lib/rustlib/src/rust/library"))
        })
        .clone()
}

impl Invocation for AsmOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        let (of, roots, subject) = match self.usage.name {
            "%asm" => {
                (AssemblyOf::Expression(&self.code), vec![Assembly::EXPRESSION.to_string()], "the expression does not")
            }
            _ => (
                AssemblyOf::Items { code: &self.code, functions: &self.functions },
                self.functions.clone(),
                "the cell does not",
            ),
        };
        let optimization = session.engine().optimization();
        let assembly = match session.assembly(of) {
            Ok(assembly) => assembly,
            Err(evaluation) => {
                return CellOutcome::from_evaluation(evaluation, "", |d| self.usage.compile_error(subject, d));
            }
        };
        let listing = Listing::parse(&assembly.listing);
        let functions = listing.reachable(&roots);
        if functions.is_empty() {
            return CellOutcome::error(ErrorReport::new(
                "AsmError",
                format!("{}: the compiler kept no function of {}", self.usage.name, roots.join(", ")),
                vec!["a function the compiler inlined everywhere and never called has no code of its own".into()],
            ));
        }
        let mut sources = Sources::new(&assembly.file, &assembly.source, standard_library());
        let heading = format!(
            "Machine code at opt-level {optimization}, as the cells are compiled (one codegen unit): {} function{}, \
             with what {} call{}.",
            roots.len(),
            if roots.len() == 1 { "" } else { "s" },
            if roots.len() == 1 { "it" } else { "they" },
            if roots.len() == 1 { "s" } else { "" },
        );
        let text = format!("{heading}\n\n{}", render::text(&functions, &listing.files, &mut sources));
        let html = format!("<p>{heading}</p>{}", render::html(&functions, &listing.files, &mut sources));
        CellOutcome::value(BTreeMap::from([("text/plain".to_string(), text), ("text/html".to_string(), html)]))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;

    #[test]
    fn cells_without_a_function_are_told_what_to_write() {
        assert!(only_magic("%asm").unwrap_err().to_string().contains("which expression?"));
        assert!(only_magic("%asm a +").unwrap_err().to_string().contains("is not a Rust expression"));
        let none = only_magic("%%asm\nconst N: usize = 3;").unwrap_err().to_string();
        assert!(none.contains("no function to show"), "{none}");
        let generic = only_magic("%%asm\nfn twice<T: Copy>(x: T) -> (T, T) { (x, x) }").unwrap_err().to_string();
        assert!(generic.contains("`twice` is generic"), "{generic}");
        let shown = only_magic("%%asm\nfn double(x: &mut [f64]) {}\nfn keep<'a>(x: &'a u8) -> &'a u8 { x }").unwrap();
        assert!(shown.contains("[\"double\", \"keep\"]"), "{shown}");
        assert!(only_magic("%%asm x\nfn f() {}").unwrap_err().to_string().contains("takes no arguments"));
    }
}
