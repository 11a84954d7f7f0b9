//! The magics: `%aid`, `%shares`, `%layout`, `%explore`, `%timeit`/`%%timeit`,
//! `%time`/`%%time`, `%allocs`/`%%allocs`, `%traffic`, `%asm`/`%%asm`, `%whos`, `%checks`,
//! `%lsmagic`.
//!
//! Each magic is one file holding one [`Directive`]: its names, synopses
//! and help, how it parses its arguments into a typed invocation, the code
//! it runs in the session, how its result is shown, and what it completes.
//! [`MAGICS`] lists them all. Adding a magic is a new file and a line in
//! the table; the parts come from [`crate::directive`].

mod aid;
mod allocs;
mod asm;
mod checks;
mod explore;
mod layout;
mod lsmagic;
mod shares;
mod time;
mod timeit;
mod timing;
mod traffic;
mod whos;

use crate::directive::Directive;

/// Every magic the kernel knows, in the order `%lsmagic` lists them.
pub static MAGICS: &[&dyn Directive] = &[
    &aid::Aid,
    &shares::Shares,
    &layout::Layout,
    &explore::Explore,
    &timeit::Timeit,
    &time::Time,
    &allocs::Allocs,
    &traffic::Traffic,
    &asm::Asm,
    &whos::Whos,
    &checks::ChecksMagic,
    &lsmagic::Lsmagic,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directive::{Piece, Table, UsageError};

    /// The magics without the commands: what these tests parse with.
    pub(super) static MAGICS_ONLY: Table = Table { magics: MAGICS, commands: &[] };

    /// The one magic of `cell`, as its debug form.
    pub(super) fn only_magic(cell: &str) -> Result<String, UsageError> {
        let mut pieces = MAGICS_ONLY.parse_cell(cell)?;
        match (pieces.len(), pieces.pop()) {
            (1, Some(Piece::Directive(m))) => Ok(format!("{m:?}")),
            other => panic!("expected one magic, got {other:?}"),
        }
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
        let e = only_magic("%%aid a\n").unwrap_err();
        assert!(e.to_string().starts_with("%%aid: no such magic"), "{e}");
    }

    #[test]
    fn usage_errors_put_the_problem_first() {
        let report = only_magic("%aid").unwrap_err().report();
        assert_eq!(report.ename, "UsageError");
        assert_eq!(report.evalue, "%aid: which array? It needs one expression");
        assert_eq!(report.traceback[1], "usage: %aid EXPR");
    }

    #[test]
    fn line_magics_interleave_with_code() {
        let pieces = MAGICS_ONLY.parse_cell("let a = 1;\n%aid a\nlet b = 2;\n").unwrap();
        let shown: Vec<String> = pieces.iter().map(|p| format!("{p:?}")).collect();
        assert_eq!(shown.len(), 3);
        assert!(matches!(&pieces[0], Piece::Rust { code, first_line: 1 } if code == "let a = 1;\n"));
        assert!(shown[1].contains("source: \"a\""), "{}", shown[1]);
        assert!(matches!(&pieces[2], Piece::Rust { code, first_line: 3 } if code == "let b = 2;\n"));
    }

    #[test]
    fn completion_offers_magic_names_then_their_arguments() {
        assert_eq!(MAGICS_ONLY.complete("%ti").unwrap(), (vec!["%timeit".to_string(), "%time".to_string()], 0));
        assert_eq!(
            MAGICS_ONLY.complete("%timeit -").unwrap(),
            (vec!["-n".into(), "-r".into(), "-q".into(), "-o".into()], 8)
        );
        assert_eq!(MAGICS_ONLY.complete("%timeit -q").unwrap().0, vec!["-q".to_string()]);
        assert_eq!(MAGICS_ONLY.complete("  %lsm").unwrap(), (vec!["%lsmagic".to_string()], 2));
        assert!(MAGICS_ONLY.complete("let a = 1;").is_none());
    }

    #[test]
    fn arguments_split_at_top_level_commas_only() {
        let shown = only_magic("%layout a, a.slice(s![1.., ..;2]), HashMap::<u8, u8>::new()").unwrap();
        for source in ["\"a\"", "\"a.slice(s![1.., ..;2])\"", "\"HashMap::<u8, u8>::new()\""] {
            assert!(shown.contains(&format!("source: {source}")), "{shown}");
        }
    }

    #[test]
    fn plain_names_may_be_separated_by_spaces() {
        let shown = only_magic("%shares a b").unwrap();
        assert!(shown.contains("source: \"a\"") && shown.contains("source: \"b\""), "{shown}");
        assert!(only_magic("%shares a.t() b").is_err());
    }
}
