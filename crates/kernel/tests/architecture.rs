//! The house's rules, checked: no import circle between the modules of any
//! crate of the workspace, none between its crates, and `ARCHITECTURE.md`
//! naming only paths that exist, every room of the kernel among them.
//!
//! A module depends on another when it names it: in a `use` or in a path in
//! its code (`crate::engine::slots::acquire()`, `super::Usage`, or through
//! a name a `use` brought in), followed through re-exports to where the
//! item is defined. A module's own descendants are not counted against it:
//! a folder's `mod.rs` is the room's front door, which declares, wires and
//! re-exports the files behind it, and they may use what it defines
//! (`super::Footprint` in `crates/lens/src/sharing/`). Every other circle
//! counts: between rooms, and between the files of one room. Paths are read
//! with syn, as the compiler reads them; what macros expand to is not seen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's absolute path in its crate: `["session", "views"]`.
type ModulePath = Vec<String>;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the workspace root")
}

/// Every crate of the workspace: its name and its `src` folder.
fn crates() -> Vec<(String, PathBuf)> {
    let root = workspace_root();
    ["lens", "runtime", "kernel"]
        .iter()
        .map(|name| (name.to_string(), root.join("crates").join(name).join("src")))
        .collect()
}

/// The file modules of the crate in `src`, by path.
fn file_modules(src: &Path) -> BTreeMap<ModulePath, PathBuf> {
    let mut modules = BTreeMap::new();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.expect("reading the sources");
        let file = entry.path();
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = file.strip_prefix(src).unwrap();
        let mut path: ModulePath = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
        let last = path.pop().unwrap();
        match last.as_str() {
            "lib.rs" | "main.rs" if path.is_empty() => {}
            "mod.rs" => {}
            name => path.push(name.trim_end_matches(".rs").to_string()),
        }
        modules.insert(path, file.to_path_buf());
    }
    modules
}

/// What a crate's modules bring in with `use`: for each module (inline
/// ones too), each name bound and the path it was given, as written.
#[derive(Default)]
struct Bindings {
    modules: BTreeSet<ModulePath>,
    names: BTreeMap<ModulePath, BTreeMap<String, Vec<String>>>,
}

/// The paths of a `use` tree, each with the name it binds (`None` for a
/// glob).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => out.push((prefix.clone(), prefix.last().cloned())),
        syn::UseTree::Name(n) => {
            out.push(([prefix.clone(), vec![n.ident.to_string()]].concat(), Some(n.ident.to_string())))
        }
        syn::UseTree::Rename(r) => {
            let path =
                if r.ident == "self" { prefix.clone() } else { [prefix.clone(), vec![r.ident.to_string()]].concat() };
            out.push((path, Some(r.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(g) => g.items.iter().for_each(|item| use_paths(item, prefix, out)),
    }
}

impl Bindings {
    /// `segments`, written in module `scope`, as the absolute path of the
    /// module it names or names an item of; `None` outside the crate.
    fn resolve(&self, scope: &[String], segments: &[String], depth: usize) -> Option<ModulePath> {
        let (first, rest) = segments.split_first()?;
        let (mut at, rest): (ModulePath, &[String]) = match first.as_str() {
            "crate" => (Vec::new(), rest),
            "self" => (scope.to_vec(), rest),
            "super" => {
                let mut at = scope.to_vec();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    at.pop();
                    rest = &rest[1..];
                }
                (at, rest)
            }
            _ => (scope.to_vec(), segments),
        };
        let relative = !matches!(first.as_str(), "crate" | "self" | "super");
        for (i, segment) in rest.iter().enumerate() {
            let child = [at.clone(), vec![segment.clone()]].concat();
            if self.modules.contains(&child) {
                at = child;
                continue;
            }
            let bound = self.names.get(&at).and_then(|names| names.get(segment));
            return match bound {
                Some(target) if depth < 16 => {
                    let target = [target.clone(), rest[i + 1..].to_vec()].concat();
                    self.resolve(&at, &target, depth + 1).or(Some(at))
                }
                // A name a relative path starts with that is no module
                // and no `use` of this one: another crate, or std.
                _ if relative && i == 0 => None,
                _ => Some(at),
            };
        }
        Some(at)
    }
}

/// Gathers the modules and `use` bindings of one file.
struct Gather<'a> {
    scope: ModulePath,
    bindings: &'a mut Bindings,
}

impl<'ast> Visit<'ast> for Gather<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.scope.push(item.ident.to_string());
            self.bindings.modules.insert(self.scope.clone());
            syn::visit::visit_item_mod(self, item);
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for (path, binding) in paths {
            if let Some(name) = binding {
                self.bindings.names.entry(self.scope.clone()).or_default().insert(name, path);
            }
        }
    }
}

/// What one file's code names, as absolute paths of modules.
struct Names<'a> {
    bindings: &'a Bindings,
    scope: ModulePath,
    named: Vec<ModulePath>,
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.scope.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut paths);
        for (path, _) in paths {
            self.named.extend(self.bindings.resolve(&self.scope, &path, 0));
        }
    }

    // `pub(crate)` and `pub(super)` say who may see an item, not what it
    // uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.named.extend(self.bindings.resolve(&self.scope, &segments, 0));
        syn::visit::visit_path(self, path);
    }
}

/// The file modules each file module depends on.
fn module_graph(src: &Path) -> BTreeMap<ModulePath, BTreeSet<ModulePath>> {
    let modules = file_modules(src);
    let parsed: BTreeMap<&ModulePath, syn::File> = modules
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            (module, syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
        })
        .collect();
    let mut bindings = Bindings { modules: modules.keys().cloned().collect(), ..Bindings::default() };
    for (module, syntax) in &parsed {
        Gather { scope: (*module).clone(), bindings: &mut bindings }.visit_file(syntax);
    }
    let mut graph = BTreeMap::new();
    for (module, syntax) in &parsed {
        let mut names = Names { bindings: &bindings, scope: (*module).clone(), named: Vec::new() };
        names.visit_file(syntax);
        let depends: BTreeSet<ModulePath> = names
            .named
            .iter()
            .filter_map(|path| (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains_key(p)))
            // A module's own children are its rooms: it declares, wires and
            // re-exports them, and they may use what it defines.
            .filter(|target| !target.starts_with(module))
            .collect();
        graph.insert((*module).clone(), depends);
    }
    graph
}

/// The circles of `graph`: its strongly connected components of more than
/// one node (Tarjan's algorithm).
fn circles<T: Ord + Clone>(graph: &BTreeMap<T, BTreeSet<T>>) -> Vec<Vec<T>> {
    struct Walk<'g, T> {
        graph: &'g BTreeMap<T, BTreeSet<T>>,
        index: BTreeMap<T, usize>,
        low: BTreeMap<T, usize>,
        stack: Vec<T>,
        found: Vec<Vec<T>>,
    }
    impl<T: Ord + Clone> Walk<'_, T> {
        fn visit(&mut self, node: &T) {
            let number = self.index.len();
            self.index.insert(node.clone(), number);
            self.low.insert(node.clone(), number);
            self.stack.push(node.clone());
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node.clone(), low);
                } else if self.stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node.clone(), low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self.stack.iter().position(|n| n == node).unwrap();
                let component = self.stack.split_off(at);
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut found = Vec::new();
    for (name, src) in crates() {
        for circle in circles(&module_graph(&src)) {
            let names: Vec<String> =
                circle.iter().map(|m| if m.is_empty() { "(root)".into() } else { m.join("::") }).collect();
            found.push(format!("{name}: {}", names.join(" -> ")));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_circle_finder_finds_circles() {
    let graph: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::from([
        (1, BTreeSet::from([2])),
        (2, BTreeSet::from([3])),
        (3, BTreeSet::from([1, 4])),
        (4, BTreeSet::new()),
    ]);
    let mut found = circles(&graph);
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, vec![vec![1, 2, 3]]);
    assert!(circles(&BTreeMap::from([(1u8, BTreeSet::from([2])), (2, BTreeSet::new())])).is_empty());
}

#[test]
fn the_reader_sees_uses_reexports_and_paths_in_code() {
    let src = std::env::temp_dir().join(format!("ndlens-architecture-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\nmod c;\npub use a::Thing;\n").unwrap();
    std::fs::write(src.join("a/mod.rs"), "mod inner;\npub use inner::Thing;\n").unwrap();
    std::fs::write(
        src.join("a/inner.rs"),
        "use super::super::b;\npub struct Thing;\nfn f() { b::g(); }\npub(crate) fn v() {}\n",
    )
    .unwrap();
    std::fs::write(src.join("b.rs"), "pub fn g() { crate::c::h(); let _ = crate::Thing; }\n").unwrap();
    std::fs::write(
        src.join("c.rs"),
        "use crate::a::{self};\npub fn h() {}\nmod t { fn x() { let _ = super::a::Thing; } }\n",
    )
    .unwrap();
    let graph = module_graph(&src);
    let path = |s: &str| s.split("::").map(str::to_string).collect::<ModulePath>();
    // Through the re-exports, to where `Thing` is defined.
    assert_eq!(graph[&Vec::new()], BTreeSet::new(), "the root's own rooms are not counted against it");
    assert_eq!(graph[&path("a")], BTreeSet::new());
    assert_eq!(graph[&path("a::inner")], BTreeSet::from([path("b")]));
    assert_eq!(graph[&path("b")], BTreeSet::from([path("c"), path("a::inner")]));
    assert_eq!(graph[&path("c")], BTreeSet::from([path("a"), path("a::inner")]));
    let mut found = circles(&graph);
    found.iter_mut().for_each(|c| c.sort());
    assert_eq!(found, vec![vec![path("a::inner"), path("b"), path("c")]]);
    std::fs::remove_dir_all(&src).unwrap();
}

#[test]
fn no_crate_depends_on_one_that_depends_on_it() {
    let root = workspace_root();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, src) in crates() {
        let manifest = std::fs::read_to_string(src.parent().unwrap().join("Cargo.toml")).unwrap();
        // Path dependencies are the only ones between the workspace's crates.
        let depends = manifest
            .lines()
            .filter_map(|line| {
                line.split_once("path = \"../").map(|(_, rest)| rest.split('"').next().unwrap().to_string())
            })
            .collect();
        graph.insert(name, depends);
    }
    assert!(graph.values().flatten().all(|d| root.join("crates").join(d).is_dir()), "{graph:?}");
    assert!(circles(&graph).is_empty(), "{graph:?}");
}

/// The spans in backquotes of `text` that are paths in the tree (with a
/// slash or a file extension, no spaces, no Rust path separator), from the
/// root. A bare file name is in the folder named last before it.
fn named_paths(text: &str) -> Vec<String> {
    let mut folder = String::new();
    let mut paths = Vec::new();
    let spans = text.split('`').skip(1).step_by(2).filter(|span| !span.contains([' ', ':', '%', '*', '<', '(', '=']));
    for span in spans {
        let is_file = [".rs", ".py", ".md", ".toml", ".ipynb", ".json"].iter().any(|e| span.ends_with(e));
        if span.contains('/') {
            let path = span.trim_end_matches('/');
            folder = if span.ends_with('/') { path.to_string() } else { path.rsplit_once('/').unwrap().0.to_string() };
            paths.push(path.to_string());
        } else if is_file {
            paths.push(if folder.is_empty() || span.ends_with(".md") {
                span.to_string()
            } else {
                format!("{folder}/{span}")
            });
        }
    }
    paths
}

#[test]
fn every_path_the_architecture_names_exists() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md at the root");
    let named = named_paths(&text);
    assert!(named.len() > 20, "{named:?}");
    let missing: Vec<&String> = named.iter().filter(|path| !root.join(path).exists()).collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
}

#[test]
fn the_architecture_names_every_room_of_the_kernel() {
    let root = workspace_root();
    let named: BTreeSet<String> =
        named_paths(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap()).into_iter().collect();
    let src = root.join("crates/kernel/src");
    let unnamed: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|entry| format!("crates/kernel/src/{}", entry.unwrap().file_name().to_string_lossy()))
        .filter(|room| !named.contains(room))
        .collect();
    assert!(unnamed.is_empty(), "rooms ARCHITECTURE.md does not name: {unnamed:?}");
}

#[test]
fn paths_are_told_from_other_spans() {
    let text =
        "`README.md`, the `crates/kernel/src/session/` room: `views.rs`; `crates/kernel/src/cell.rs`, `%timeit`, \
                `crate::engine`, `a b/c`, `syntax.rs`, `Session`";
    assert_eq!(
        named_paths(text),
        [
            "README.md",
            "crates/kernel/src/session",
            "crates/kernel/src/session/views.rs",
            "crates/kernel/src/cell.rs",
            "crates/kernel/src/syntax.rs"
        ]
    );
}
