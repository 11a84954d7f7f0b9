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
    /// A value the cell showed while it ran ([`ndlens_runtime::display`]),
    /// with the id a later update names.
    Displayed {
        data: BTreeMap<String, String>,
        id: Option<String>,
    },
    /// New content for the display `id`, where it was shown.
    Updated {
        data: BTreeMap<String, String>,
        id: String,
    },
    /// The cell's output cleared, at once or when the next output comes.
    ClearOutput {
        wait: bool,
    },
    /// The cell asks the user for a line: the front end answers `wait`.
    Input {
        prompt: String,
        password: bool,
        wait: Arc<InputWait>,
    },
}

/// What a cell that asked for input gets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Answer {
    /// The line the user typed, without its newline.
    Line(String),
    /// Why no line can come.
    Refused(String),
    /// An interrupt ended the wait.
    Interrupted,
}

/// One ask for input, answered once: by the front end's reply, or by an
/// interrupt, whichever comes first.
#[derive(Debug, Default)]
pub struct InputWait {
    answer: Mutex<Option<Answer>>,
    answered: std::sync::Condvar,
}

/// Two waits are the same wait, or different ones.
impl PartialEq for InputWait {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl InputWait {
    /// Gives the answer, unless one was given already.
    pub fn answer(&self, answer: Answer) {
        let mut slot = lock(&self.answer);
        if slot.is_none() {
            *slot = Some(answer);
            self.answered.notify_all();
        }
    }

    pub fn is_answered(&self) -> bool {
        lock(&self.answer).is_some()
    }

    fn wait(&self) -> Answer {
        let mut slot = lock(&self.answer);
        loop {
            if let Some(answer) = slot.clone() {
                return answer;
            }
            slot = self.answered.wait(slot).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl Event {
    /// What a line the cell printed on standard output stands for: text,
    /// and a display request when the line carries one.
    pub fn printed(line: String) -> Vec<Event> {
        use ndlens_runtime::display::{ClearOutput, DisplayMessage, CLEAR_OUTPUT, DISPLAY};
        let found = [DISPLAY, CLEAR_OUTPUT].into_iter().filter_map(|m| line.find(m).map(|at| (at, m))).min();
        let Some((at, marker)) = found else { return vec![Event::Stdout(line)] };
        let json = line[at + marker.len()..].trim_end();
        let request = match marker {
            DISPLAY => serde_json::from_str::<DisplayMessage>(json).ok().map(|d| match (d.id, d.update) {
                (Some(id), true) => Event::Updated { data: d.data, id },
                (id, _) => Event::Displayed { data: d.data, id },
            }),
            _ => serde_json::from_str::<ClearOutput>(json).ok().map(|c| Event::ClearOutput { wait: c.wait }),
        };
        let Some(request) = request else { return vec![Event::Stdout(line)] };
        let before = &line[..at];
        let mut events = Vec::new();
        if !before.is_empty() {
            events.push(Event::Stdout(before.to_string()));
        }
        events.push(request);
        events
    }
}

pub type Sink = tokio::sync::mpsc::UnboundedSender<Event>;

/// The sink lines go to now; `None` drops them (nothing is running).
#[derive(Clone, Default)]
pub struct Router {
    current: Arc<Mutex<Option<Sink>>>,
    /// The running cell's ask for input, while it waits.
    asking: Arc<Mutex<Option<Arc<InputWait>>>>,
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

    /// Asks the front end of the running cell for a line, and waits for the
    /// answer; with no cell running, there is no one to ask.
    pub fn ask(&self, prompt: String, password: bool) -> Answer {
        let wait = Arc::new(InputWait::default());
        {
            let current = lock(&self.current);
            let Some(sink) = current.as_ref() else { return Answer::Refused("no cell is running".into()) };
            *lock(&self.asking) = Some(wait.clone());
            if sink.send(Event::Input { prompt, password, wait: wait.clone() }).is_err() {
                wait.answer(Answer::Refused("the request was abandoned".into()));
            }
        }
        let answer = wait.wait();
        *lock(&self.asking) = None;
        answer
    }

    /// Ends the running cell's wait for input, as ipykernel's interrupt
    /// does.
    pub fn interrupt_input(&self) {
        if let Some(wait) = lock(&self.asking).as_ref() {
            wait.answer(Answer::Interrupted);
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
                        Ok(line) => Event::printed(line + "\n").into_iter().for_each(|e| self.send(e)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lines_become_display_events_and_the_rest_stays_text() {
        let shown = r#"NDLENS_DISPLAY {"id": "p", "update": false, "data": {"text/plain": "1"}}"#;
        let data = BTreeMap::from([("text/plain".to_string(), "1".to_string())]);
        assert_eq!(
            Event::printed(format!("{shown}\n")),
            [Event::Displayed { data: data.clone(), id: Some("p".into()) }]
        );
        let updated = shown.replace("false", "true");
        assert_eq!(
            Event::printed(format!("step {updated}\n")),
            [Event::Stdout("step ".into()), Event::Updated { data, id: "p".into() }]
        );
        assert_eq!(
            Event::printed("NDLENS_CLEAR_OUTPUT {\"wait\": true}\n".into()),
            [Event::ClearOutput { wait: true }]
        );
        assert_eq!(Event::printed("plain\n".into()), [Event::Stdout("plain\n".into())]);
        let broken = "NDLENS_DISPLAY {not json\n".to_string();
        assert_eq!(Event::printed(broken.clone()), [Event::Stdout(broken)]);
    }
}
