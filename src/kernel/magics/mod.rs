//! The magics: `%aid`, `%shares`, `%timeit`, `%time`, `%layout`, `%whos`,
//! `%lsmagic`, and the cell forms `%%timeit` and `%%time`.
//!
//! A magic is parsed once, here, into a [`Magic`] value; everything after
//! (the code generated for it, the way its output is shown) works from that
//! value. A parse error names the magic and shows its usage.

mod args;
pub mod codegen;
pub mod timeit;

use std::fmt;

pub use args::Expression;
pub use timeit::TimeitOptions;

/// One parsed magic.
#[derive(Clone, Debug, PartialEq)]
pub enum Magic {
    /// `%aid EXPR`: the address of the first element.
    Aid(Expression),
    /// `%shares A, B`: whether two arrays share memory.
    Shares(Expression, Expression),
    /// `%layout A[, B ...]`: the memory-layout diagram.
    Layout(Vec<Expression>),
    /// `%timeit` and `%%timeit`: IPython's timing of a statement.
    Timeit { options: TimeitOptions, setup: String, body: String },
    /// `%time` and `%%time`: one run, wall time.
    Time { body: String },
    /// `%whos`: the session's variables.
    Whos,
    /// `%lsmagic`: the magics, one line each.
    Lsmagic,
}

/// A part of a cell: a cell is Rust code and line magics in order, or one
/// cell magic.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Rust code, with the line of the cell it starts on (from 1).
    Rust {
        code: String,
        first_line: usize,
    },
    Magic(Magic),
}

/// A magic that could not be parsed: which one, why, and how to use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicError {
    pub magic: String,
    pub problem: String,
    pub usage: Option<&'static str>,
}

impl fmt::Display for MagicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.magic, self.problem)?;
        if let Some(usage) = self.usage {
            write!(f, "\nusage: {usage}")?;
        }
        Ok(())
    }
}

impl std::error::Error for MagicError {}

/// Name, usage and one line of help for every magic, for `%lsmagic`,
/// completion and error messages.
pub const MAGICS: &[(&str, &str, &str)] = &[
    ("%aid", "%aid EXPR", "the address of an array's first element, as the recipe's aid()"),
    ("%shares", "%shares A, B", "whether two arrays share memory (exact), and the first shared element"),
    ("%layout", "%layout A[, B ...]", "the memory-layout diagram of one or more arrays"),
    (
        "%timeit",
        "%timeit [-n N] [-r R] [-q] [-o] STATEMENT",
        "time a statement, compiled optimised, as IPython's %timeit",
    ),
    (
        "%%timeit",
        "%%timeit [-n N] [-r R] [-q] [-o] [SETUP]",
        "time the cell's body; SETUP runs before each run, untimed",
    ),
    ("%time", "%time STATEMENT", "run a statement once and print its wall time"),
    ("%%time", "%%time", "run the cell once and print its wall time"),
    ("%whos", "%whos", "the session's variables, their types, and for arrays their layout"),
    ("%lsmagic", "%lsmagic", "this list"),
];

pub fn usage(name: &str) -> Option<&'static str> {
    MAGICS.iter().find(|(n, _, _)| *n == name).map(|(_, usage, _)| *usage)
}

/// The text `%lsmagic` prints.
pub fn lsmagic() -> String {
    let width = MAGICS.iter().map(|(_, usage, _)| usage.len()).max().unwrap_or(0);
    let mut out = String::from("Magics (arguments are Rust expressions over the session's variables):\n");
    for (_, usage, help) in MAGICS {
        out.push_str(&format!("  {usage:<width$}  {help}\n"));
    }
    out.push_str(
        "\nevcxr's own commands (:dep, :vars, :opt, :clear, :help ...) work as in evcxr.\n\
         Views across cells: `let v = m.t();` is remembered as `m.t()` and re-derived from `m`\n\
         each time `v` is used, so `v` always views the current `m`. In NumPy a view keeps\n\
         the old buffer alive when its owner is reassigned; here it follows the new owner.\n",
    );
    out
}

fn error(magic: &str, problem: impl Into<String>) -> MagicError {
    MagicError { magic: magic.to_string(), problem: problem.into(), usage: usage(magic) }
}

/// Splits a cell into Rust code and magics, to run in order.
pub fn parse_cell(cell: &str) -> Result<Vec<Piece>, MagicError> {
    if let Some(rest) = cell.trim_start().strip_prefix("%%") {
        let (first, body) = rest.split_once('\n').unwrap_or((rest, ""));
        let (name, args) = split_name(first);
        let magic = parse_cell_magic(name, args, body)?;
        return Ok(vec![Piece::Magic(magic)]);
    }
    let mut pieces = Vec::new();
    let mut code = String::new();
    let mut code_start = 1;
    for (number, line) in cell.lines().enumerate() {
        match line.trim_start().strip_prefix('%') {
            Some(magic_line) => {
                if !code.trim().is_empty() {
                    pieces.push(Piece::Rust { code: std::mem::take(&mut code), first_line: code_start });
                }
                code.clear();
                let (name, args) = split_name(magic_line);
                pieces.push(Piece::Magic(parse_line_magic(name, args)?));
                code_start = number + 2;
            }
            None => {
                code.push_str(line);
                code.push('\n');
            }
        }
    }
    if !code.trim().is_empty() {
        pieces.push(Piece::Rust { code, first_line: code_start });
    }
    Ok(pieces)
}

fn split_name(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    }
}

fn parse_line_magic(name: &str, args: &str) -> Result<Magic, MagicError> {
    let magic = format!("%{name}");
    let m = magic.as_str();
    match name {
        "aid" => match args::expressions(m, args)?.as_slice() {
            [one] => Ok(Magic::Aid(one.clone())),
            [] => Err(error(m, "which array? It needs one expression")),
            more => Err(error(m, format!("takes one expression, got {}", more.len()))),
        },
        "shares" => match args::expressions(m, args)?.as_slice() {
            [a, b] => Ok(Magic::Shares(a.clone(), b.clone())),
            got => Err(error(m, format!("takes two arrays, got {}", got.len()))),
        },
        "layout" => match args::expressions(m, args)? {
            list if list.is_empty() => Err(error(m, "which arrays? It needs at least one expression")),
            list => Ok(Magic::Layout(list)),
        },
        "timeit" => {
            let (options, statement) = timeit::parse_options(m, args)?;
            if statement.trim().is_empty() {
                return Err(error(m, "what to time? It needs a statement"));
            }
            args::check_statements(m, statement)?;
            Ok(Magic::Timeit { options, setup: String::new(), body: statement.to_string() })
        }
        "time" => {
            if args.trim().is_empty() {
                return Err(error(m, "what to time? It needs a statement"));
            }
            args::check_statements(m, args)?;
            Ok(Magic::Time { body: args.to_string() })
        }
        "whos" | "lsmagic" if !args.is_empty() => Err(error(m, "takes no arguments")),
        "whos" => Ok(Magic::Whos),
        "lsmagic" => Ok(Magic::Lsmagic),
        _ => Err(unknown(&magic)),
    }
}

fn parse_cell_magic(name: &str, args: &str, body: &str) -> Result<Magic, MagicError> {
    let magic = format!("%%{name}");
    let m = magic.as_str();
    match name {
        "timeit" => {
            let (options, setup) = timeit::parse_options(m, args)?;
            if body.trim().is_empty() {
                return Err(error(m, "the cell has nothing to time: put the statements under the first line"));
            }
            args::check_statements(m, setup)?;
            args::check_statements(m, body)?;
            Ok(Magic::Timeit { options, setup: setup.to_string(), body: body.to_string() })
        }
        "time" => {
            if !args.is_empty() {
                return Err(error(m, "takes no arguments on its first line"));
            }
            args::check_statements(m, body)?;
            Ok(Magic::Time { body: body.to_string() })
        }
        _ => Err(unknown(&magic)),
    }
}

fn unknown(magic: &str) -> MagicError {
    let known: Vec<&str> = MAGICS.iter().map(|(name, _, _)| *name).collect();
    MagicError {
        magic: magic.to_string(),
        problem: format!("no such magic; the magics are {}", known.join(", ")),
        usage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only_magic(cell: &str) -> Result<Magic, MagicError> {
        let mut pieces = parse_cell(cell)?;
        match (pieces.len(), pieces.pop()) {
            (1, Some(Piece::Magic(m))) => Ok(m),
            other => panic!("expected one magic, got {other:?}"),
        }
    }

    fn sources(list: &[Expression]) -> Vec<&str> {
        list.iter().map(|e| e.source.as_str()).collect()
    }

    #[test]
    fn arguments_split_at_top_level_commas_only() {
        match only_magic("%layout a, a.slice(s![1.., ..;2]), HashMap::<u8, u8>::new()").unwrap() {
            Magic::Layout(list) => {
                assert_eq!(sources(&list), vec!["a", "a.slice(s![1.., ..;2])", "HashMap::<u8, u8>::new()"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_names_may_be_separated_by_spaces() {
        assert_eq!(only_magic("%shares a b").unwrap(), Magic::Shares(Expression::new("a"), Expression::new("b")));
        assert!(only_magic("%shares a.t() b").is_err());
    }

    #[test]
    fn mistakes_name_the_magic_and_show_its_usage() {
        let e = only_magic("%shares a").unwrap_err();
        assert_eq!(e.to_string(), "%shares: takes two arrays, got 1\nusage: %shares A, B");
        let e = only_magic("%aid").unwrap_err();
        assert!(e.to_string().starts_with("%aid: which array?"));
        let e = only_magic("%layout a, (b").unwrap_err();
        assert!(e.to_string().starts_with("%layout: `a, (b` is not a list of Rust expressions"), "{e}");
        let e = only_magic("%nosuch x").unwrap_err();
        assert!(e.to_string().starts_with("%nosuch: no such magic; the magics are %aid, %shares"));
        let e = only_magic("%%timeit\n").unwrap_err();
        assert!(e.to_string().contains("nothing to time"));
    }

    #[test]
    fn line_magics_interleave_with_code() {
        let cell = "let a = 1;\n%aid a\nlet b = 2;\n";
        assert_eq!(
            parse_cell(cell).unwrap(),
            vec![
                Piece::Rust { code: "let a = 1;\n".into(), first_line: 1 },
                Piece::Magic(Magic::Aid(Expression::new("a"))),
                Piece::Rust { code: "let b = 2;\n".into(), first_line: 3 },
            ]
        );
    }

    #[test]
    fn cell_timeit_takes_setup_on_its_first_line() {
        let m = only_magic("%%timeit -n 100 let mut a = Array1::<f64>::zeros(10);\na *= 2.0;\n").unwrap();
        match m {
            Magic::Timeit { options, setup, body } => {
                assert_eq!(options.loops, Some(100));
                assert_eq!(setup, "let mut a = Array1::<f64>::zeros(10);");
                assert_eq!(body, "a *= 2.0;\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whos_and_lsmagic_take_nothing() {
        assert_eq!(only_magic("%whos").unwrap(), Magic::Whos);
        assert!(only_magic("%whos x").is_err());
        assert!(lsmagic().contains("%timeit [-n N] [-r R] [-q] [-o] STATEMENT"));
    }
}
