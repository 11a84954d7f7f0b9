//! How cells are built: `:dep` and `:show_deps`, `:opt`,
//! `:last_compile_dir`.

use super::refused;
use crate::directive::{Context, Directive, Invocation, Usage, UsageError};
use crate::outcome::CellOutcome;

pub struct Dep;

static DEP: Usage = Usage {
    name: ":dep",
    synopsis: ":dep NAME = SPECIFICATION",
    help: "use a crate in the next cells, as Cargo.toml's [dependencies] says it: :dep rand = \"0.8\"",
};

impl Directive for Dep {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&DEP)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let (name, specification) = match args.split_once('=') {
            Some((name, spec)) => (name.trim(), spec.trim()),
            // evcxr's short form: `:dep name` means any version.
            None => (args.trim(), "\"*\""),
        };
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid || specification.is_empty() {
            return Err(usage
                .error(format!("`{}` is not a dependency: it needs a crate name and a specification", args.trim())));
        }
        Ok(Box::new(AddDependency { name: name.to_string(), specification: specification.to_string() }))
    }
}

#[derive(Debug)]
struct AddDependency {
    name: String,
    specification: String,
}

impl Invocation for AddDependency {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        match session.engine().add_dependency(&self.name, &self.specification) {
            Ok(()) => CellOutcome::default(),
            Err(e) => refused(format!(":dep {} = {}: {e}", self.name, self.specification)),
        }
    }
}

pub struct ShowDeps;

static SHOW_DEPS: Usage = Usage { name: ":show_deps", synopsis: ":show_deps", help: "the dependencies :dep added" };

impl Directive for ShowDeps {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&SHOW_DEPS)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(Show::Dependencies))
    }
}

pub struct LastCompileDir;

static LAST_COMPILE_DIR: Usage = Usage {
    name: ":last_compile_dir",
    synopsis: ":last_compile_dir",
    help: "the folder the last cell was compiled in",
};

impl Directive for LastCompileDir {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&LAST_COMPILE_DIR)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        if !args.trim().is_empty() {
            return Err(usage.error("takes no arguments"));
        }
        Ok(Box::new(Show::CompileDir))
    }
}

#[derive(Debug)]
enum Show {
    Dependencies,
    CompileDir,
}

impl Invocation for Show {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        match self {
            Show::Dependencies => {
                CellOutcome::text(session.engine().dependencies().iter().map(|d| format!("{d}\n")).collect::<String>())
            }
            Show::CompileDir => match session.engine().last_compile_dir() {
                Some(dir) => CellOutcome::text(dir.display().to_string()),
                None => CellOutcome::text("No cell has been compiled yet."),
            },
        }
    }
}

pub struct Opt;

static OPT: Usage = Usage {
    name: ":opt",
    synopsis: ":opt [0|1|2|3]",
    help: "the cells' optimisation level (2 by default); with no level, the level in force",
};

impl Directive for Opt {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&OPT)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        let level = match args.trim() {
            "" => None,
            level => match level.parse::<u8>() {
                Ok(level) if level <= 3 => Some(level),
                _ => return Err(usage.error(format!("`{level}` is not an optimisation level: 0, 1, 2 or 3"))),
            },
        };
        Ok(Box::new(Optimise { level }))
    }

    fn complete_argument(&self, word: &str) -> Vec<&'static str> {
        ["0", "1", "2", "3"].into_iter().filter(|l| l.starts_with(word)).collect()
    }
}

#[derive(Debug)]
struct Optimise {
    level: Option<u8>,
}

impl Invocation for Optimise {
    fn run(&self, Context { session, .. }: Context<'_>) -> CellOutcome {
        if let Some(level) = self.level {
            if let Err(e) = session.engine().set_optimization(level) {
                return refused(format!("{e:#}"));
            }
        }
        CellOutcome::text(format!("Optimization: {}", session.engine().optimization()))
    }
}
