//! `%allocs STATEMENT` and `%%allocs`: what a statement allocated, counted
//! at the allocator of the session's process, so that "did that copy?" has
//! an exact answer: a copy is an allocation of the array's size, a view or
//! an in-place operation none.
//!
//! The statements run at the top level of the cell between
//! `ndlens_runtime::allocs::begin()` and `end()`, as `%time`'s do, so that
//! their `let` bindings stay in the session and a final expression stays
//! the cell's value; the count is the whole process's while they run
//! ([`ndlens_runtime::allocs`]). A panic ends the count as its report
//! starts; a panic message with arguments (`panic!("{n}")`) is formatted
//! before that, and counts as the statement's last allocation.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Stmt};

use super::timing::thousands;
use crate::directive::args;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, STATEMENT};
use ndlens_runtime::allocs::{Allocs as Figures, Report};
use ndlens_runtime::content::ALLOCS_MIME;

use crate::engine::output::Event;
use crate::outcome::CellOutcome;
use crate::session::Failure;
use crate::syntax;

pub struct Allocs;

static USAGES: [Usage; 2] = [
    Usage {
        name: "%allocs",
        synopsis: "%allocs [-q] [-o] STATEMENT",
        help: "run a statement once and count what it allocates: did it copy?",
    },
    Usage { name: "%%allocs", synopsis: "%%allocs [-q] [-o]", help: "run the cell once and count what it allocates" },
];

/// The flags, for completion.
const FLAGS: [&str; 2] = ["-q", "-o"];

impl Directive for Allocs {
    fn usages(&self) -> &'static [Usage] {
        &USAGES
    }

    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let (options, rest) = parse_options(args);
        let body = if usage.name.starts_with("%%") {
            if !rest.trim().is_empty() {
                return Err(usage.error(format!("takes only -q and -o on its first line, not `{}`", rest.trim())));
            }
            if body.trim().is_empty() {
                return Err(usage.error("the cell has nothing to count: put the statements under the first line"));
            }
            body
        } else {
            if rest.trim().is_empty() {
                return Err(usage.error("what to count? It needs a statement"));
            }
            rest
        };
        args::check_statements(usage, body)?;
        let code = code(body).map_err(|e| usage.error(format!("the statement is not Rust: {e}")))?;
        Ok(Box::new(AllocsCall { usage, options, code }))
    }

    fn complete_argument(&self, word: &str) -> Vec<&'static str> {
        if !word.starts_with('-') {
            return Vec::new();
        }
        FLAGS.into_iter().filter(|flag| flag.starts_with(word)).collect()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Options {
    /// `-q`: print nothing.
    quiet: bool,
    /// `-o`: the figures are the cell's value.
    output: bool,
}

/// Reads leading `-q` and `-o` and returns the rest of the line; anything
/// else starts the statement (`%allocs -x` negates `x`).
fn parse_options(args: &str) -> (Options, &str) {
    let mut options = Options::default();
    let mut rest = args.trim_start();
    loop {
        let flag = rest.split(char::is_whitespace).next().unwrap_or("");
        match flag {
            "-q" => options.quiet = true,
            "-o" => options.output = true,
            _ => return (options, rest),
        }
        rest = rest[flag.len()..].trim_start();
    }
}

#[derive(Debug)]
struct AllocsCall {
    usage: &'static Usage,
    options: Options,
    code: String,
}

impl Invocation for AllocsCall {
    fn run(&self, Context { session, show, .. }: Context<'_>) -> CellOutcome {
        let mut evaluation = session.eval_generated_statements(&self.code);
        // A count is reported even when the statement panicked or was
        // interrupted: what it allocated until then.
        let report = evaluation.outputs.remove(ALLOCS_MIME).map(|json| serde_json::from_str::<Report>(&json));
        let ended = match &evaluation.failure {
            Some(Failure::Panic { message, .. }) if message == crate::session::interrupts::PANIC_MESSAGE => {
                "until the interrupt"
            }
            Some(Failure::Panic { .. }) => "until the panic",
            _ => "",
        };
        let mut outcome = CellOutcome::from_evaluation(evaluation, "", |d| self.usage.compile_error(STATEMENT, d));
        match report {
            Some(Ok(Report::Counted { figures, shown })) => {
                if !self.options.quiet {
                    let mut line = summary(&figures);
                    if !ended.is_empty() {
                        line = format!("{ended}: {line}");
                    }
                    show.send(Event::Stdout(line + "\n"));
                }
                if self.options.output && outcome.error.is_none() {
                    outcome.result = Some([("text/plain".to_string(), shown)].into());
                }
            }
            Some(Ok(Report::NotCounting(why))) => show.send(Event::Stderr(format!("{}: {why}\n", self.usage.name))),
            Some(Err(e)) => eprintln!("ndlens: an unreadable %allocs report: {e}"),
            None => {}
        }
        outcome
    }
}

/// One line: `1 allocation, 80,000,000 B (80.0 MB): still held` or
/// `no allocation`, with reallocations, frees and the peak when there were
/// any.
fn summary(figures: &Figures) -> String {
    let mut parts = Vec::new();
    if figures.allocations == 0 && figures.reallocations == 0 {
        parts.push("no allocation".to_string());
    } else {
        let mut made = plural(figures.allocations, "allocation");
        if figures.reallocations > 0 {
            made.push_str(&format!(" and {}", plural(figures.reallocations, "reallocation")));
        }
        made.push_str(&format!(", {}", bytes(figures.bytes)));
        let total_made = figures.allocations + figures.reallocations;
        if total_made > 1 && figures.largest < figures.bytes {
            made.push_str(&format!(", the largest {}", bytes(figures.largest)));
        }
        parts.push(made);
        let bound = if figures.overflowed { "at most " } else { "" };
        if figures.frees > 0 && figures.peak < figures.bytes {
            parts.push(format!(
                "{} freed, peak {bound}{} held at once",
                plural(figures.frees, "block"),
                bytes(figures.peak)
            ));
        } else if figures.frees > 0 {
            parts.push(format!("{} freed", plural(figures.frees, "block")));
        }
        parts.push(match figures.held {
            0 => "nothing held at the end".to_string(),
            held if held == figures.bytes => "all still held".to_string(),
            held => format!("{bound}{} still held", bytes(held)),
        });
    }
    if figures.earlier_frees > 0 {
        parts.push(format!(
            "{} made before freed ({})",
            plural(figures.earlier_frees, "block"),
            bytes(figures.earlier_bytes)
        ));
    }
    if figures.failed > 0 {
        parts.push(format!(
            "{} failed (the largest {})",
            plural(figures.failed, "request"),
            bytes(figures.failed_bytes)
        ));
    }
    parts.join("; ")
}

fn plural(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Exact bytes, with a decimal size beside when they are many:
/// `80,000,000 B (80.0 MB)`.
fn bytes(n: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    let exact = format!("{} B", thousands(n));
    match UNITS.iter().find(|(_, size)| n as f64 >= *size) {
        Some((unit, size)) => format!("{exact} ({:.1} {unit})", n as f64 / size),
        None => exact,
    }
}

/// A statement whose value is discarded (`Vec::<u8>::with_capacity(10);`)
/// with the value passed through `black_box`: the cells are compiled
/// optimised, and an allocation nothing reads would otherwise be removed,
/// so the count would not be of the statement as written.
fn kept_from_the_optimiser(stmt: Stmt) -> Stmt {
    match stmt {
        Stmt::Expr(
            expr @ (Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Binary(_)
            | Expr::Unary(_)
            | Expr::Index(_)
            | Expr::Field(_)
            | Expr::Path(_)
            | Expr::Reference(_)
            | Expr::Struct(_)
            | Expr::Array(_)
            | Expr::Repeat(_)
            | Expr::Tuple(_)
            | Expr::Cast(_)
            | Expr::Paren(_)),
            Some(semi),
        ) => Stmt::Expr(syn::parse_quote!(std::hint::black_box(#expr)), Some(semi)),
        other => other,
    }
}

fn code(body: &str) -> syn::Result<String> {
    let mut stmts = syntax::statements(body)?.stmts;
    let tail = match stmts.pop() {
        // A loop is a statement, not a value: `loop {}` with no `break`
        // has no type a `let` can take.
        Some(Stmt::Expr(expr @ (Expr::Loop(_) | Expr::ForLoop(_) | Expr::While(_)), None)) => {
            stmts.push(Stmt::Expr(expr, Some(Default::default())));
            None
        }
        Some(Stmt::Expr(expr, None)) => Some(expr),
        Some(other) => {
            stmts.push(other);
            None
        }
        None => None,
    };
    let stmts: Vec<Stmt> = stmts.into_iter().map(kept_from_the_optimiser).collect();
    // No leading `::`: evcxr reads a line that starts with `:` as a command.
    let end: TokenStream = quote!(ndlens_runtime::allocs::end(););
    let code = match tail {
        Some(expr) => quote! {
            ndlens_runtime::allocs::begin();
            #(#stmts)*
            { let __ndlens_value = #expr; #end __ndlens_value }
        },
        None => quote! {
            ndlens_runtime::allocs::begin();
            #(#stmts)*
            #end
        },
    };
    Ok(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;
    use super::*;

    #[test]
    fn copies_views_and_loops_read_at_a_glance() {
        let copy = Figures {
            allocations: 1,
            bytes: 80_000_000,
            peak: 80_000_000,
            held: 80_000_000,
            largest: 80_000_000,
            ..Figures::default()
        };
        assert_eq!(summary(&copy), "1 allocation, 80,000,000 B (80.0 MB); all still held");
        assert_eq!(summary(&Figures::default()), "no allocation");
        let temporary = Figures { frees: 1, held: 0, ..copy };
        assert_eq!(summary(&temporary), "1 allocation, 80,000,000 B (80.0 MB); 1 block freed; nothing held at the end");
        let looped = Figures { allocations: 10, frees: 10, bytes: 800, peak: 80, largest: 80, ..Figures::default() };
        assert_eq!(
            summary(&looped),
            "10 allocations, 800 B, the largest 80 B; 10 blocks freed, peak 80 B held at once; nothing held at the end"
        );
        let grown = Figures {
            allocations: 1,
            reallocations: 2,
            bytes: 56,
            held: 32,
            largest: 32,
            peak: 32,
            ..Figures::default()
        };
        assert_eq!(summary(&grown), "1 allocation and 2 reallocations, 56 B, the largest 32 B; 32 B still held");
        let dropped = Figures { earlier_frees: 1, earlier_bytes: 8_003_072, ..Figures::default() };
        assert_eq!(summary(&dropped), "no allocation; 1 block made before freed (8,003,072 B (8.0 MB))");
    }

    #[test]
    fn reports_are_figures_or_a_reason() {
        let sent = Report::counted(Figures { allocations: 2, ..Default::default() });
        let json = serde_json::to_string(&sent).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), sent);
        let Report::Counted { shown, .. } = sent else { unreachable!() };
        assert!(shown.starts_with("Allocs { allocations: 2,"), "{shown}");
        let refusal = serde_json::from_str::<Report>(r#"{"not_counting": "no ledger"}"#).unwrap();
        assert_eq!(refusal, Report::NotCounting("no ledger".into()));
    }

    #[test]
    fn discarded_values_are_kept_from_the_optimiser() {
        let generated = code("Vec::<u8>::with_capacity(12345);\nlet v = vec![1];\nfor i in 0..2 {}\nv.len()").unwrap();
        assert!(
            generated.contains("std :: hint :: black_box (Vec :: < u8 > :: with_capacity (12345)) ;"),
            "{generated}"
        );
        assert_eq!(generated.matches("black_box").count(), 1, "{generated}");
    }

    #[test]
    fn flags_come_first_and_the_statement_stays_at_the_top() {
        assert_eq!(parse_options("-q -o a.t()"), (Options { quiet: true, output: true }, "a.t()"));
        assert_eq!(parse_options("-a"), (Options::default(), "-a"));
        let counted = code("let b = a.to_owned();\nb.len()").unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(counted.starts_with("ndlens_runtime :: allocs :: begin () ; let b = a . to_owned () ;"), "{counted}");
        assert!(counted.ends_with("ndlens_runtime :: allocs :: end () ; __ndlens_value }"), "{counted}");
        let looped = code("loop { break; }").unwrap();
        assert!(!looped.contains("__ndlens_value"), "{looped}");
    }

    #[test]
    fn mistakes_show_the_usage() {
        assert!(only_magic("%allocs").unwrap_err().to_string().starts_with("%allocs: what to count?"));
        assert!(only_magic("%%allocs -q\n").unwrap_err().to_string().contains("nothing to count"));
        assert!(only_magic("%allocs let = ;").unwrap_err().to_string().contains("not Rust"));
    }
}
