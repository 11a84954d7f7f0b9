//! Completion and documentation from rust-analyzer, in a process of its own
//! that the first request starts and idleness stops.
//!
//! Most sessions never complete a name: they pay no memory for an
//! analyser. A session that does starts `rust-analyzer` (the rustup
//! component) on a small project of its own: the session's libraries as
//! dependencies, and one file holding the kept items and a function whose
//! parameters are the session's variables, with their types, around the
//! code being completed. The first request waits for the analyser to load
//! the standard library and the dependencies (seconds); later ones take
//! milliseconds. After [`IDLE`] without a request, the process is ended.

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use lsp_server::{Message, Notification, Request, RequestId};
use lsp_types::{CompletionItem, CompletionResponse, CompletionTextEdit, HoverContents, MarkedString, Position, Uri};
use serde_json::json;

use crate::engine::{Completions, Documentation};
use crate::sync::lock;

/// How long an unused analyser lives.
pub const IDLE: Duration = Duration::from_secs(600);
/// How long the first request waits for the analyser to load the project.
const LOADING: Duration = Duration::from_secs(120);
/// How long a request waits for its answer once loaded.
const ANSWER: Duration = Duration::from_secs(30);
/// The most completions offered.
const MOST: usize = 200;

/// The code to analyse: what surrounds the cell's code in the file.
pub struct Context<'a> {
    /// The items kept from earlier cells.
    pub items: Vec<&'a str>,
    /// The session's variables, `(name, type as Rust)`.
    pub variables: Vec<(&'a str, &'a str)>,
}

/// The analyser of one session.
pub struct Analyzer {
    project: PathBuf,
    /// The dependencies' manifest lines and cargo config, to write the
    /// project with.
    manifest: String,
    config: String,
    server: Arc<Mutex<Option<Server>>>,
}

struct Server {
    child: Child,
    /// The project's file the code is written into.
    file: Uri,
    input: BufWriter<ChildStdin>,
    messages: Receiver<Message>,
    next_id: i32,
    version: i32,
    last_used: Instant,
}

impl Analyzer {
    /// An analyser for the project in `project` (written on first use),
    /// depending on `dependencies` (`name = specification` lines), with
    /// `config` as its `.cargo/config.toml`.
    pub fn new(project: PathBuf, dependencies: &[String], config: String) -> Analyzer {
        let lines: String = dependencies.iter().map(|d| format!("{d}\n")).collect();
        let manifest = format!(
            "[package]\nname = \"ndlens-analysis\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n{lines}"
        );
        let server: Arc<Mutex<Option<Server>>> = Arc::default();
        let watched = Arc::downgrade(&server);
        std::thread::Builder::new()
            .name("ndlens-analyzer-idle".into())
            .spawn(move || loop {
                std::thread::sleep(Duration::from_secs(15));
                let Some(server) = watched.upgrade() else { return };
                let mut server = lock(&server);
                if server.as_ref().is_some_and(|s| s.last_used.elapsed() > IDLE) {
                    // Dropping it ends the process and frees its memory.
                    *server = None;
                }
            })
            .expect("spawning the analyser's idle watch");
        Analyzer { project, manifest, config, server }
    }

    /// Completions for `code` at byte `cursor`.
    pub fn complete(&self, context: &Context, code: &str, cursor: usize) -> Result<Completions> {
        let (text, first_line) = document(context, code);
        let position = position(code, cursor, first_line);
        let result = self.ask("textDocument/completion", &text, position)?;
        let items = match serde_json::from_value::<Option<CompletionResponse>>(result)? {
            Some(CompletionResponse::Array(items)) => items,
            Some(CompletionResponse::List(list)) => list.items,
            None => Vec::new(),
        };
        Ok(completions(items, code, cursor, first_line))
    }

    /// Documentation of what is at byte `cursor` of `code`.
    pub fn hover(&self, context: &Context, code: &str, cursor: usize) -> Result<Option<Documentation>> {
        let (text, first_line) = document(context, code);
        let result = self.ask("textDocument/hover", &text, position(code, cursor, first_line))?;
        let Some(hover) = serde_json::from_value::<Option<lsp_types::Hover>>(result)? else { return Ok(None) };
        let markdown = match hover.contents {
            HoverContents::Markup(markup) => markup.value,
            HoverContents::Scalar(text) => marked(text),
            HoverContents::Array(texts) => texts.into_iter().map(marked).collect::<Vec<_>>().join("\n\n"),
        };
        if markdown.trim().is_empty() {
            return Ok(None);
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&markdown));
        Ok(Some(Documentation { text: markdown, html }))
    }

    /// Asks `method` about `text` at `position`, starting the server first
    /// if it is not running.
    fn ask(&self, method: &str, text: &str, position: Position) -> Result<serde_json::Value> {
        let mut server = lock(&self.server);
        if server.is_none() {
            *server = Some(self.start()?);
        }
        let running = server.as_mut().expect("started");
        let answer = running.ask(method, text, position);
        if answer.is_err() {
            // A server that failed once is started afresh next time.
            *server = None;
        }
        answer
    }

    fn start(&self) -> Result<Server> {
        let started = Instant::now();
        write_project(&self.project, &self.manifest, &self.config)?;
        let mut child = Command::new("rust-analyzer")
            .current_dir(&self.project)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting rust-analyzer: install it with `rustup component add rust-analyzer`")?;
        let input = BufWriter::new(child.stdin.take().expect("piped"));
        let output = child.stdout.take().expect("piped");
        let (sender, messages) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("ndlens-analyzer".into())
            .spawn(move || {
                let mut output = BufReader::new(output);
                while let Ok(Some(message)) = Message::read(&mut output) {
                    if sender.send(message).is_err() {
                        return;
                    }
                }
            })
            .expect("spawning the analyser's reader");
        let file = server_file(&self.project)?;
        let mut server =
            Server { child, file: file.clone(), input, messages, next_id: 0, version: 0, last_used: Instant::now() };
        let root = uri(&self.project)?;
        server.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root,
                "capabilities": {
                    "general": { "positionEncodings": ["utf-8"] },
                    "textDocument": {
                        "completion": { "completionItem": { "snippetSupport": false } },
                        "hover": { "contentFormat": ["markdown", "plaintext"] }
                    },
                    "experimental": { "serverStatusNotification": true }
                },
                "initializationOptions": {
                    "cargo": { "buildScripts": { "enable": false } },
                    "procMacro": { "enable": false },
                    "checkOnSave": false,
                    "cachePriming": { "enable": false },
                    "diagnostics": { "enable": false },
                    "completion": { "autoimport": { "enable": false }, "postfix": { "enable": false } }
                }
            }),
            ANSWER,
        )?;
        server.notify("initialized", json!({}))?;
        server.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": file, "languageId": "rust", "version": 0, "text": "" } }),
        )?;
        server.wait_until_loaded()?;
        eprintln!("ndlens: rust-analyzer ready in {:.2?}", started.elapsed());
        Ok(server)
    }
}

impl Server {
    fn ask(&mut self, method: &str, text: &str, position: Position) -> Result<serde_json::Value> {
        self.last_used = Instant::now();
        self.version += 1;
        let file = self.file.clone();
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": file, "version": self.version },
                "contentChanges": [{ "text": text }]
            }),
        )?;
        self.request(method, json!({ "textDocument": { "uri": file }, "position": position }), ANSWER)
    }

    fn send(&mut self, message: Message) -> Result<()> {
        message.write(&mut self.input).context("writing to rust-analyzer")?;
        self.input.flush().context("writing to rust-analyzer")
    }

    fn notify(&mut self, method: &str, params: serde_json::Value) -> Result<()> {
        self.send(Message::Notification(Notification::new(method.to_string(), params)))
    }

    fn request(&mut self, method: &str, params: serde_json::Value, wait: Duration) -> Result<serde_json::Value> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Message::Request(Request::new(id.clone(), method.to_string(), params)))?;
        let deadline = Instant::now() + wait;
        loop {
            match self.receive(deadline)? {
                Message::Response(response) if response.id == id => {
                    if let Some(error) = response.error {
                        bail!("rust-analyzer answered {method} with an error: {}", error.message);
                    }
                    return Ok(response.result.unwrap_or(serde_json::Value::Null));
                }
                Message::Request(request) => self.refuse(request)?,
                _ => {}
            }
        }
    }

    /// Waits for the analyser to say it has loaded the project: quiescent
    /// after having been busy (it says quiescent once before it starts).
    fn wait_until_loaded(&mut self) -> Result<()> {
        let deadline = Instant::now() + LOADING;
        let mut busy = false;
        loop {
            match self.receive(deadline)? {
                Message::Notification(n) if n.method == "experimental/serverStatus" => {
                    match n.params["quiescent"].as_bool() {
                        Some(false) => busy = true,
                        Some(true) if busy => return Ok(()),
                        _ => {}
                    }
                }
                Message::Request(request) => self.refuse(request)?,
                _ => {}
            }
        }
    }

    /// The server's own requests (progress tokens, configuration) are
    /// answered with nothing.
    fn refuse(&mut self, request: Request) -> Result<()> {
        let response = lsp_server::Response::new_ok(request.id, serde_json::Value::Null);
        self.send(Message::Response(response))
    }

    fn receive(&mut self, deadline: Instant) -> Result<Message> {
        match self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(message) => Ok(message),
            Err(RecvTimeoutError::Timeout) => Err(anyhow!("rust-analyzer did not answer in time")),
            Err(RecvTimeoutError::Disconnected) => Err(anyhow!("rust-analyzer stopped")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The file of the project the analyser reads as the cell.
fn server_file(project: &Path) -> Result<Uri> {
    uri(&project.join("src/lib.rs"))
}

fn uri(path: &Path) -> Result<Uri> {
    Uri::from_str(&format!("file://{}", path.display()))
        .map_err(|e| anyhow!("{} is not a file URI: {e}", path.display()))
}

fn marked(text: MarkedString) -> String {
    match text {
        MarkedString::String(text) => text,
        MarkedString::LanguageString(code) => format!("```{}\n{}\n```", code.language, code.value),
    }
}

fn write_project(project: &Path, manifest: &str, config: &str) -> Result<()> {
    std::fs::create_dir_all(project.join("src"))?;
    std::fs::create_dir_all(project.join(".cargo"))?;
    std::fs::write(project.join("Cargo.toml"), manifest)?;
    std::fs::write(project.join(".cargo/config.toml"), config)?;
    std::fs::write(project.join("src/lib.rs"), "")?;
    Ok(())
}

/// The file the analyser reads: the items, then the code inside a function
/// whose parameters are the session's variables; and the line the code
/// starts on.
fn document(context: &Context, code: &str) -> (String, u32) {
    let mut text = String::from("#![allow(unused)]\n");
    for item in &context.items {
        text.push_str(item);
        text.push('\n');
    }
    let parameters: Vec<String> = context.variables.iter().map(|(name, ty)| format!("mut {name}: {ty}")).collect();
    text.push_str(&format!("fn __ndlens_cell({}) {{\n", parameters.join(", ")));
    let first_line = text.matches('\n').count() as u32;
    text.push_str(code);
    text.push_str("\n}\n");
    (text, first_line)
}

/// Byte `cursor` of `code` as a position in the document (UTF-8 columns).
fn position(code: &str, cursor: usize, first_line: u32) -> Position {
    let before = &code[..cursor.min(code.len())];
    let line = before.matches('\n').count() as u32;
    let column = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1);
    Position::new(first_line + line, column as u32)
}

/// The byte of `code` at a document position, when it is in the code.
fn byte_of(code: &str, position: Position, first_line: u32) -> Option<usize> {
    let line = position.line.checked_sub(first_line)? as usize;
    let start: usize = code.split_inclusive('\n').take(line).map(str::len).sum();
    let text = code[start..].split('\n').next()?;
    (position.character as usize <= text.len()).then_some(start + position.character as usize)
}

fn completions(mut items: Vec<CompletionItem>, code: &str, cursor: usize, first_line: u32) -> Completions {
    items.sort_by(|a, b| a.sort_text.as_ref().unwrap_or(&a.label).cmp(b.sort_text.as_ref().unwrap_or(&b.label)));
    let word_start = code[..cursor].rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    let mut range = (word_start, cursor);
    let mut matches = Vec::new();
    for item in items.into_iter().take(MOST) {
        let text = match &item.text_edit {
            Some(CompletionTextEdit::Edit(edit)) => {
                if let (Some(start), Some(end)) =
                    (byte_of(code, edit.range.start, first_line), byte_of(code, edit.range.end, first_line))
                {
                    range = (start, end.max(cursor));
                }
                edit.new_text.clone()
            }
            Some(CompletionTextEdit::InsertAndReplace(edit)) => edit.new_text.clone(),
            None => item.insert_text.clone().unwrap_or(item.label.clone()),
        };
        if !matches.contains(&text) {
            matches.push(text);
        }
    }
    // The analyser matches loosely (`su` finds `mapv_into`); what starts
    // with what was typed comes first, in the analyser's order.
    let typed = &code[range.0.min(cursor)..cursor];
    matches.sort_by_key(|m| !m.starts_with(typed));
    Completions { matches, start: range.0, end: range.1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_sits_in_a_function_of_the_variables() {
        let context = Context { items: vec!["struct P;"], variables: vec![("a", "Vec<u8>")] };
        let (text, first_line) = document(&context, "a.le");
        assert_eq!(text, "#![allow(unused)]\nstruct P;\nfn __ndlens_cell(mut a: Vec<u8>) {\na.le\n}\n");
        assert_eq!(first_line, 3);
        let at = position("let x = 1;\na.le", 15, first_line);
        assert_eq!((at.line, at.character), (4, 4));
        assert_eq!(byte_of("let x = 1;\na.le", at, first_line), Some(15));
        assert_eq!(byte_of("a", Position::new(1, 0), first_line), None);
    }
}
