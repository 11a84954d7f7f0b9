//! The debugger protocol (`debug_request` on the control channel, a Debug
//! Adapter Protocol request inside), as much of it as JupyterLab's debugger
//! sidebar needs for its Variables panel and "Render Variable".
//!
//! Cells cannot stop yet: breakpoints are answered unverified, no thread
//! is ever stopped, and every request the kernel does not implement is
//! answered `success: false` with a message saying so, since JupyterLab
//! waits for every reply. The variables are the session's, read by one
//! generated cell when the session is idle ([`snapshot`]); while a cell
//! runs, the last reading is answered at once and says it is from before
//! that cell.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;

use ndlens_runtime::content::VARIABLES_MIME;
use ndlens_runtime::inspect::{Reading, Readings};
use serde_json::{json, Value};

use super::Kernel;
use crate::session::variables::Variable;
use crate::session::{emit_statement, Session};
use crate::sync::lock;

/// What `debugInfo` says cells are hashed with, and the seed.
const HASH_SEED: u32 = 0x6e64_6c73;
/// What `dumpCell` names a cell's file with, around its hash.
const FILE_SUFFIX: &str = ".rs";

/// One of the session's variables, as the Variables panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct DebugVariable {
    pub name: String,
    /// The start of its `Debug` text, or its type's name.
    pub value: String,
    /// Its type; for an array, the columns a student compares.
    pub ty: String,
    /// For an array, its layout's fields, opened from the panel.
    pub parts: Vec<(String, String)>,
}

/// The debugger's state, beside the kernel's.
pub struct Debugger {
    started: AtomicBool,
    seq: AtomicI64,
    /// The variables as last read, answered while a cell runs.
    known: Mutex<Vec<DebugVariable>>,
    folder: PathBuf,
}

impl Default for Debugger {
    fn default() -> Debugger {
        Debugger {
            started: AtomicBool::new(false),
            seq: AtomicI64::new(0),
            known: Mutex::new(Vec::new()),
            folder: std::env::temp_dir().join(format!("ndlens-debug-{}", std::process::id())),
        }
    }
}

/// Why a request failed, for the response's `message`.
type Answer = Result<Value, String>;

impl Debugger {
    /// The DAP response to `request`, a DAP request object.
    pub async fn answer(&self, kernel: &Kernel, request: &Value) -> Value {
        let command = request["command"].as_str().unwrap_or("");
        let arguments = &request["arguments"];
        let answer = match command {
            "debugInfo" => Ok(self.info()),
            "initialize" => Ok(capabilities()),
            "attach" => {
                self.started.store(true, Ordering::SeqCst);
                kernel.engine.note_views(true);
                Ok(json!({}))
            }
            "disconnect" => {
                self.started.store(false, Ordering::SeqCst);
                kernel.engine.note_views(false);
                Ok(json!({}))
            }
            "configurationDone" => Ok(json!({})),
            "setExceptionBreakpoints" => Ok(json!({ "breakpoints": [] })),
            "dumpCell" => self.dump_cell(arguments),
            "setBreakpoints" => Ok(unverified(arguments)),
            "modules" => Ok(json!({ "modules": [], "totalModules": 0 })),
            "inspectVariables" => Ok(self.inspect(kernel).await),
            "variables" => self.parts(arguments),
            "richInspectVariables" => rich(kernel, arguments).await,
            "" => Err("a debug request is a DAP request object with a `command`; this one has none".into()),
            other => Err(format!("ndlens does not support the debugger request `{other}`: it shows variables and does not stop cells yet")),
        };
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut response = json!({
            "seq": seq,
            "type": "response",
            "request_seq": request["seq"],
            "command": command,
            "success": answer.is_ok(),
        });
        match answer {
            Ok(body) => response["body"] = body,
            Err(message) => {
                response["message"] = json!(message);
                response["body"] = json!({});
            }
        }
        response
    }

    fn info(&self) -> Value {
        json!({
            "isStarted": self.started.load(Ordering::SeqCst),
            "hashMethod": "Murmur2",
            "hashSeed": HASH_SEED,
            "tmpFilePrefix": format!("{}/", self.folder.display()),
            "tmpFileSuffix": FILE_SUFFIX,
            "breakpoints": [],
            "stoppedThreads": [],
            "richRendering": true,
            "exceptionPaths": [],
            "copyToGlobals": false,
        })
    }

    /// Where `dumpCell` writes `code`: named by its hash, as JupyterLab
    /// computes it to find the cell's source again.
    pub fn cell_path(&self, code: &str) -> PathBuf {
        let hash = murmur2::murmur2(code.as_bytes(), HASH_SEED);
        self.folder.join(format!("{hash}{FILE_SUFFIX}"))
    }

    fn dump_cell(&self, arguments: &Value) -> Answer {
        let code = arguments["code"].as_str().ok_or("dumpCell needs the cell's `code`")?;
        let path = self.cell_path(code);
        std::fs::create_dir_all(&self.folder)
            .and_then(|()| std::fs::write(&path, code))
            .map_err(|e| format!("writing the cell to {}: {e}", path.display()))?;
        Ok(json!({ "sourcePath": path.display().to_string() }))
    }

    /// The session's variables: read now when the session is idle, else
    /// the last reading, said to be from before the running cell.
    async fn inspect(&self, kernel: &Kernel) -> Value {
        let busy = kernel.engine.is_busy();
        let mut variables = if busy {
            lock(&self.known).clone()
        } else {
            match kernel.engine.run(snapshot).await {
                Ok(variables) => {
                    *lock(&self.known) = variables.clone();
                    variables
                }
                Err(_) => Vec::new(),
            }
        };
        if busy {
            for v in &mut variables {
                v.value = format!("{} (before the running cell)", v.value);
            }
        }
        let listed: Vec<Value> = variables
            .iter()
            .enumerate()
            .map(|(i, v)| {
                json!({
                    "name": v.name,
                    "value": v.value,
                    "type": v.ty,
                    "evaluateName": v.name,
                    "variablesReference": if v.parts.is_empty() { 0 } else { i + 1 },
                })
            })
            .collect();
        json!({ "variables": listed })
    }

    /// An array's layout fields, by the reference `inspectVariables` gave.
    fn parts(&self, arguments: &Value) -> Answer {
        let reference = arguments["variablesReference"].as_u64().ok_or("`variables` needs a `variablesReference`")?;
        let known = lock(&self.known);
        let variable = known
            .get((reference as usize).wrapping_sub(1))
            .ok_or_else(|| format!("no variable has the reference {reference}: inspect the variables again"))?;
        let parts: Vec<Value> = variable
            .parts
            .iter()
            .map(|(name, value)| json!({ "name": name, "value": value, "type": "", "variablesReference": 0 }))
            .collect();
        Ok(json!({ "variables": parts }))
    }
}

fn capabilities() -> Value {
    json!({
        "supportsConfigurationDoneRequest": true,
        "supportsVariableType": true,
        "supportsSetVariable": false,
        "supportsConditionalBreakpoints": false,
        "supportsExceptionInfoRequest": false,
        "supportsModulesRequest": true,
        "exceptionBreakpointFilters": [],
    })
}

/// `setBreakpoints`: each breakpoint asked for, not verified.
fn unverified(arguments: &Value) -> Value {
    let breakpoints: Vec<Value> = arguments["breakpoints"]
        .as_array()
        .map(|asked| {
            asked
                .iter()
                .map(|b| {
                    json!({
                        "verified": false,
                        "line": b["line"],
                        "message": "ndlens does not stop at breakpoints yet",
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({ "breakpoints": breakpoints })
}

/// The code that reads `variables` for the panel where their types are
/// known: it prints their [`Readings`] as one block.
fn reading_code(variables: &[&Variable]) -> String {
    let mut code = String::from(
        "{\n    #[allow(unused_imports)]\n    use ndlens_runtime::inspect::{ViaArrayDisplay as _, ViaDebug as _, ViaTypeName as _};\n    \
         let mut __ndlens_readings = ndlens_runtime::inspect::Readings::default();\n",
    );
    for variable in variables {
        let name = variable.name();
        let layout = if variable.is_array() { format!("Some(&ndlens::layout(&{name}))") } else { "None".into() };
        code.push_str(&format!(
            "    __ndlens_readings.add({name:?}, (&&&ndlens_runtime::inspect::Probe(&{name})).short_value(), {layout});\n"
        ));
    }
    code.push_str(&format!("    {}\n}}", emit_statement(VARIABLES_MIME, "__ndlens_readings")));
    code
}

/// `C`, `F`, both or neither, as NumPy's flags say it.
fn order(c: bool, f: bool) -> &'static str {
    match (c, f) {
        (true, true) => "C and F",
        (true, false) => "C",
        (false, true) => "F",
        (false, false) => "neither C nor F",
    }
}

/// The session's variables read in the session: kept values of common
/// types and noted views by the engine, without compiling; the rest by one
/// generated cell. Names and types alone for what neither could read.
fn snapshot(session: &mut Session) -> Vec<DebugVariable> {
    let variables = session.variables();
    let mut readings = session.read_without_compiling();
    let unread: Vec<&Variable> = variables.iter().filter(|v| !readings.contains_key(v.name())).collect();
    if !unread.is_empty() {
        let evaluation = session.eval_reading(&reading_code(&unread));
        // The reading is the kernel's, not the next cell's compilation.
        session.take_compilations();
        let read = evaluation.outputs.get(VARIABLES_MIME).and_then(|json| serde_json::from_str::<Readings>(json).ok());
        readings.extend(read.map(|r| r.0).unwrap_or_default());
    }
    variables.iter().map(|variable| shown(variable, readings.get(variable.name()))).collect()
}

/// `variable` as the panel lists it, from its reading.
fn shown(variable: &Variable, reading: Option<&Reading>) -> DebugVariable {
    let name = variable.name().to_string();
    let kind = match variable {
        Variable::View { .. } => "view",
        Variable::Value { ty, .. } if ty.contains("ViewRepr") => "view",
        Variable::Value { ty, .. } if ty.contains("CowRepr") => "view or copy",
        Variable::Value { ty, .. } if ty.contains("OwnedArcRepr") => "shared owner",
        Variable::Value { .. } => "owner",
    };
    let value = reading.map_or_else(|| "(not read)".to_string(), |r| r.value.clone());
    let Some(array) = reading.and_then(|r| r.array.as_ref()) else {
        return DebugVariable { name, value, ty: variable.display_type(), parts: Vec::new() };
    };
    let order = order(array.c_contiguous, array.f_contiguous);
    let short_elem = array.element.rsplit("::").next().unwrap_or(&array.element).to_string();
    let (shape, strides) = (format!("{:?}", array.shape), format!("{:?}", array.strides));
    let ty = format!("{short_elem} {shape} strides {strides} {order} {kind}");
    let parts = vec![
        ("element type".into(), array.element.clone()),
        ("shape".into(), shape),
        ("strides (bytes)".into(), strides),
        ("order".into(), order.into()),
        ("owns its buffer".into(), if kind.ends_with("owner") { "yes" } else { "no" }.into()),
        ("type".into(), variable.display_type()),
    ];
    DebugVariable { name, value, ty, parts }
}

/// `richInspectVariables`: an array as its memory-layout diagram with its
/// layout table, any other value as the kernel shows it.
async fn rich(kernel: &Kernel, arguments: &Value) -> Answer {
    let name = arguments["variableName"].as_str().ok_or("richInspectVariables needs a `variableName`")?.to_string();
    let shown = kernel
        .engine
        .run(move |session: &mut Session| {
            let variable = session.variables().into_iter().find(|v| v.name() == name);
            let Some(variable) = variable else { return Err(format!("the session has no variable `{name}`")) };
            let code = if variable.is_array() {
                let svg = emit_statement("image/svg+xml", "__ndlens_diagram.to_svg()");
                let html = emit_statement(
                    "text/html",
                    "format!(\"<div class=\\\"ndlens-diagram\\\">{}</div>{}\", __ndlens_diagram.to_svg(), __ndlens_layout.to_html())",
                );
                let text = emit_statement("text/plain", "__ndlens_layout");
                format!(
                    "{{\n    let __ndlens_diagram = ndlens::Diagram::new().add({name:?}, &{name});\n    \
                     let __ndlens_layout = ndlens::layout(&{name});\n    {svg}\n    {html}\n    {text}\n}}"
                )
            } else {
                format!("&{name}")
            };
            let evaluation = session.eval_reading(&code);
            session.take_compilations();
            match evaluation.failure {
                None => Ok(evaluation.outputs),
                Some(_) => Err(format!("`{name}` could not be shown")),
            }
        })
        .await
        .map_err(|e| e.to_string())??;
    Ok(json!({ "data": shown, "metadata": {} }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_by_jupyterlabs_hash() {
        // The values of ipykernel's murmur2_x86, which JupyterLab matches.
        assert_eq!(murmur2::murmur2(b"let a = 1;", 3339675911), 3834902161);
        assert_eq!(murmur2::murmur2(b"", 3339675911), 3990065800);
        assert_eq!(murmur2::murmur2("é x".as_bytes(), 7), 809954025);
        let debugger = Debugger::default();
        let path = debugger.cell_path("let a = 1;");
        assert!(path.starts_with(&debugger.folder) && path.extension().unwrap() == "rs");
    }

    #[test]
    fn breakpoints_are_never_verified() {
        let body = unverified(&json!({ "breakpoints": [{ "line": 3 }, { "line": 7 }] }));
        assert_eq!(body["breakpoints"][1]["line"], 7);
        assert_eq!(body["breakpoints"][0]["verified"], false);
    }

    #[test]
    fn the_reading_cell_takes_every_variable() {
        let variables = vec![
            Variable::Value {
                name: "a".into(),
                ty: "ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>>".into(),
            },
            Variable::Value { name: "n".into(), ty: "i32".into() },
        ];
        let code = reading_code(&variables.iter().collect::<Vec<_>>());
        assert!(
            code.contains("Some(&ndlens::layout(&a))") && code.contains("Probe(&n)).short_value(), None"),
            "{code}"
        );
        assert_eq!(order(false, true), "F");
    }
}
