//! Requests off the wire, with the protocol's documented defaults.
//!
//! `jupyter-zmq-client` checks each message's signature and
//! `jupyter-protocol` types its content, but its types require fields that
//! the protocol lets a client leave out: a `history_request` searching
//! without `n` or `unique` (as `jupyter_client` sends it), an
//! `execute_request` without `silent`. Requests are therefore read here as
//! signed frames (`RawMessage`, the crate's own verification), the defaults
//! ipykernel applies are filled in, and only then is the content typed.

use jupyter_protocol::{Header, JupyterMessage, JupyterMessageContent, UnknownMessage};
use jupyter_zmq_client::{Connection, RawMessage};
use serde_json::{json, Map, Value};
use zeromq::SocketRecv;

/// What [`read`] found on the socket.
pub enum Incoming {
    /// A correctly signed request, typed.
    Request(Box<JupyterMessage>),
    /// A correctly signed request whose content does not fit its type even
    /// with the defaults: the request as far as it could be read (its
    /// header and sender, to reply to) and why it does not fit.
    Malformed { request: Box<JupyterMessage>, problem: String },
}

/// A request that could not be typed, as something to reply to.
fn untyped(raw: RawMessage, header: Header, parent_header: Option<Header>, content: Value) -> Box<JupyterMessage> {
    let msg_type = header.msg_type.clone();
    Box::new(JupyterMessage {
        zmq_identities: raw.zmq_identities,
        header,
        parent_header,
        metadata: json!({}),
        content: JupyterMessageContent::UnknownMessage(UnknownMessage { msg_type, content }),
        buffers: Vec::new(),
        channel: None,
    })
}

/// The reply to a request that could not be typed: `X_reply` for an
/// `X_request`, with `status: error` and the problem as `evalue`; `None`
/// for a message that is not a request.
pub fn error_reply(request: &JupyterMessage, problem: &str) -> Option<JupyterMessage> {
    let reply_type = request.header.msg_type.strip_suffix("_request")?;
    let content = UnknownMessage {
        msg_type: format!("{reply_type}_reply"),
        content: json!({
            "status": "error",
            "ename": "BadRequest",
            "evalue": format!("{}: {problem}", request.header.msg_type),
            "traceback": [],
        }),
    };
    Some(JupyterMessage::new(content, Some(request)))
}

/// Reads the next message; an error for frames that are not a correctly
/// signed Jupyter message (those are never acted on).
pub async fn read<S: SocketRecv>(connection: &mut Connection<S>) -> anyhow::Result<Incoming> {
    let frames = connection.socket.recv().await?;
    let raw = RawMessage::from_multipart(frames, &connection.mac)?;
    let [header, parent, metadata, content, ..] = raw.jparts.as_slice() else {
        anyhow::bail!("a message needs four frames after the signature");
    };
    let header: Header = serde_json::from_slice(header)?;
    // An empty parent header is `{}`, which is no header.
    let parent_header: Option<Header> = serde_json::from_slice(parent).ok();
    let metadata: Value = serde_json::from_slice(metadata).unwrap_or_else(|_| json!({}));
    let mut content: Value = match serde_json::from_slice(content) {
        Ok(content) => content,
        Err(e) => {
            let problem = format!("the content is not JSON: {e}");
            return Ok(Incoming::Malformed { request: untyped(raw, header, parent_header, json!({})), problem });
        }
    };
    if let Some(fields) = content.as_object_mut() {
        fill_defaults(&header.msg_type, fields);
    }
    match JupyterMessageContent::from_type_and_content(&header.msg_type, content.clone()) {
        Ok(typed) => Ok(Incoming::Request(Box::new(JupyterMessage {
            buffers: raw.jparts.get(4..).map(<[_]>::to_vec).unwrap_or_default(),
            zmq_identities: raw.zmq_identities,
            header,
            parent_header,
            metadata,
            content: typed,
            channel: None,
        }))),
        Err(e) => {
            Ok(Incoming::Malformed { request: untyped(raw, header, parent_header, content), problem: e.to_string() })
        }
    }
}

/// Search results to return when a `history_request` gives no `n`: all.
pub const ALL_MATCHES: i64 = i32::MAX as i64;

/// What ipykernel assumes for fields a request leaves out.
fn fill_defaults(msg_type: &str, fields: &mut Map<String, Value>) {
    let code_length = fields.get("code").and_then(Value::as_str).map_or(0, |code| code.chars().count());
    let defaults: Vec<(&str, Value)> = match msg_type {
        "execute_request" => {
            let silent = fields.get("silent").and_then(Value::as_bool).unwrap_or(false);
            vec![
                ("silent", json!(silent)),
                ("store_history", json!(!silent)),
                ("user_expressions", json!({})),
                ("allow_stdin", json!(false)),
                ("stop_on_error", json!(true)),
            ]
        }
        "complete_request" => vec![("cursor_pos", json!(code_length))],
        "inspect_request" => vec![("cursor_pos", json!(code_length)), ("detail_level", json!(0))],
        "history_request" => {
            let tail = fields.get("hist_access_type").and_then(Value::as_str) == Some("tail");
            vec![
                ("output", json!(false)),
                ("raw", json!(true)),
                ("start", json!(0)),
                ("stop", json!(0)),
                ("n", json!(if tail { 10 } else { ALL_MATCHES })),
                ("pattern", json!("*")),
                ("unique", json!(false)),
            ]
        }
        "shutdown_request" => vec![("restart", json!(false))],
        _ => Vec::new(),
    };
    for (key, value) in defaults {
        if fields.get(key).is_none_or(Value::is_null) {
            fields.insert(key.to_string(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(msg_type: &str, content: Value) -> JupyterMessageContent {
        let mut content = content;
        fill_defaults(msg_type, content.as_object_mut().unwrap());
        JupyterMessageContent::from_type_and_content(msg_type, content).unwrap()
    }

    #[test]
    fn a_history_search_needs_only_a_pattern() {
        let content = typed(
            "history_request",
            json!({"hist_access_type": "search", "output": false, "raw": true, "pattern": "6*"}),
        );
        let JupyterMessageContent::HistoryRequest(request) = content else { panic!("a history request") };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({"hist_access_type": "search", "pattern": "6*", "unique": false, "output": false, "raw": true, "n": ALL_MATCHES})
        );
    }

    #[test]
    fn an_execute_request_needs_only_code() {
        let JupyterMessageContent::ExecuteRequest(r) = typed("execute_request", json!({"code": "1"})) else {
            panic!("an execute request")
        };
        assert!(!r.silent && r.store_history && r.stop_on_error);
    }
}
