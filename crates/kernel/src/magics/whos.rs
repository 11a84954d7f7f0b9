//! `%whos`: the session's variables, their types, and each array's layout,
//! as IPython's `%whos` table.
//!
//! The layouts are read in the session, by one generated cell for all the
//! arrays; everything else comes from what the engine knows already.

use std::collections::BTreeMap;

use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use ndlens_runtime::content::WHOS_MIME;

use crate::outcome::CellOutcome;
use crate::session::emit_statement;
use crate::session::variables::Variable;

pub struct Whos;

static USAGE: Usage = Usage {
    name: "%whos",
    synopsis: "%whos",
    help: "the session's variables, their types, and for arrays their layout",
};

impl Directive for Whos {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(WhosCall))
    }
}

#[derive(Debug)]
struct WhosCall;

impl Invocation for WhosCall {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        let variables = session.variables();
        if variables.is_empty() {
            return CellOutcome::text("Interactive namespace is empty.");
        }
        let arrays: Vec<&str> = variables.iter().filter(|v| v.is_array()).map(Variable::name).collect();
        let mut layouts: BTreeMap<String, String> = BTreeMap::new();
        if !arrays.is_empty() {
            let mut outcome = USAGE.run(session, ARGUMENTS, &layouts_code(&arrays));
            if outcome.error.is_some() {
                return outcome;
            }
            let rows = outcome.result.take().and_then(|mut r| r.remove(WHOS_MIME)).unwrap_or_default();
            for row in rows.lines() {
                if let Some((name, layout)) = row.split_once('\t') {
                    layouts.insert(name.to_string(), layout.to_string());
                }
            }
        }
        let rows: Vec<[String; 3]> = variables
            .iter()
            .map(|v| [v.name().to_string(), v.display_type(), layouts.get(v.name()).cloned().unwrap_or_default()])
            .collect();
        CellOutcome::value(BTreeMap::from([
            ("text/plain".into(), text_table(&rows)),
            ("text/html".into(), html_table(&rows)),
        ]))
    }
}

/// One row per array, `name\tlayout`, sent back as one content block.
fn layouts_code(arrays: &[&str]) -> String {
    let mut code = String::from("{\n    let mut __ndlens_rows = String::new();\n");
    for name in arrays {
        code.push_str(&format!(
            "    __ndlens_rows.push_str(&format!(\"{{}}\\t{{}}\\n\", {name:?}, ndlens::layout(&{name})));\n"
        ));
    }
    code.push_str(&format!("    {}\n}}", emit_statement(WHOS_MIME, "__ndlens_rows.trim_end()")));
    code
}

const HEADER: [&str; 3] = ["Variable", "Type", "Data/Info"];

fn text_table(rows: &[[String; 3]]) -> String {
    let widths: Vec<usize> =
        (0..3).map(|c| rows.iter().map(|r| r[c].chars().count()).chain([HEADER[c].len()]).max().unwrap_or(0)).collect();
    let line = |r: [&str; 3]| {
        format!("{:<w0$}   {:<w1$}   {}", r[0], r[1], r[2], w0 = widths[0], w1 = widths[1]).trim_end().to_string()
    };
    let mut text = line(HEADER);
    text.push('\n');
    text.push_str(&"-".repeat(widths.iter().sum::<usize>() + 6));
    for r in rows {
        text.push('\n');
        text.push_str(&line([&r[0], &r[1], &r[2]]));
    }
    text
}

fn html_table(rows: &[[String; 3]]) -> String {
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let mut html = String::from("<table class=\"ndlens-whos\"><tr>");
    for h in HEADER {
        html.push_str(&format!("<th>{h}</th>"));
    }
    html.push_str("</tr>");
    for r in rows {
        html.push_str(&format!(
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&r[0]),
            escape(&r[1]),
            escape(&r[2])
        ));
    }
    html.push_str("</table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_under_its_header() {
        let rows = [["m".to_string(), "Array2<f64>".to_string(), "shape=(2, 5)".to_string()]];
        assert_eq!(text_table(&rows), "Variable   Type          Data/Info\n-------------------------------------\nm          Array2<f64>   shape=(2, 5)");
        assert!(html_table(&[["a<b".into(), String::new(), String::new()]]).contains("<code>a&lt;b</code>"));
    }
}
