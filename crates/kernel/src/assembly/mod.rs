//! Reading the compiler's assembly listing: the functions in it, which
//! call which, and the source line each instruction comes from; the room
//! `%asm` reads and renders machine code in.
//!
//! A cell's generic code (ndarray's `sum` for `f64`, its `zip_mut_with`) is
//! instantiated in the cell's own crate, so a function of the cell often
//! is a few instructions and a `call` or `jmp` into them. A [`Listing`]
//! therefore follows calls: [`Listing::reachable`] gives the functions asked
//! for and every function of the listing they call, directly or not.
//!
//! The listing is LLVM's (`--emit asm`), in Intel syntax on x86-64:
//! directives start with `.`, labels end with `:`, `#` starts a comment,
//! `.file` and `.loc` come from the line tables. Like Compiler Explorer by
//! default, only instructions and the labels something jumps to are kept.

pub mod arithmetic;
pub mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One line kept from a function's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A label something jumps to.
    Label(String),
    Instruction(Instruction),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub mnemonic: String,
    pub operands: String,
    /// The source line it comes from: the `.file` number and the line.
    pub at: Option<(u32, u32)>,
}

/// A function of the listing.
#[derive(Clone, Debug)]
pub struct Function {
    /// Its symbol, as the listing spells it (mangled).
    pub symbol: String,
    /// Its path, demangled, without the hash: `ndarray::...::sum`.
    pub name: String,
    pub lines: Vec<Line>,
}

/// The functions of one listing and the files its line tables name.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub functions: Vec<Function>,
    /// `.file` number → path.
    pub files: BTreeMap<u32, String>,
}

/// `symbol` demangled, without the hash; other names as they are.
pub fn demangle(symbol: &str) -> String {
    match rustc_demangle::try_demangle(symbol) {
        Ok(demangled) => format!("{demangled:#}"),
        Err(_) => symbol.to_string(),
    }
}

/// The names an operand mentions: symbols and labels, without relocation
/// suffixes (`@PLT`, `@GOTPCREL`).
fn names_in(operands: &str) -> impl Iterator<Item = &str> {
    operands
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$' | '@')))
        .map(|token| token.split('@').next().unwrap_or(token))
        .filter(|token| token.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '.'))
}

/// The quoted strings of a directive's arguments.
fn quoted(text: &str) -> Vec<&str> {
    text.split('"').skip(1).step_by(2).collect()
}

impl Listing {
    pub fn parse(text: &str) -> Listing {
        let mut listing = Listing::default();
        let mut function_symbols: BTreeSet<&str> = BTreeSet::new();
        let mut current: Option<Function> = None;
        let mut at: Option<(u32, u32)> = None;
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim_end();
            if line.is_empty() {
                continue;
            }
            if !line.starts_with(char::is_whitespace) {
                // A label, at the start of its line.
                let Some(label) = line.strip_suffix(':') else { continue };
                if function_symbols.contains(label) {
                    listing.functions.extend(current.take());
                    current = Some(Function { symbol: label.to_string(), name: demangle(label), lines: Vec::new() });
                    at = None;
                } else if label.starts_with(".Lfunc_end") {
                    listing.functions.extend(current.take());
                } else if let Some(function) = &mut current {
                    function.lines.push(Line::Label(label.to_string()));
                }
                continue;
            }
            let line = line.trim();
            let (head, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            match head {
                ".type" => {
                    if let Some((symbol, "@function")) = rest.split_once(',') {
                        function_symbols.insert(symbol.trim());
                    }
                }
                ".file" => {
                    let number = rest.split_whitespace().next().and_then(|n| n.parse::<u32>().ok());
                    if let Some(number) = number {
                        let path = match quoted(rest)[..] {
                            [directory, name, ..] if !name.starts_with('/') && !directory.is_empty() => {
                                format!("{}/{name}", directory.trim_end_matches('/'))
                            }
                            [_, name, ..] | [name] => name.to_string(),
                            [] => continue,
                        };
                        listing.files.insert(number, path);
                    }
                }
                ".loc" => {
                    let mut numbers = rest.split_whitespace().map(|n| n.parse::<u32>().ok());
                    if let (Some(Some(file)), Some(Some(line))) = (numbers.next(), numbers.next()) {
                        // Line 0: code the compiler made up, of no line.
                        at = (line > 0).then_some((file, line));
                    }
                }
                _ if head.starts_with('.') => {}
                _ => {
                    if let Some(function) = &mut current {
                        function.lines.push(Line::Instruction(Instruction {
                            mnemonic: head.to_string(),
                            operands: rest.to_string(),
                            at,
                        }));
                    }
                }
            }
        }
        listing.functions.extend(current.take());
        for function in &mut listing.functions {
            function.drop_unused_labels();
        }
        listing
    }

    /// The functions whose demangled paths are `roots` (or end with
    /// `::root`), then every function of the listing they call or jump
    /// to, in the order first reached.
    pub fn reachable(&self, roots: &[String]) -> Vec<&Function> {
        let by_symbol: HashMap<&str, &Function> = self.functions.iter().map(|f| (f.symbol.as_str(), f)).collect();
        let mut queue: Vec<&Function> = roots
            .iter()
            .flat_map(|root| {
                let suffix = format!("::{root}");
                self.functions.iter().filter(move |f| f.name == *root || f.name.ends_with(&suffix))
            })
            .collect();
        let mut seen: BTreeSet<&str> = queue.iter().map(|f| f.symbol.as_str()).collect();
        let mut reached = Vec::new();
        let mut next = 0;
        while next < queue.len() {
            let function = queue[next];
            next += 1;
            reached.push(function);
            for callee in function.callees() {
                if let Some(&found) = by_symbol.get(callee) {
                    if seen.insert(found.symbol.as_str()) {
                        queue.push(found);
                    }
                }
            }
        }
        reached
    }
}

impl Function {
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.lines.iter().filter_map(|line| match line {
            Line::Instruction(instruction) => Some(instruction),
            Line::Label(_) => None,
        })
    }

    /// The symbols its calls and jumps name (labels too).
    fn callees(&self) -> impl Iterator<Item = &str> {
        self.instructions()
            .filter(|i| i.mnemonic == "call" || i.mnemonic.starts_with('j'))
            .flat_map(|i| names_in(&i.operands))
    }

    fn drop_unused_labels(&mut self) {
        let used: BTreeSet<String> = self
            .instructions()
            .flat_map(|i| names_in(&i.operands))
            .filter(|name| name.starts_with(".L"))
            .map(str::to_string)
            .collect();
        self.lines.retain(|line| match line {
            Line::Label(label) => used.contains(label),
            Line::Instruction(_) => true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing as rustc writes one, cut down: a cell function that jumps
    /// into a generic instantiation, and one nothing calls.
    pub(crate) const LISTING: &str = r#"	.text
	.intel_syntax noprefix
	.file	"ndlens_cell.abc-cgu.0"
	.section	.text._ZN11ndlens_cell6double17h0123456789abcdefE,"ax",@progbits
	.p2align	4
	.type	_ZN11ndlens_cell6double17h0123456789abcdefE,@function
_ZN11ndlens_cell6double17h0123456789abcdefE:
.Lfunc_begin0:
	.file	1 "" "cell-abc.rs"
	.loc	1 3 0
	.cfi_startproc
	test	rsi, rsi
	je	.LBB0_2
.Ltmp0:
	.loc	1 4 9 prologue_end
	jmp	_ZN7ndarray3sum17h9a3f2c7d1e5b8a04E
.LBB0_2:
	ret
.Lfunc_end0:
	.size	_ZN11ndlens_cell6double17h0123456789abcdefE, .Lfunc_end0-_ZN11ndlens_cell6double17h0123456789abcdefE
	.cfi_endproc
	.type	_ZN7ndarray3sum17h9a3f2c7d1e5b8a04E,@function
_ZN7ndarray3sum17h9a3f2c7d1e5b8a04E:
.Lfunc_begin1:
	.file	2 "/home/u/.cargo/registry/src/index/ndarray-0.17.2/src" "numeric/impl_numeric.rs"
	.loc	2 45 5
	addpd	xmm0, xmmword ptr [rdi]               # packed, as LLVM comments it
	addsd	xmm1, qword ptr [rdi + 16]
	call	qword ptr [rip + _ZN4core9panicking5panic17hc4e1a9b3f7d20586E@GOTPCREL]
	ret
.Lfunc_end1:
	.type	_ZN11ndlens_cell6unused17h5d8e2f1a0b9c3e47E,@function
_ZN11ndlens_cell6unused17h5d8e2f1a0b9c3e47E:
	ret
.Lfunc_end2:
"#;

    #[test]
    fn functions_lines_and_files() {
        let listing = Listing::parse(LISTING);
        let names: Vec<&str> = listing.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ndlens_cell::double", "ndarray::sum", "ndlens_cell::unused"]);
        let double = &listing.functions[0];
        // `.Ltmp0` is no jump's target; `.LBB0_2` is.
        assert_eq!(double.lines.iter().filter(|l| matches!(l, Line::Label(_))).count(), 1);
        let jump = double.instructions().nth(2).unwrap();
        assert_eq!((jump.mnemonic.as_str(), jump.at), ("jmp", Some((1, 4))));
        assert_eq!(listing.files[&1], "cell-abc.rs");
        assert_eq!(listing.files[&2], "/home/u/.cargo/registry/src/index/ndarray-0.17.2/src/numeric/impl_numeric.rs");
        assert_eq!(listing.functions[1].instructions().next().unwrap().operands, "xmm0, xmmword ptr [rdi]");
    }

    #[test]
    fn calls_are_followed_into_generic_code() {
        let listing = Listing::parse(LISTING);
        let reached: Vec<&str> = listing.reachable(&["double".into()]).iter().map(|f| f.name.as_str()).collect();
        assert_eq!(reached, ["ndlens_cell::double", "ndarray::sum"]);
        assert!(listing.reachable(&["nosuch".into()]).is_empty());
    }
}
