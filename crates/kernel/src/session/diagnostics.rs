//! Compile errors told against the user's own code.
//!
//! An engine reports each rustc diagnostic with positions in the code it
//! was given. The kernel gives it the user's cell, perhaps rewritten (views
//! expanded) and perhaps one piece of a cell that also holds magics; this
//! module maps positions back to the cell as typed and renders the
//! diagnostic the way rustc does, with the offending line and a caret.

use super::views::Rewritten;
use crate::engine::CompileError;

/// One diagnostic, placed in the user's cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Option<String>,
    pub message: String,
    /// 1-based line and column in the cell, when the error is in the cell.
    pub position: Option<(usize, usize)>,
    pub label: String,
    pub help: Vec<String>,
}

impl Diagnostic {
    /// From an engine's error about `rewritten`, which came from
    /// `original`, which starts on line `first_line` of the cell.
    pub fn locate(e: &CompileError, original: &str, rewritten: &Rewritten, first_line: usize) -> Diagnostic {
        let position =
            e.position.map(|(line, column)| (line + first_line - 1, rewritten.original_column(original, line, column)));
        Diagnostic {
            code: e.code.clone(),
            message: e.message.clone(),
            position,
            label: e.label.clone(),
            help: e.help.clone(),
        }
    }

    /// rustc's layout: headline, arrow to the position, the line, a caret.
    pub fn render(&self, cell: &str) -> Vec<String> {
        const RED: &str = "\x1b[1;31m";
        const BLUE: &str = "\x1b[1;34m";
        const RESET: &str = "\x1b[0m";
        let headline = match &self.code {
            Some(code) => format!("{RED}error[{code}]{RESET}: {}", self.message),
            None => format!("{RED}error{RESET}: {}", self.message),
        };
        let mut lines = vec![headline];
        if let Some((line, column)) = self.position {
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let text = cell.lines().nth(line - 1).unwrap_or("");
            let caret_pad = " ".repeat(text.chars().take(column - 1).count());
            lines.push(format!("{pad}{BLUE}-->{RESET} cell line {line}, column {column}"));
            lines.push(format!("{pad} {BLUE}|{RESET}"));
            lines.push(format!("{BLUE}{line} |{RESET} {text}"));
            lines.push(format!("{pad} {BLUE}|{RESET} {caret_pad}{RED}^ {}{RESET}", self.label));
        }
        for help in &self.help {
            lines.push(format!("{BLUE}help{RESET}: {help}"));
        }
        lines
    }

    /// The headline without colour, with its position: for `evalue`.
    pub fn summary(&self) -> String {
        match self.position {
            Some((line, column)) => format!("{} (line {line}, column {column})", self.message),
            None => self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_line_and_a_caret_under_the_column() {
        let d = Diagnostic {
            code: Some("E0308".into()),
            message: "mismatched types".into(),
            position: Some((2, 14)),
            label: "expected `i32`, found `&str`".into(),
            help: vec![],
        };
        let plain: Vec<String> = d
            .render("let x = 1;\nlet y: i32 = \"a\";")
            .into_iter()
            .map(|l| l.replace("\x1b[1;31m", "").replace("\x1b[1;34m", "").replace("\x1b[0m", ""))
            .collect();
        assert_eq!(
            plain,
            vec![
                "error[E0308]: mismatched types",
                " --> cell line 2, column 14",
                "  |",
                "2 | let y: i32 = \"a\";",
                "  |              ^ expected `i32`, found `&str`",
            ]
        );
        assert_eq!(d.summary(), "mismatched types (line 2, column 14)");
    }
}
