//! The session process as the kernel sees it: started with a socket for
//! requests and replies, its standard output and error read line by line
//! as cells print, and replaced when it is lost.
//!
//! Printed lines go straight to the [`Router`], so a running cell's output
//! reaches the front end as it comes; content blocks (rich output), the
//! marks that end a run's output, and replies come to [`SessionProcess`]
//! through one channel, in the order each stream produced them.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use crossbeam_channel::{Receiver, Sender};
use ndlens_runtime::content::{BEGIN, END};
use ndlens_runtime::inspect::Reading;

use super::wire::{split_mark, Outcome, Reply, Request, Stored, SOCKET_FD};
use crate::engine::output::{Event, Router};
use crate::engine::{Interrupt, MimeBundle};
use crate::sync::lock;

/// What the readers of the process's streams and socket pass on.
enum Message {
    Block {
        mime: String,
        content: String,
    },
    End {
        stream: Stream,
        run: u64,
    },
    Reply(Reply),
    /// A stream or the socket ended: the process is gone.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stream {
    Stdout,
    Stderr,
}

/// The environment the session process starts with.
#[derive(Clone, Debug)]
pub struct Environment {
    /// Where its dynamic loader finds the standard library and the session
    /// libraries the cells link.
    pub library_path: Vec<PathBuf>,
    pub variables: Vec<(String, String)>,
}

/// How a run went, as the process reported it.
pub struct Ran {
    pub outputs: MimeBundle,
    pub outcome: Outcome,
    pub removed: Vec<String>,
    pub stored: Vec<Stored>,
}

/// Why a run has no report.
pub enum Lost {
    /// The process ended; why, as its exit status tells.
    Ended(String),
}

pub struct SessionProcess {
    child: Child,
    /// The process's standard input: answers to its asks for input.
    answers: ChildStdin,
    requests: UnixStream,
    messages: Receiver<Message>,
    runs: u64,
    environment: Environment,
    router: Router,
    control: Arc<Control>,
}

impl SessionProcess {
    pub fn start(environment: Environment, router: Router, control: Arc<Control>) -> Result<SessionProcess> {
        let (ours, theirs) = UnixStream::pair().context("making a socket for the session process")?;
        let exe = std::env::current_exe().context("finding this program's path")?;
        let mut command = Command::new(exe);
        command.arg("session").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let library_path = std::env::join_paths(&environment.library_path).context("joining library paths")?;
        command.env("LD_LIBRARY_PATH", library_path);
        for (name, value) in &environment.variables {
            command.env(name, value);
        }
        let socket = std::os::unix::io::AsRawFd::as_raw_fd(&theirs);
        // SAFETY: between fork and exec only async-signal-safe calls are made.
        unsafe {
            command.pre_exec(move || {
                if socket == SOCKET_FD {
                    let flags = libc::fcntl(socket, libc::F_GETFD);
                    libc::fcntl(socket, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
                } else if libc::dup2(socket, SOCKET_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command.spawn().context("starting the session process")?;
        drop(theirs);
        control.set_process(Some(child.id()));
        let (sender, messages) = crossbeam_channel::unbounded();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let answers = child.stdin.take().expect("piped");
        read_stream(BufReader::new(stdout), Stream::Stdout, router.clone(), sender.clone());
        read_stream(BufReader::new(stderr), Stream::Stderr, router.clone(), sender.clone());
        read_replies(ours.try_clone().context("cloning the session socket")?, sender);
        Ok(SessionProcess { child, answers, requests: ours, messages, runs: 0, environment, router, control })
    }

    /// Ends the process and starts a new one, with no variables.
    pub fn restart(&mut self) -> Result<()> {
        let fresh = SessionProcess::start(self.environment.clone(), self.router.clone(), self.control.clone())?;
        // Dropping the old one ends it.
        *self = fresh;
        Ok(())
    }

    /// Loads and runs the cell library at `library`; `transient` as in
    /// [`Request::Run`].
    pub fn run(&mut self, library: PathBuf, transient: bool) -> Result<Ran, Lost> {
        // Blocks a thread of the last cell printed after its run ended
        // belong to no cell now.
        while let Ok(message) = self.messages.try_recv() {
            if let Message::Closed = message {
                return Err(self.lost());
            }
        }
        self.runs += 1;
        let run = self.runs;
        self.control.set_running(true);
        let sent = self.send(&Request::Run { library, run, transient });
        let result = sent.and_then(|()| self.collect(run));
        self.control.set_running(false);
        result
    }

    /// Drops the session's variables named.
    pub fn drop_variables(&mut self, names: Vec<String>) -> Result<(), Lost> {
        if names.is_empty() {
            return Ok(());
        }
        self.send(&Request::Drop { names })?;
        loop {
            match self.messages.recv() {
                Ok(Message::Reply(Reply::Dropped)) => return Ok(()),
                Ok(Message::Closed) | Err(_) => return Err(self.lost()),
                Ok(_) => {}
            }
        }
    }

    /// The session library's readings of the variables named, in order.
    pub fn read_variables(&mut self, names: Vec<String>) -> Result<Vec<Option<Reading>>, Lost> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        self.send(&Request::Read { names })?;
        loop {
            match self.messages.recv() {
                Ok(Message::Reply(Reply::Read { readings })) => return Ok(readings),
                Ok(Message::Closed) | Err(_) => return Err(self.lost()),
                Ok(_) => {}
            }
        }
    }

    fn send(&mut self, request: &Request) -> Result<(), Lost> {
        let mut line = serde_json::to_string(request).expect("requests serialise");
        line.push('\n');
        self.requests.write_all(line.as_bytes()).map_err(|_| self.lost())
    }

    /// Reads run `run`'s report: its reply, then the end marks of both
    /// streams, with the content blocks printed before them.
    fn collect(&mut self, run: u64) -> Result<Ran, Lost> {
        let mut outputs = MimeBundle::new();
        let mut reply = None;
        let (mut stdout_done, mut stderr_done) = (false, false);
        while reply.is_none() || !stdout_done || !stderr_done {
            match self.messages.recv() {
                Ok(Message::Block { mime, content }) => {
                    outputs.insert(mime, content);
                }
                Ok(Message::End { stream: Stream::Stdout, run: ended }) if ended == run => stdout_done = true,
                Ok(Message::End { stream: Stream::Stderr, run: ended }) if ended == run => stderr_done = true,
                Ok(Message::End { .. }) => {}
                Ok(Message::Reply(Reply::Input { prompt, password })) => {
                    let mut answer =
                        serde_json::to_string(&self.router.ask(prompt, password)).expect("answers serialise");
                    answer.push('\n');
                    if self.answers.write_all(answer.as_bytes()).is_err() {
                        return Err(self.lost());
                    }
                }
                Ok(Message::Reply(r)) => reply = Some(r),
                Ok(Message::Closed) | Err(_) => return Err(self.lost()),
            }
        }
        match reply {
            Some(Reply::Ran { outcome, removed, stored }) => Ok(Ran { outputs, outcome, removed, stored }),
            _ => Err(self.lost()),
        }
    }

    /// After the process stopped answering: waits for it to end, lets its
    /// last words reach the front end, and starts a new one.
    fn lost(&mut self) -> Lost {
        let _ = self.child.kill();
        let status = self.child.wait();
        // Whatever it printed last (an allocation failure's message, say)
        // belongs to the cell that was running.
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        let mut closed = 0;
        while closed < 3 {
            match self.messages.recv_deadline(deadline) {
                Ok(Message::Closed) => closed += 1,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let detail = match status {
            Ok(status) => match status.signal() {
                Some(signal) => format!("ended by signal {signal} ({})", signal_name(signal)),
                None => format!("exited with {status}"),
            },
            Err(e) => format!("could not be waited for: {e}"),
        };
        match SessionProcess::start(self.environment.clone(), self.router.clone(), self.control.clone()) {
            Ok(fresh) => *self = fresh,
            Err(e) => eprintln!("ndlens: could not start a new session process: {e:#}"),
        }
        Lost::Ended(detail)
    }
}

impl Drop for SessionProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT: aborted",
        libc::SIGKILL => "SIGKILL: killed",
        libc::SIGSEGV => "SIGSEGV: invalid memory access",
        libc::SIGBUS => "SIGBUS: bus error",
        libc::SIGILL => "SIGILL: illegal instruction",
        libc::SIGFPE => "SIGFPE: arithmetic error",
        libc::SIGTERM => "SIGTERM: terminated",
        libc::SIGUSR1 => "SIGUSR1: interrupted before it could take interrupts",
        _ => "a signal",
    }
}

/// Reads one of the process's output streams: lines to the router, content
/// blocks and end marks to the channel.
fn read_stream(mut reader: impl BufRead + Send + 'static, stream: Stream, router: Router, sender: Sender<Message>) {
    let show = move |text: String| match stream {
        Stream::Stderr => router.send(Event::Stderr(text)),
        Stream::Stdout => Event::printed(text).into_iter().for_each(|event| router.send(event)),
    };
    std::thread::Builder::new()
        .name(format!("ndlens-{stream:?}").to_lowercase())
        .spawn(move || {
            let mut block: Option<(String, String)> = None;
            let mut bytes = Vec::new();
            loop {
                bytes.clear();
                match reader.read_until(b'\n', &mut bytes) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let line = String::from_utf8_lossy(&bytes).into_owned();
                if let Some((mime, content)) = block.as_mut() {
                    if line.trim_end_matches(['\n', '\r']) == END {
                        let (mime, mut content) = (std::mem::take(mime), std::mem::take(content));
                        content.truncate(content.trim_end_matches('\n').len());
                        block = None;
                        let _ = sender.send(Message::Block { mime, content });
                    } else {
                        content.push_str(&line);
                    }
                    continue;
                }
                if stream == Stream::Stdout {
                    if let Some(mime) = line.strip_prefix(BEGIN) {
                        block = Some((mime.trim().to_string(), String::new()));
                        continue;
                    }
                }
                match split_mark(&line) {
                    Some((before, run)) => {
                        if !before.is_empty() {
                            show(before.to_string());
                        }
                        let _ = sender.send(Message::End { stream, run });
                    }
                    None => show(line),
                }
            }
            let _ = sender.send(Message::Closed);
        })
        .expect("spawning a reader thread");
}

fn read_replies(socket: UnixStream, sender: Sender<Message>) {
    std::thread::Builder::new()
        .name("ndlens-session-replies".into())
        .spawn(move || {
            for line in BufReader::new(socket).lines() {
                let Ok(line) = line else { break };
                match serde_json::from_str(&line) {
                    Ok(reply) => {
                        let _ = sender.send(Message::Reply(reply));
                    }
                    Err(e) => eprintln!("ndlens: a reply the session process should not send: {e}: {line}"),
                }
            }
            let _ = sender.send(Message::Closed);
        })
        .expect("spawning the reply reader");
}

/// What an interrupt can reach: the compiler while a cell compiles, the
/// session process while it runs.
#[derive(Default)]
pub struct Control {
    state: Mutex<ControlState>,
}

#[derive(Default)]
struct ControlState {
    compiler: Option<u32>,
    cancelled: bool,
    process: Option<u32>,
    running: bool,
}

impl Control {
    fn set_process(&self, pid: Option<u32>) {
        lock(&self.state).process = pid;
    }

    fn set_running(&self, running: bool) {
        lock(&self.state).running = running;
    }

    /// A compiler started (`Some`) or ended (`None`); whether an interrupt
    /// stopped it is then told by [`Control::take_cancelled`].
    pub fn set_compiler(&self, pid: Option<u32>) {
        lock(&self.state).compiler = pid;
    }

    /// Whether an interrupt stopped the compiler since the last call.
    pub fn take_cancelled(&self) -> bool {
        std::mem::take(&mut lock(&self.state).cancelled)
    }
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    unsafe { libc::kill(pid as libc::pid_t, signal) };
}

impl Interrupt for Control {
    fn ask(&self) -> bool {
        let mut state = lock(&self.state);
        if let Some(compiler) = state.compiler {
            state.cancelled = true;
            signal(compiler, libc::SIGKILL);
            return true;
        }
        match (state.running, state.process) {
            (true, Some(process)) => {
                signal(process, ndlens_runtime::interrupt::SIGNAL);
                true
            }
            _ => false,
        }
    }

    fn force(&self) {
        let state = lock(&self.state);
        if let Some(compiler) = state.compiler {
            signal(compiler, libc::SIGKILL);
        }
        if let Some(process) = state.process {
            signal(process, libc::SIGKILL);
        }
    }
}
