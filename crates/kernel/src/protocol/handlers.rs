//! One handler per request type.

use std::collections::BTreeMap;

use jupyter_protocol::{
    ClearOutput, CodeMirrorMode, CompleteReply, DebugReply, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply,
    ExecuteRequest, ExecuteResult, ExecutionCount, ExecutionState, ExpressionResult, HelpLink, HistoryReply,
    InspectReply, InterruptReply, IsCompleteReply, IsCompleteReplyStatus, JupyterMessage, JupyterMessageContent,
    KernelInfoReply, LanguageInfo, Media, Payload, ReplyError, ReplyStatus, ShutdownReply, Stdio, StreamContent,
    Transient, UnknownMessage, UpdateDisplayData,
};

use super::comms;
use super::history::History;
use super::Kernel;
use crate::cell::{self, Completeness};
use crate::engine::output::{Answer, Event};
use crate::outcome::{CellOutcome, ErrorReport};

/// What the kernel remembers between requests.
#[derive(Default)]
pub struct SessionState {
    execution_count: usize,
    history: History,
}

/// The shell channel's dispatch table.
pub async fn shell(kernel: &Kernel, request: &JupyterMessage) -> Option<JupyterMessage> {
    let content: JupyterMessageContent = match &request.content {
        JupyterMessageContent::KernelInfoRequest(_) => return Some(kernel_info_message(request)),
        JupyterMessageContent::ExecuteRequest(r) => {
            let (reply, metadata) = execute(kernel, request, r).await;
            let mut reply = JupyterMessage::new(reply, Some(request));
            reply.metadata = metadata;
            return Some(reply);
        }
        JupyterMessageContent::IsCompleteRequest(r) => is_complete(&r.code).into(),
        JupyterMessageContent::CompleteRequest(r) => complete(kernel, &r.code, r.cursor_pos).await.into(),
        JupyterMessageContent::InspectRequest(r) => inspect(kernel, &r.code, r.cursor_pos).await.into(),
        JupyterMessageContent::HistoryRequest(r) => {
            let history = kernel.state.lock().await.history.answer(r);
            HistoryReply { history, status: ReplyStatus::Ok, error: None }.into()
        }
        JupyterMessageContent::CommInfoRequest(r) => comms::info(kernel, r.target_name.as_deref()).into(),
        // Comm messages have no reply.
        JupyterMessageContent::CommMsg(m) => {
            comms::message(kernel, request, m).await;
            return None;
        }
        JupyterMessageContent::CommOpen(o) => {
            comms::open(kernel, request, o);
            return None;
        }
        JupyterMessageContent::CommClose(c) => {
            comms::close(kernel, c);
            return None;
        }
        JupyterMessageContent::ShutdownRequest(r) => {
            ShutdownReply { restart: r.restart, status: ReplyStatus::Ok, error: None }.into()
        }
        other => {
            eprintln!("ndlens: no handler for shell message {}", other.message_type());
            return super::wire::error_reply(request, "the kernel has no such request");
        }
    };
    Some(JupyterMessage::new(content, Some(request)))
}

/// The control channel's dispatch table.
pub async fn control(kernel: &Kernel, request: &JupyterMessage) -> Option<JupyterMessage> {
    let content: JupyterMessageContent = match &request.content {
        JupyterMessageContent::InterruptRequest(_) => {
            kernel.engine.interrupt();
            kernel.router.interrupt_input();
            InterruptReply { status: ReplyStatus::Ok, error: None }.into()
        }
        JupyterMessageContent::ShutdownRequest(r) => {
            ShutdownReply { restart: r.restart, status: ReplyStatus::Ok, error: None }.into()
        }
        JupyterMessageContent::KernelInfoRequest(_) => return Some(kernel_info_message(request)),
        JupyterMessageContent::DebugRequest(r) => {
            // JupyterLab waits for the idle that follows the reply.
            kernel.iopub.status(ExecutionState::Busy, request);
            let response = kernel.debugger.answer(kernel, &r.content).await;
            let reply = JupyterMessage::new(DebugReply { content: response }, Some(request));
            kernel.iopub.status(ExecutionState::Idle, request);
            return Some(reply);
        }
        other => {
            eprintln!("ndlens: no handler for control message {}", other.message_type());
            return super::wire::error_reply(request, "the kernel has no such request");
        }
    };
    Some(JupyterMessage::new(content, Some(request)))
}

/// Ends the kernel after a shutdown reply: the session's process first.
pub async fn exit(kernel: &Kernel) -> ! {
    kernel.engine.kill_process();
    // The sockets write from their own tasks: give the reply and the last
    // status time to leave before the process ends.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    std::process::exit(0)
}

fn kernel_info() -> KernelInfoReply {
    KernelInfoReply {
        status: ReplyStatus::Ok,
        protocol_version: "5.3".into(),
        implementation: "ndlens".into(),
        implementation_version: env!("CARGO_PKG_VERSION").into(),
        language_info: LanguageInfo {
            name: "rust".into(),
            version: env!("NDLENS_RUSTC_VERSION").into(),
            mimetype: Some("text/rust".into()),
            file_extension: Some(".rs".into()),
            pygments_lexer: Some("rust".into()),
            codemirror_mode: Some(CodeMirrorMode::Simple("rust".into())),
            nbconvert_exporter: Some("rust".into()),
        },
        banner: format!(
            "ndlens {}: Rust cells, with ndarray and ndlens loaded. %lsmagic lists the magics, :help the commands.",
            crate::version::VERSION
        ),
        help_links: vec![
            HelpLink { text: "ndarray".into(), url: "https://docs.rs/ndarray/0.17".into() },
            HelpLink { text: "evcxr".into(), url: "https://github.com/evcxr/evcxr".into() },
        ],
        debugger: true,
        error: None,
    }
}

/// The `kernel_info_reply`, with what `jupyter-protocol`'s type has no field
/// for yet: `supported_features` (protocol 5.5), which lists the debugger.
fn kernel_info_message(request: &JupyterMessage) -> JupyterMessage {
    let mut content = serde_json::to_value(kernel_info()).expect("a kernel_info_reply serialises");
    content["supported_features"] = serde_json::json!(["debugger"]);
    let reply = UnknownMessage { msg_type: "kernel_info_reply".into(), content };
    JupyterMessage::new(reply, Some(request))
}

fn media(map: BTreeMap<String, String>) -> Media {
    // Media reads the wire form: a map from mime type to content.
    serde_json::from_value(serde_json::to_value(map).expect("strings serialise")).unwrap_or_default()
}

/// Runs a cell; the reply, and its metadata: `{"ndlens": {"compilations": N}}`,
/// how many times the cell's code was compiled (benchmarks read it).
async fn execute(kernel: &Kernel, request: &JupyterMessage, r: &ExecuteRequest) -> (ExecuteReply, serde_json::Value) {
    let count = {
        let mut state = kernel.state.lock().await;
        if !r.silent && r.store_history {
            state.execution_count += 1;
            let line = state.execution_count;
            state.history.record(line, &r.code);
        }
        state.execution_count
    };
    let count = ExecutionCount::new(count);
    if !r.silent {
        kernel.iopub.publish(ExecuteInput { code: r.code.clone(), execution_count: count }, request);
    }

    // Output printed while the cell runs is published as it comes.
    let (sink, mut events) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let iopub = kernel.iopub.clone();
    let widgets = kernel.widgets.clone();
    let displays = kernel.displays.clone();
    let stdin = kernel.stdin.clone();
    let parent = request.clone();
    let silent = r.silent;
    let publisher = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if silent {
                if let Event::Input { wait, .. } = event {
                    wait.answer(Answer::Refused("a silent request takes no input".into()));
                }
                continue;
            }
            match event {
                Event::Stdout(text) => iopub.publish(StreamContent { name: Stdio::Stdout, text }, &parent),
                Event::Stderr(text) => iopub.publish(StreamContent { name: Stdio::Stderr, text }, &parent),
                Event::Display(data) => iopub.publish(DisplayData::new(media(data)), &parent),
                Event::Displayed { data, id } => {
                    let mut shown = DisplayData::new(media(data));
                    if let Some(id) = id {
                        shown.transient = Some(Transient { display_id: Some(id.clone()) });
                        crate::sync::lock(&displays).insert(id);
                    }
                    iopub.publish(shown, &parent);
                }
                Event::Updated { data, id } => {
                    if crate::sync::lock(&displays).contains(&id) {
                        iopub.publish(UpdateDisplayData::new(media(data), &id), &parent);
                    } else {
                        eprintln!("ndlens: an update of display `{id}`, which was never shown: nothing to update");
                    }
                }
                Event::ClearOutput { wait } => iopub.publish(ClearOutput { wait }, &parent),
                Event::Input { prompt, password, wait } => stdin.ask(prompt, password, wait, &parent).await,
                Event::Explore(explore) => {
                    let (sent, bundle) = crate::explorer::open(&mut crate::sync::lock(&widgets), explore);
                    comms::publish(&iopub, sent, &parent);
                    let bundle = serde_json::from_value(serde_json::Value::Object(bundle)).unwrap_or_default();
                    iopub.publish(DisplayData::new(bundle), &parent);
                }
            }
        }
    });

    kernel.router.set(Some(sink.clone()));
    let router = kernel.router.clone();
    let code = r.code.clone();
    let finished = router.clone();
    let expressions = r.user_expressions.clone().unwrap_or_default();
    let (outcome, expressions, compilations) = kernel
        .engine
        .run(move |engine| {
            engine.take_compilations();
            let outcome = cell::run(engine, &code, &router);
            let compilations = engine.take_compilations();
            // As ipykernel: user expressions are evaluated after a cell that succeeded.
            let expressions = match outcome.error {
                None => cell::user_expressions(engine, &expressions),
                Some(_) => BTreeMap::new(),
            };
            (outcome, expressions, compilations)
        })
        .await
        .unwrap_or_else(|e| {
            (CellOutcome::error(ErrorReport::new("EngineError", e.to_string(), Vec::new())), BTreeMap::new(), 0)
        });
    let metadata = serde_json::json!({ "ndlens": { "compilations": compilations } });
    finished.set(None);
    drop(sink);
    let _ = publisher.await;

    let reply = match outcome.error {
        None => {
            if let (Some(result), false) = (outcome.result, r.silent) {
                if let Some(text) = result.get("text/plain") {
                    kernel.state.lock().await.history.record_output(count.value(), text);
                }
                // `transient` is an object or absent: jupyter-protocol
                // writes `null` for none.
                let transient = Some(Transient { display_id: None });
                kernel.iopub.publish(ExecuteResult { transient, ..ExecuteResult::new(count, media(result)) }, request);
            }
            let user_expressions = expressions
                .into_iter()
                .map(|(name, value)| {
                    let value = match value {
                        Ok(data) => ExpressionResult::Ok { data: media(data), metadata: Default::default() },
                        Err(e) => ExpressionResult::Error { ename: e.ename, evalue: e.evalue, traceback: e.traceback },
                    };
                    (name, value)
                })
                .collect();
            let payload = outcome.page.map(|page| Payload::Page { data: media(page), start: 0 }).into_iter().collect();
            ExecuteReply {
                status: ReplyStatus::Ok,
                execution_count: count,
                payload,
                user_expressions: Some(user_expressions),
                error: None,
            }
        }
        Some(e) => {
            if !r.silent {
                kernel.iopub.publish(
                    ErrorOutput { ename: e.ename.clone(), evalue: e.evalue.clone(), traceback: e.traceback.clone() },
                    request,
                );
            }
            ExecuteReply {
                status: ReplyStatus::Error,
                execution_count: count,
                payload: Vec::new(),
                user_expressions: Some(Default::default()),
                error: Some(Box::new(ReplyError { ename: e.ename, evalue: e.evalue, traceback: e.traceback })),
            }
        }
    };
    (reply, metadata)
}

/// The reply to an execute request skipped after an earlier cell failed.
pub async fn aborted(kernel: &Kernel, request: &JupyterMessage) -> JupyterMessage {
    let count = ExecutionCount::new(kernel.state.lock().await.execution_count);
    let reply = ExecuteReply {
        status: ReplyStatus::Aborted,
        execution_count: count,
        payload: Vec::new(),
        user_expressions: Some(Default::default()),
        error: None,
    };
    JupyterMessage::new(reply, Some(request))
}

/// Whether the code could run as it is, or the front end should wait for
/// more lines.
fn is_complete(code: &str) -> IsCompleteReply {
    match cell::completeness(code) {
        Completeness::Complete => IsCompleteReply::new(IsCompleteReplyStatus::Complete, String::new()),
        Completeness::Incomplete => IsCompleteReply::new(IsCompleteReplyStatus::Incomplete, "    ".into()),
        Completeness::Invalid => IsCompleteReply::new(IsCompleteReplyStatus::Invalid, String::new()),
    }
}

/// Converts a cursor position in characters to bytes.
fn byte_offset(code: &str, chars: usize) -> usize {
    code.char_indices().nth(chars).map_or(code.len(), |(i, _)| i)
}

fn char_offset(code: &str, bytes: usize) -> usize {
    code[..bytes.min(code.len())].chars().count()
}

async fn complete(kernel: &Kernel, code: &str, cursor_chars: usize) -> CompleteReply {
    let cursor = byte_offset(code, cursor_chars);
    let (matches, start, end) = match cell::complete_magic(code, cursor) {
        Some(found) => found,
        None => {
            let owned = code.to_string();
            kernel.engine.run(move |engine| cell::complete_rust(engine, &owned, cursor)).await.unwrap_or((
                Vec::new(),
                cursor,
                cursor,
            ))
        }
    };
    CompleteReply {
        matches,
        cursor_start: char_offset(code, start),
        cursor_end: char_offset(code, end),
        metadata: Default::default(),
        status: ReplyStatus::Ok,
        error: None,
    }
}

async fn inspect(kernel: &Kernel, code: &str, cursor_chars: usize) -> InspectReply {
    let cursor = byte_offset(code, cursor_chars);
    let owned = code.to_string();
    let found = kernel.engine.run(move |engine| cell::inspect(engine, &owned, cursor)).await.ok().flatten();
    InspectReply {
        found: found.is_some(),
        data: found.map(media).unwrap_or_default(),
        metadata: Default::default(),
        status: ReplyStatus::Ok,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_convert_between_characters_and_bytes() {
        assert_eq!(byte_offset("µs x", 3), 4);
        assert_eq!(char_offset("µs x", 4), 3);
    }
}
