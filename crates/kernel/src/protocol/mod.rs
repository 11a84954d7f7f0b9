//! The Jupyter messaging protocol (5.3) over ZeroMQ.
//!
//! Sockets, signatures and message (de)serialisation come from
//! `jupyter-zmq-client` and `jupyter-protocol`; this module binds the five
//! channels and routes each request to its handler: one `match` from message
//! type to handler per channel, as ipykernel's dispatch tables.
//!
//! A message whose HMAC signature does not match the connection key is
//! dropped by the socket layer before any handler sees it; the loop logs it
//! and goes on serving the next message.

mod comms;
mod debugger;
mod handlers;
mod history;
mod stdin;
mod wire;

use std::sync::Arc;

use anyhow::{Context, Result};
use jupyter_protocol::{
    ConnectionInfo, ExecutionState, IoPubWelcome, JupyterMessage, JupyterMessageContent, ReplyStatus, Status,
};
use jupyter_zmq_client::{
    create_kernel_control_connection, create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection, KernelIoPubXPubConnection, KernelShellConnection,
    SubscriptionEvent,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::engine::output::Router;
use crate::session::handle::SessionHandle;
use crate::widgets::Widgets;

/// Publishes on IOPub from any task.
#[derive(Clone)]
pub struct IoPub {
    outbox: UnboundedSender<JupyterMessage>,
}

impl IoPub {
    /// Publishes `content` as a child of `parent`.
    pub fn publish(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        let message = JupyterMessage::new(content, Some(parent)).with_zmq_identities(Vec::new());
        // The publisher task ends only with the kernel.
        let _ = self.outbox.send(message);
    }

    /// Publishes `content` with message `metadata` (a `comm_open`'s
    /// protocol version).
    pub fn publish_with_metadata(
        &self,
        content: impl Into<JupyterMessageContent>,
        metadata: serde_json::Value,
        parent: &JupyterMessage,
    ) {
        let mut message = JupyterMessage::new(content, Some(parent)).with_zmq_identities(Vec::new());
        message.metadata = metadata;
        let _ = self.outbox.send(message);
    }

    pub fn status(&self, state: ExecutionState, parent: &JupyterMessage) {
        self.publish(Status { execution_state: state }, parent);
    }
}

/// What the handlers share.
pub struct Kernel {
    pub iopub: IoPub,
    pub engine: SessionHandle,
    pub router: Router,
    pub state: tokio::sync::Mutex<handlers::SessionState>,
    /// The widget models, shared with the tasks that publish a cell's output.
    pub widgets: Arc<std::sync::Mutex<Widgets>>,
    /// The display ids cells have shown, which later cells may update.
    pub displays: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// Where input requests go, and the one awaiting its reply.
    pub stdin: Arc<stdin::Stdin>,
    /// The debugger sidebar's requests.
    pub debugger: debugger::Debugger,
}

/// Binds the channels in `info` and serves until a shutdown request.
pub async fn serve(info: ConnectionInfo, engine: SessionHandle, router: Router) -> Result<()> {
    let session_id = format!("ndlens-{}", std::process::id());
    let bind = |what: &str| format!("binding the {what} channel on {}", info.ip);
    let mut shell = create_kernel_shell_connection(&info, &session_id).await.with_context(|| bind("shell"))?;
    let mut control = create_kernel_control_connection(&info, &session_id).await.with_context(|| bind("control"))?;
    let iopub_socket = create_kernel_iopub_xpub_connection(&info, &session_id).await.with_context(|| bind("iopub"))?;
    let stdin_socket = create_kernel_stdin_connection(&info, &session_id).await.with_context(|| bind("stdin"))?;
    let mut heartbeat = create_kernel_heartbeat_connection(&info).await.with_context(|| bind("heartbeat"))?;

    let (outbox, to_publish) = unbounded_channel::<JupyterMessage>();
    tokio::spawn(publish(iopub_socket, to_publish));
    tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });

    let kernel = Arc::new(Kernel {
        iopub: IoPub { outbox },
        engine,
        router,
        state: tokio::sync::Mutex::new(handlers::SessionState::default()),
        widgets: Arc::default(),
        displays: Arc::default(),
        stdin: stdin::Stdin::serve(stdin_socket),
        debugger: debugger::Debugger::default(),
    });

    let control_kernel = kernel.clone();
    tokio::spawn(async move {
        loop {
            let Some(request) = next_request(&mut control, "control").await else { continue };
            let reply = handlers::control(&control_kernel, &request).await;
            if let Some(reply) = reply {
                if let Err(e) = control.send(reply).await {
                    eprintln!("ndlens: could not reply on control: {e}");
                }
            }
            if matches!(request.content, JupyterMessageContent::ShutdownRequest(_)) {
                handlers::exit(&control_kernel).await;
            }
        }
    });

    loop {
        let Some(request) = next_request(&mut shell, "shell").await else { continue };
        serve_shell_request(&kernel, &mut shell, request).await;
    }
}

/// Publishes what the handlers send, and welcomes each new subscriber with
/// an `iopub_welcome` (JEP 65), so that a client knows from when on it
/// misses nothing. IOPub is an XPUB socket for this: it hears subscriptions,
/// and registers a subscriber only when its subscription is read, so this
/// task reads them as they come.
async fn publish(
    mut socket: KernelIoPubXPubConnection,
    mut to_publish: tokio::sync::mpsc::UnboundedReceiver<JupyterMessage>,
) {
    loop {
        let message = tokio::select! {
            message = to_publish.recv() => match message {
                Some(message) => message,
                // The handlers are gone: the kernel is ending.
                None => return,
            },
            event = socket.recv_subscription() => match event {
                Ok(SubscriptionEvent::Subscribe(topic)) => {
                    JupyterMessage::new(IoPubWelcome::new(topic), None).with_zmq_identities(Vec::new())
                }
                Ok(SubscriptionEvent::Unsubscribe(_)) => continue,
                Err(e) => {
                    eprintln!("ndlens: an unreadable subscription on iopub: {e}");
                    continue;
                }
            },
        };
        if let Err(e) = socket.send(message).await {
            eprintln!("ndlens: could not publish on iopub: {e}");
        }
    }
}

/// The next request on `channel`; `None` for a message that is not acted
/// on, so that the kernel keeps serving what follows. A correctly signed
/// request that does not fit its type gets an error reply naming the
/// problem; a message that is not correctly signed is logged and dropped.
async fn next_request<S: zeromq::SocketRecv + zeromq::SocketSend>(
    connection: &mut jupyter_zmq_client::Connection<S>,
    channel: &str,
) -> Option<JupyterMessage> {
    match wire::read(connection).await {
        Ok(wire::Incoming::Request(request)) => Some(*request),
        Ok(wire::Incoming::Malformed { request, problem }) => {
            eprintln!("ndlens: a malformed {} on {channel}: {problem}", request.header.msg_type);
            if let Some(reply) = wire::error_reply(&request, &problem) {
                if let Err(e) = connection.send(reply).await {
                    eprintln!("ndlens: could not reply on {channel}: {e}");
                }
            }
            None
        }
        Err(e) => {
            eprintln!("ndlens: dropped a {channel} message: {e}");
            None
        }
    }
}

/// Handles one shell request between busy and idle. When a cell fails and
/// asked to stop on error, execute requests that were already waiting (a
/// "run all" sends every cell at once) are answered `aborted` instead of
/// run, as ipykernel does.
async fn serve_shell_request(kernel: &Kernel, shell: &mut KernelShellConnection, request: JupyterMessage) {
    kernel.iopub.status(ExecutionState::Busy, &request);
    let reply = handlers::shell(kernel, &request).await;
    let failed = reply.as_ref().is_some_and(
        |r| matches!(&r.content, JupyterMessageContent::ExecuteReply(e) if e.status == ReplyStatus::Error),
    );
    // Collected before the reply leaves, so nothing a client sends after
    // seeing the error can be mistaken for what was queued behind it.
    let queued = if failed && stops_on_error(&request) { already_arrived(shell).await } else { Vec::new() };
    finish(kernel, shell, &request, reply).await;
    for waiting in queued {
        kernel.iopub.status(ExecutionState::Busy, &waiting);
        let reply = match &waiting.content {
            JupyterMessageContent::ExecuteRequest(_) => Some(handlers::aborted(kernel, &waiting).await),
            _ => handlers::shell(kernel, &waiting).await,
        };
        finish(kernel, shell, &waiting, reply).await;
    }
}

/// Sends the reply, then idle; ends the kernel after a shutdown request.
async fn finish(
    kernel: &Kernel,
    shell: &mut KernelShellConnection,
    request: &JupyterMessage,
    reply: Option<JupyterMessage>,
) {
    if let Some(reply) = reply {
        if let Err(e) = shell.send(reply).await {
            eprintln!("ndlens: could not reply on shell: {e}");
        }
    }
    kernel.iopub.status(ExecutionState::Idle, request);
    if matches!(request.content, JupyterMessageContent::ShutdownRequest(_)) {
        handlers::exit(kernel).await;
    }
}

fn stops_on_error(request: &JupyterMessage) -> bool {
    matches!(&request.content, JupyterMessageContent::ExecuteRequest(r) if r.stop_on_error)
}

/// The shell messages that have already arrived, without waiting for more.
async fn already_arrived(shell: &mut KernelShellConnection) -> Vec<JupyterMessage> {
    let mut arrived = Vec::new();
    loop {
        match tokio::time::timeout(std::time::Duration::ZERO, next_request(shell, "shell")).await {
            Err(_nothing_waiting) => return arrived,
            Ok(None) => {}
            Ok(Some(request)) => arrived.push(request),
        }
    }
}
