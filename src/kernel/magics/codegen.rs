//! The Rust code each magic runs in the session.
//!
//! Generated code names its own bindings `__ndlens_*`, which the kernel
//! hides from `%whos`. Results that the kernel formats (timings, `%whos`
//! rows) travel back as evcxr content blocks of private mime types.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Block, Pat, Stmt};

use super::timeit::{MAX_LOOPS_POWER, MIN_RUN_SECONDS};
use super::{Expression, Magic, TimeitOptions};

/// The mime type of `%timeit`'s measurements: `{"loops": n, "runs": [s, ...]}`.
pub const TIMEIT_MIME: &str = "application/vnd.ndlens.timeit+json";
/// The mime type of `%time`'s wall time in seconds.
pub const TIME_MIME: &str = "application/vnd.ndlens.time+json";
/// The mime type of one `%whos` row per array: `name\tlayout`.
pub const WHOS_MIME: &str = "application/vnd.ndlens.whos";

/// A Rust string literal holding `text`.
fn literal(text: &str) -> String {
    format!("{text:?}")
}

pub fn aid(e: &Expression) -> String {
    format!("ndlens::aid(&({}))", e.source)
}

pub fn shares(a: &Expression, b: &Expression) -> String {
    format!("ndlens::explain_sharing({}, &({}), {}, &({}))", literal(&a.source), a.source, literal(&b.source), b.source)
}

pub fn layout(list: &[Expression]) -> String {
    let mut code = String::from("ndlens::Diagram::new()");
    for e in list {
        code.push_str(&format!("\n    .add({}, &({}))", literal(&e.source), e.source));
    }
    code
}

/// Prints an evcxr content block from generated code.
fn emit(mime: &str, content_expr: &str) -> String {
    format!("println!(\"EVCXR_BEGIN_CONTENT {mime}\\n{{}}\\nEVCXR_END_CONTENT\", {content_expr});")
}

/// `%whos`: one row per array variable, with its layout; `arrays` are the
/// names of the session's variables (and remembered views) of array type.
pub fn whos(arrays: &[String]) -> String {
    let mut code = String::from("{\n    let mut __ndlens_rows = String::new();\n");
    for name in arrays {
        code.push_str(&format!(
            "    __ndlens_rows.push_str(&format!(\"{{}}\\t{{}}\\n\", {}, ndlens::layout(&{name})));\n",
            literal(name)
        ));
    }
    code.push_str(&format!("    {}\n}}", emit(WHOS_MIME, "__ndlens_rows.trim_end()")));
    code
}

/// Statements with every value passed through `black_box`, so that the
/// optimiser cannot drop the work being timed.
fn kept_alive(code: &str) -> syn::Result<TokenStream> {
    let block: Block = syn::parse_str(&format!("{{\n{code}\n}}"))?;
    let mut out = TokenStream::new();
    for stmt in block.stmts {
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

/// The names bound by `let` statements in `code`.
fn bound_names(code: &str) -> syn::Result<Vec<syn::Ident>> {
    let block: Block = syn::parse_str(&format!("{{\n{code}\n}}"))?;
    let mut names = Vec::new();
    for stmt in &block.stmts {
        if let Stmt::Local(local) = stmt {
            collect_idents(&local.pat, &mut names);
        }
    }
    Ok(names)
}

fn collect_idents(pat: &Pat, names: &mut Vec<syn::Ident>) {
    match pat {
        Pat::Ident(p) => names.push(p.ident.clone()),
        Pat::Type(p) => collect_idents(&p.pat, names),
        Pat::Tuple(p) => p.elems.iter().for_each(|e| collect_idents(e, names)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|e| collect_idents(e, names)),
        Pat::Reference(p) => collect_idents(&p.pat, names),
        _ => {}
    }
}

/// `%timeit`: a closure that runs SETUP, then times `loops` runs of BODY;
/// the loop count is chosen as IPython does unless `-n` gave it.
pub fn timeit(options: &TimeitOptions, setup: &str, body: &str) -> syn::Result<String> {
    let setup_tokens: TokenStream =
        syn::parse_str::<Block>(&format!("{{\n{setup}\n}}"))?.stmts.iter().map(|s| s.to_token_stream()).collect();
    let keep_setup: Vec<TokenStream> =
        bound_names(setup)?.into_iter().map(|name| quote!(::std::hint::black_box(&#name);)).collect();
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
    let report = emit(
        TIMEIT_MIME,
        "format!(\"{{\\\"loops\\\": {}, \\\"runs\\\": [{}]}}\", __ndlens_loops, __ndlens_runs.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(\", \"))",
    );
    let report: TokenStream = report.parse().expect("generated code lexes");
    Ok(quote!({
        let mut __ndlens_time = |__ndlens_loops: u64| -> f64 {
            #setup_tokens
            let __ndlens_start = ::std::time::Instant::now();
            for _ in 0..__ndlens_loops {
                #body
            }
            let __ndlens_elapsed = __ndlens_start.elapsed().as_secs_f64();
            #(#keep_setup)*
            __ndlens_elapsed
        };
        let __ndlens_loops: u64 = #choose_loops;
        let __ndlens_runs: Vec<f64> = (0..#runs).map(|_| __ndlens_time(__ndlens_loops)).collect();
        #report
    };)
    .to_string())
}

/// `%time`: the statements run at the top level, so that their `let`
/// bindings stay in the session, between two clock readings; a final
/// expression stays the cell's value.
pub fn time(body: &str) -> syn::Result<String> {
    let block: Block = syn::parse_str(&format!("{{\n{body}\n}}"))?;
    let mut stmts = block.stmts;
    let tail = match stmts.last() {
        Some(Stmt::Expr(_, None)) => match stmts.pop() {
            Some(Stmt::Expr(expr, None)) => Some(expr),
            _ => None,
        },
        _ => None,
    };
    let report: TokenStream =
        emit(TIME_MIME, "__ndlens_start.elapsed().as_secs_f64()").parse().expect("generated code lexes");
    let code = match tail {
        Some(expr) => quote! {
            let __ndlens_start = ::std::time::Instant::now();
            #(#stmts)*
            { let __ndlens_value = #expr; #report __ndlens_value }
        },
        None => quote! {
            let __ndlens_start = ::std::time::Instant::now();
            #(#stmts)*
            #report
        },
    };
    Ok(code.to_string())
}

/// The code for a magic that runs in the session, or `None` for magics the
/// kernel answers itself (`%lsmagic`) or assembles from several steps
/// (`%whos`).
pub fn generate(magic: &Magic) -> Option<syn::Result<String>> {
    match magic {
        Magic::Aid(e) => Some(Ok(aid(e))),
        Magic::Shares(a, b) => Some(Ok(shares(a, b))),
        Magic::Layout(list) => Some(Ok(layout(list))),
        Magic::Timeit { options, setup, body } => Some(timeit(options, setup, body)),
        Magic::Time { body } => Some(time(body)),
        Magic::Whos | Magic::Lsmagic => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(code: &str) -> String {
        code.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn expressions_are_borrowed_and_labelled_as_written() {
        assert_eq!(aid(&Expression::new("a.t()")), "ndlens::aid(&(a.t()))");
        assert_eq!(
            shares(&Expression::new("a"), &Expression::new("a.slice(s![\"x\"..])")),
            "ndlens::explain_sharing(\"a\", &(a), \"a.slice(s![\\\"x\\\"..])\", &(a.slice(s![\"x\"..])))"
        );
    }

    #[test]
    fn timed_statements_keep_their_values_alive() {
        let code = compact(
            &timeit(&TimeitOptions::default(), "let mut a = vec![0u8; 10];", "a[0] += 1; let b = a.len();").unwrap(),
        );
        assert!(code.contains(":: std :: hint :: black_box (a [0] += 1) ;"), "{code}");
        assert!(code.contains("let b = :: std :: hint :: black_box (a . len ()) ;"), "{code}");
        assert!(code.contains(":: std :: hint :: black_box (& a) ;"), "{code}");
        assert!(code.contains("for _ in 0 .. 9u32"), "{code}");
    }

    #[test]
    fn a_fixed_loop_count_skips_the_search() {
        let options = TimeitOptions { loops: Some(5), runs: 2, ..TimeitOptions::default() };
        let code = compact(&timeit(&options, "", "1 + 1").unwrap());
        assert!(code.contains("let __ndlens_loops : u64 = 5u64 ;"), "{code}");
        assert!(code.contains("(0 .. 2usize)"), "{code}");
    }

    #[test]
    fn time_keeps_lets_at_the_top_and_returns_the_tail() {
        let code = compact(&time("let x = 2;\nx * 3").unwrap());
        assert!(code.starts_with("let __ndlens_start = :: std :: time :: Instant :: now () ; let x = 2 ;"), "{code}");
        assert!(code.ends_with("__ndlens_value }"), "{code}");
    }

    #[test]
    fn statements_that_do_not_parse_are_errors() {
        assert!(timeit(&TimeitOptions::default(), "", "let = ;").is_err());
        assert!(time("fn (").is_err());
    }
}
