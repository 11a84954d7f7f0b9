//! Getting a running cell's printed lines to whoever asked for the cell.
//!
//! evcxr hands over the child process's output as lines on two channels. A
//! forwarding thread sends each line to the current [`Sink`], the one set for
//! the cell that is running, so that the front end can publish it, parented
//! to the right request, while the cell is still running.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[cfg(feature = "evcxr")]
use crossbeam_channel::{select, Receiver};

use crate::sync::lock;

/// Something a cell shows while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Stdout(String),
    Stderr(String),
    /// Rich output: mime type → content.
    Display(BTreeMap<String, String>),
    /// A layout explorer to open, with widgets the kernel process keeps.
    Explore(crate::explorer::Request),
}

pub type Sink = tokio::sync::mpsc::UnboundedSender<Event>;

/// The sink lines go to now; `None` drops them (nothing is running).
#[derive(Clone, Default)]
pub struct Router {
    current: Arc<Mutex<Option<Sink>>>,
}

impl Router {
    pub fn set(&self, sink: Option<Sink>) {
        *lock(&self.current) = sink;
    }

    pub fn send(&self, event: Event) {
        if let Some(sink) = lock(&self.current).as_ref() {
            // The receiver went away only if the request was abandoned.
            let _ = sink.send(event);
        }
    }

    /// Forwards evcxr's output lines until either channel closes, which
    /// evcxr does only when its context is dropped.
    #[cfg(feature = "evcxr")]
    pub fn forward(self, stdout: Receiver<String>, stderr: Receiver<String>) {
        std::thread::Builder::new()
            .name("ndlens-output".into())
            .spawn(move || loop {
                select! {
                    recv(stdout) -> line => match line {
                        Ok(line) => self.send(Event::Stdout(line + "\n")),
                        Err(_) => return,
                    },
                    recv(stderr) -> line => match line {
                        Ok(line) => self.send(Event::Stderr(line + "\n")),
                        Err(_) => return,
                    },
                }
            })
            .expect("spawning the output thread");
    }
}
