//! `%timeit STATEMENT` and `%%timeit [SETUP]`: IPython's timing, with the
//! statement compiled as the rest of the session is.
//!
//! IPython chooses the number of loops per run as the first power of ten
//! whose run takes at least 0.2 s, then makes 7 runs of that many loops
//! (setup runs before each run, untimed), and prints the mean and standard
//! deviation of the per-loop times. The generated code does the same in
//! the session and sends the run times back; the kernel prints IPython's
//! line from them ([`timing`](super::timing)).

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Pat, Stmt};

use super::timing::TimeitResult;
use crate::directive::args;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, STATEMENT};
use ndlens_runtime::content::TIMEIT_MIME;

use crate::engine::output::Event;
use crate::outcome::CellOutcome;
use crate::session::emit_statement;
use crate::syntax;

/// IPython's default number of runs.
const DEFAULT_RUNS: u32 = 7;
/// A run must take at least this long when the loop count is chosen.
const MIN_RUN_SECONDS: f64 = 0.2;
/// The loop counts tried are 1, 10, … up to this power of ten.
const MAX_LOOPS_POWER: u32 = 9;
/// The most loops per run `-n` takes: more would run for days.
const MAX_LOOPS: u64 = 10_000_000_000;
/// The most runs `-r` takes.
const MAX_RUNS: u64 = 10_000;
/// The flags, for completion.
const FLAGS: [&str; 4] = ["-n", "-r", "-q", "-o"];

pub struct Timeit;

static USAGES: [Usage; 2] = [
    Usage {
        name: "%timeit",
        synopsis: "%timeit [-n N] [-r R] [-q] [-o] STATEMENT",
        help: "time a statement, compiled optimised, as IPython's %timeit",
    },
    Usage {
        name: "%%timeit",
        synopsis: "%%timeit [-n N] [-r R] [-q] [-o] [SETUP]",
        help: "time the cell's body; SETUP runs before each run, untimed",
    },
];

impl Directive for Timeit {
    fn usages(&self) -> &'static [Usage] {
        &USAGES
    }

    fn parse(&self, usage: &'static Usage, args: &str, body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let (options, rest) = parse_options(usage, args)?;
        let (setup, body) = if usage.name.starts_with("%%") {
            if body.trim().is_empty() {
                return Err(usage.error("the cell has nothing to time: put the statements under the first line"));
            }
            (rest, body)
        } else {
            if rest.trim().is_empty() {
                return Err(usage.error("what to time? It needs a statement"));
            }
            ("", rest)
        };
        args::check_statements(usage, setup)?;
        args::check_statements(usage, body)?;
        let code = code(&options, setup, body).map_err(|e| usage.error(format!("the statement is not Rust: {e}")))?;
        Ok(Box::new(TimeitCall { usage, options, code }))
    }

    fn complete_argument(&self, word: &str) -> Vec<&'static str> {
        if !word.starts_with('-') {
            return Vec::new();
        }
        FLAGS.into_iter().filter(|flag| flag.starts_with(word)).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Options {
    /// `-n N`: loops per run; chosen automatically when `None`.
    loops: Option<u64>,
    /// `-r R`: runs.
    runs: u32,
    /// `-q`: print nothing.
    quiet: bool,
    /// `-o`: return the result as the cell's value.
    output: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { loops: None, runs: DEFAULT_RUNS, quiet: false, output: false }
    }
}

/// Reads leading `-n N`, `-r R`, `-q`, `-o` (also `-n10`) and returns the
/// rest of the line.
fn parse_options<'a>(usage: &Usage, args: &'a str) -> Result<(Options, &'a str), UsageError> {
    let mut options = Options::default();
    let mut rest = args.trim_start();
    while let Some(flag) = rest.strip_prefix('-') {
        let mut chars = flag.chars();
        let letter = chars.next();
        let after = chars.as_str();
        match letter {
            Some(flag @ ('q' | 'o')) if after.is_empty() || after.starts_with(char::is_whitespace) => {
                if flag == 'q' {
                    options.quiet = true;
                } else {
                    options.output = true;
                }
                rest = after.trim_start();
            }
            Some(flag @ ('n' | 'r')) => {
                let after = after.trim_start();
                let end = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
                let needs_number = || usage.error(format!("-{flag} needs a positive whole number"));
                let number: u64 = after[..end].parse().map_err(|_| needs_number())?;
                if number == 0 {
                    return Err(needs_number());
                }
                let most = if flag == 'n' { MAX_LOOPS } else { MAX_RUNS };
                if number > most {
                    return Err(usage.error(format!("-{flag} takes at most {most}")));
                }
                if flag == 'n' {
                    options.loops = Some(number);
                } else {
                    options.runs = number as u32;
                }
                rest = after[end..].trim_start();
            }
            // A statement may start with a minus sign: `%timeit -x`.
            _ => break,
        }
    }
    Ok((options, rest))
}

#[derive(Debug)]
struct TimeitCall {
    usage: &'static Usage,
    options: Options,
    code: String,
}

impl Invocation for TimeitCall {
    fn run(&self, Context { session, show, .. }: Context<'_>) -> CellOutcome {
        let mut outcome = self.usage.run(session, STATEMENT, &self.code);
        let Some(mut result) = outcome.result.take() else { return outcome };
        if let Some(measured) = result.remove(TIMEIT_MIME).and_then(|json| TimeitResult::from_json(&json)) {
            if !self.options.quiet {
                let mut text = String::new();
                if let Some(warning) = measured.warning() {
                    text.push_str(&warning);
                    text.push('\n');
                }
                text.push_str(&measured.summary());
                text.push('\n');
                show.send(Event::Stdout(text));
            }
            if self.options.output {
                result.insert("text/plain".into(), measured.repr());
            }
        }
        CellOutcome::value(result)
    }
}

/// Statements with every value passed through `black_box`, so that the
/// optimiser cannot drop the work being timed.
fn kept_alive(code: &str) -> syn::Result<TokenStream> {
    let mut out = TokenStream::new();
    for stmt in syntax::statements(code)?.stmts {
        match stmt {
            Stmt::Local(mut local) => {
                if let Some(init) = local.init.as_mut() {
                    let expr = &init.expr;
                    *init.expr = syn::parse_quote!(::std::hint::black_box(#expr));
                }
                local.to_tokens(&mut out);
            }
            Stmt::Expr(expr, _) => quote!(::std::hint::black_box(#expr);).to_tokens(&mut out),
            other => other.to_tokens(&mut out),
        }
    }
    Ok(out)
}

/// The names bound by the `let` statements of `stmts`.
fn bound_names(stmts: &[Stmt]) -> Vec<syn::Ident> {
    fn collect(pat: &Pat, names: &mut Vec<syn::Ident>) {
        match pat {
            Pat::Ident(p) => names.push(p.ident.clone()),
            Pat::Type(p) => collect(&p.pat, names),
            Pat::Tuple(p) => p.elems.iter().for_each(|e| collect(e, names)),
            Pat::TupleStruct(p) => p.elems.iter().for_each(|e| collect(e, names)),
            Pat::Reference(p) => collect(&p.pat, names),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for stmt in stmts {
        if let Stmt::Local(local) = stmt {
            collect(&local.pat, &mut names);
        }
    }
    names
}

/// A closure that runs SETUP, then times `loops` runs of BODY; the loop
/// count is chosen as IPython does unless `-n` gave it.
fn code(options: &Options, setup: &str, body: &str) -> syn::Result<String> {
    let setup = syntax::statements(setup)?.stmts;
    let keep_setup: Vec<TokenStream> =
        bound_names(&setup).into_iter().map(|name| quote!(::std::hint::black_box(&#name);)).collect();
    let body = kept_alive(body)?;
    let runs = options.runs as usize;
    let choose_loops = match options.loops {
        Some(n) => quote!(#n),
        None => quote!({
            let mut __ndlens_n: u64 = 1;
            for _ in 0..#MAX_LOOPS_POWER {
                if __ndlens_time(__ndlens_n) >= #MIN_RUN_SECONDS {
                    break;
                }
                __ndlens_n *= 10;
            }
            __ndlens_n
        }),
    };
    let report: TokenStream = emit_statement(
        TIMEIT_MIME,
        "format!(\"{{\\\"loops\\\": {}, \\\"runs\\\": [{}]}}\", __ndlens_loops, __ndlens_runs.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(\", \"))",
    )
    .parse()
    .expect("generated code lexes");
    Ok(quote!({
        let mut __ndlens_time = |__ndlens_loops: u64| -> f64 {
            #(#setup)*
            let __ndlens_start = ::std::time::Instant::now();
            for _ in 0..__ndlens_loops {
                #body
            }
            let __ndlens_elapsed = __ndlens_start.elapsed().as_secs_f64();
            #(#keep_setup)*
            __ndlens_elapsed
        };
        // Warming compiles this code; one loop runs it.
        let __ndlens_warming = ndlens_runtime::warming::active();
        let __ndlens_loops: u64 = if __ndlens_warming { 1 } else { #choose_loops };
        let __ndlens_runs: Vec<f64> = (0..if __ndlens_warming { 1 } else { #runs }).map(|_| __ndlens_time(__ndlens_loops)).collect();
        #report
    };)
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::super::tests::only_magic;
    use super::*;

    fn compact(code: &str) -> String {
        code.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn timed_statements_keep_their_values_alive() {
        let code =
            compact(&code(&Options::default(), "let mut a = vec![0u8; 10];", "a[0] += 1; let b = a.len();").unwrap());
        assert!(code.contains(":: std :: hint :: black_box (a [0] += 1) ;"), "{code}");
        assert!(code.contains("let b = :: std :: hint :: black_box (a . len ()) ;"), "{code}");
        assert!(code.contains(":: std :: hint :: black_box (& a) ;"), "{code}");
        assert!(code.contains("for _ in 0 .. 9u32"), "{code}");
    }

    #[test]
    fn a_fixed_loop_count_skips_the_search() {
        let options = Options { loops: Some(5), runs: 2, ..Options::default() };
        let code = compact(&code(&options, "", "1 + 1").unwrap());
        assert!(code.contains("let __ndlens_loops : u64 = if __ndlens_warming { 1 } else { 5u64 } ;"), "{code}");
        assert!(code.contains("(0 .. if __ndlens_warming { 1 } else { 2usize })"), "{code}");
    }

    #[test]
    fn statements_that_do_not_parse_are_errors() {
        assert!(code(&Options::default(), "", "let = ;").is_err());
        let e = only_magic("%timeit let = ;").unwrap_err();
        assert!(e.to_string().starts_with("%timeit: the statement is not Rust"), "{e}");
    }

    #[test]
    fn options_come_before_the_statement() {
        let (o, rest) = parse_options(&USAGES[0], "-n 10 -r3 -q -o a.sum()").unwrap();
        assert_eq!(o, Options { loops: Some(10), runs: 3, quiet: true, output: true });
        assert_eq!(rest, "a.sum()");
        let (o, rest) = parse_options(&USAGES[0], "-x + 1").unwrap();
        assert_eq!(o, Options::default());
        assert_eq!(rest, "-x + 1");
        assert!(parse_options(&USAGES[0], "-n zero x").is_err());
        assert!(parse_options(&USAGES[0], "-r 0 x").is_err());
        let e = parse_options(&USAGES[0], "-n 18446744073709551615 x").unwrap_err();
        assert_eq!(e.problem, "-n takes at most 10000000000");
        assert!(parse_options(&USAGES[0], "-n 99999999999999999999999 x").is_err());
        assert!(parse_options(&USAGES[0], "-r 4294967295 x").is_err());
    }

    #[test]
    fn cell_timeit_takes_setup_on_its_first_line() {
        let shown = only_magic("%%timeit -n 100 let mut a = Array1::<f64>::zeros(10);\na *= 2.0;\n").unwrap();
        assert!(shown.contains("loops: Some(100)"), "{shown}");
        let code = compact(&shown);
        assert!(code.contains("let mut a = Array1 :: < f64 > :: zeros (10) ;"), "{code}");
        assert!(code.contains("black_box (a *= 2.0) ;"), "{code}");
    }
}
