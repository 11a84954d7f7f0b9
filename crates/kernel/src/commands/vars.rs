//! `:vars` and `:type NAME` (`:t`): the session's variables and their types.

use std::collections::BTreeMap;

use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::outcome::CellOutcome;

pub struct Vars;

static VARS: Usage = Usage { name: ":vars", synopsis: ":vars", help: "the session's variables and their types" };

impl Directive for Vars {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&VARS)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(ListVariables))
    }
}

#[derive(Debug)]
struct ListVariables;

impl Invocation for ListVariables {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        let variables = session.variables();
        let text: String = variables.iter().map(|v| format!("{}: {}\n", v.name(), v.display_type())).collect();
        let escape = |s: &str| html_escape::encode_text(s).into_owned();
        let rows: String = variables
            .iter()
            .map(|v| {
                format!(
                    "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape(v.name()),
                    escape(&v.display_type())
                )
            })
            .collect();
        let html = format!("<table><tr><th>Variable</th><th>Type</th></tr>{rows}</table>");
        CellOutcome::value(BTreeMap::from([("text/plain".into(), text), ("text/html".into(), html)]))
    }
}

pub struct Type;

static TYPE: [Usage; 2] = [
    Usage { name: ":type", synopsis: ":type NAME", help: "the type of a variable" },
    Usage { name: ":t", synopsis: ":t NAME", help: "short for :type" },
];

impl Directive for Type {
    fn usages(&self) -> &'static [Usage] {
        &TYPE
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [name] => Ok(Box::new(TypeOf { name: name.to_string() })),
            _ => Err(usage.error("which variable? It takes one name")),
        }
    }
}

#[derive(Debug)]
struct TypeOf {
    name: String,
}

impl Invocation for TypeOf {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        match session.variables().iter().find(|v| v.name() == self.name) {
            Some(variable) => CellOutcome::text(format!("{}: {}", self.name, variable.display_type())),
            None => CellOutcome::error(TYPE[0].error(format!("the session has no variable `{}`", self.name)).report()),
        }
    }
}
