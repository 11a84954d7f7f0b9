//! Comms on the wire: the widget models' messages published on IOPub, and
//! the front end's `comm_open`, `comm_msg`, `comm_close` and
//! `comm_info_request` handed to [`crate::widgets`].

use std::collections::HashMap;

use jupyter_protocol::{CommClose, CommId, CommInfo, CommInfoReply, CommMsg, CommOpen, JupyterMessage, ReplyStatus};

use super::{IoPub, Kernel};
use crate::sync::lock;
use crate::widgets::{self, Context, Outgoing};

/// Publishes what the widgets send, each a child of `parent`.
pub fn publish(iopub: &IoPub, sent: Vec<Outgoing>, parent: &JupyterMessage) {
    for message in sent {
        let (comm_id, data) = message.data();
        let comm_id = CommId(comm_id.to_string());
        match message {
            Outgoing::Open { .. } => {
                let open = CommOpen { comm_id, target_name: widgets::TARGET.into(), data, target_module: None };
                let metadata = serde_json::json!({ "version": widgets::PROTOCOL_VERSION });
                iopub.publish_with_metadata(open, metadata, parent);
            }
            Outgoing::Update { .. } | Outgoing::Echo { .. } => iopub.publish(CommMsg { comm_id, data }, parent),
        }
    }
}

/// A user changed a widget: the change applied, and what follows from it
/// published. A message the widgets refuse is logged and changes nothing.
pub async fn message(kernel: &Kernel, request: &JupyterMessage, message: &CommMsg) {
    // Only the explorer of a variable asks, but the answer costs nothing:
    // the session is idle while the shell channel serves this request.
    let variables = kernel
        .engine
        .run(|engine| engine.variables().iter().map(|v| v.name().to_string()).collect::<Vec<_>>())
        .await
        .ok();
    let answer = lock(&kernel.widgets).message(&message.comm_id.0, &message.data, &Context { variables });
    match answer {
        Ok(sent) => publish(&kernel.iopub, sent, request),
        Err(refused) => eprintln!("ndlens: ignored a widget message: {refused}"),
    }
}

/// The front end opened a comm: the kernel opens none from that side, so
/// it is closed at once, as the messaging spec asks for an unknown target.
pub fn open(kernel: &Kernel, request: &JupyterMessage, open: &CommOpen) {
    eprintln!(
        "ndlens: closed a comm the front end opened for target {:?}: the kernel has no such target",
        open.target_name
    );
    kernel.iopub.publish(CommClose { comm_id: open.comm_id.clone(), data: Default::default() }, request);
}

pub fn close(kernel: &Kernel, close: &CommClose) {
    if !lock(&kernel.widgets).close(&close.comm_id.0) {
        eprintln!("ndlens: the front end closed comm {:?}, which the kernel did not have", close.comm_id.0);
    }
}

/// The kernel's comms, of `target` or all.
pub fn info(kernel: &Kernel, target: Option<&str>) -> CommInfoReply {
    let comms: HashMap<CommId, CommInfo> = match target {
        Some(target) if target != widgets::TARGET => HashMap::new(),
        _ => lock(&kernel.widgets)
            .comm_ids()
            .map(|id| (CommId(id.to_string()), CommInfo { target_name: widgets::TARGET.into() }))
            .collect(),
    };
    CommInfoReply { status: ReplyStatus::Ok, comms, error: None }
}
