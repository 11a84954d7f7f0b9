//! The stdin channel: a cell's ask for input becomes an `input_request` to
//! the front end that sent the cell, and its `input_reply` the answer.
//!
//! One task reads the channel for as long as the kernel runs, so that a
//! reply nobody waits for (to a request an interrupt ended, or to none) is
//! dropped with a log line as it comes, not kept to be mistaken for the
//! answer to a later request.

use std::sync::{Arc, Mutex};

use jupyter_protocol::{InputRequest, JupyterMessage, JupyterMessageContent, ReplyStatus};
use jupyter_zmq_client::{KernelStdinConnection, RouterSendConnection};

use crate::engine::output::{Answer, InputWait};
use crate::sync::lock;

pub struct Stdin {
    requests: tokio::sync::Mutex<RouterSendConnection>,
    /// The request awaiting its reply: its message id, and who waits.
    pending: Mutex<Option<(String, Arc<InputWait>)>>,
}

impl Stdin {
    /// Starts reading `socket`'s replies; requests go out through the
    /// returned value.
    pub fn serve(socket: KernelStdinConnection) -> Arc<Stdin> {
        let (requests, mut replies) = socket.split();
        let stdin = Arc::new(Stdin { requests: tokio::sync::Mutex::new(requests), pending: Mutex::new(None) });
        let reader = stdin.clone();
        tokio::spawn(async move {
            loop {
                match replies.read().await {
                    Ok(reply) => reader.answer(reply),
                    Err(e) => eprintln!("ndlens: dropped a stdin message: {e}"),
                }
            }
        });
        stdin
    }

    /// Asks the front end that sent `parent` for a line; `wait` gets the
    /// answer. A front end that did not allow input is not asked.
    pub async fn ask(&self, prompt: String, password: bool, wait: Arc<InputWait>, parent: &JupyterMessage) {
        let allowed = matches!(&parent.content, JupyterMessageContent::ExecuteRequest(r) if r.allow_stdin);
        if !allowed {
            wait.answer(Answer::Refused(
                "the front end takes no input for this cell (its request did not allow stdin)".into(),
            ));
            return;
        }
        let request = JupyterMessage::new(InputRequest { prompt, password }, Some(parent));
        *lock(&self.pending) = Some((request.header.msg_id.clone(), wait.clone()));
        if let Err(e) = self.requests.lock().await.send(request).await {
            wait.answer(Answer::Refused(format!("the input request could not be sent: {e}")));
        }
    }

    fn answer(&self, reply: JupyterMessage) {
        let JupyterMessageContent::InputReply(content) = &reply.content else {
            eprintln!("ndlens: a {} on stdin, where only input replies come: ignored", reply.header.msg_type);
            return;
        };
        // jupyter_client's `input()` sends its reply with no parent: such a
        // reply answers the request waiting, as in ipykernel.
        let replied_to = reply.parent_header.as_ref().map(|h| h.msg_id.as_str()).filter(|id| !id.is_empty());
        let mut pending = lock(&self.pending);
        match pending.take() {
            Some((id, wait)) if replied_to.is_none_or(|to| to == id) && !wait.is_answered() => {
                wait.answer(match content.status {
                    ReplyStatus::Ok => Answer::Line(content.value.clone()),
                    _ => Answer::Refused("the front end answered with an error".into()),
                });
            }
            other => {
                *pending = other;
                eprintln!("ndlens: an input reply with no input request waiting for it: ignored");
            }
        }
    }
}
