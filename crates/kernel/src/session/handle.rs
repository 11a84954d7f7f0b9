//! The front end's side of the session: one thread owns it and runs jobs in
//! order, while the protocol's tasks go on answering.
//!
//! Starting an engine can take a while (evcxr's takes seconds), so it
//! happens on that thread, while the front end already answers
//! `kernel_info`; requests that need the session wait in its queue. An
//! interrupt comes from another task, so it goes to the engine's
//! [`Interrupt`] directly, never through the queue.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Session;
use crate::engine::output::Router;
use crate::engine::{EngineConfig, Interrupt, StartError};
use crate::sync::lock;

type Job = Box<dyn FnOnce(&mut Result<Session, StartError>) + Send>;

/// How long an interrupted cell has to reach one of its checks before its
/// process is ended.
const INTERRUPT_GRACE: Duration = Duration::from_millis(1500);

#[derive(Clone)]
pub struct SessionHandle {
    jobs: std::sync::mpsc::Sender<Job>,
    interrupter: Arc<Mutex<Option<Arc<dyn Interrupt>>>>,
    /// The number of the job running, 0 when none.
    running: Arc<AtomicU64>,
    jobs_sent: Arc<AtomicU64>,
    /// Set when an interrupt ended the process, for the error to say so.
    interrupted: Arc<AtomicBool>,
    /// Whether cells note their views for the debugger (see
    /// [`Session::start`]).
    noting_views: Arc<AtomicBool>,
}

impl SessionHandle {
    /// Starts the session's thread; the engine starts there, in the
    /// background.
    pub fn start(config: EngineConfig, notices: Vec<String>, router: Router) -> SessionHandle {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let interrupter = Arc::new(Mutex::new(None));
        let interrupted = Arc::new(AtomicBool::new(false));
        let noting_views = Arc::new(AtomicBool::new(false));
        let handle = SessionHandle {
            jobs,
            interrupter: interrupter.clone(),
            running: Arc::new(AtomicU64::new(0)),
            jobs_sent: Arc::new(AtomicU64::new(0)),
            interrupted: interrupted.clone(),
            noting_views: noting_views.clone(),
        };
        std::thread::Builder::new()
            .name("ndlens-engine".into())
            // Parsers recurse; cells are refused past syntax::MAX_NESTING,
            // and this leaves room well beyond it.
            .stack_size(64 << 20)
            .spawn(move || {
                let started = Instant::now();
                let kind = config.kind;
                let told = notices.clone();
                let mut session =
                    super::start::engine(&config, router).map_err(|e| e.after(&told)).and_then(|engine| {
                        *lock(&interrupter) = Some(engine.interrupter());
                        Session::start(engine, config, notices, interrupted, noting_views)
                    });
                match &session {
                    Ok(_) => eprintln!("ndlens: {} session ready in {:.2?}", kind.name(), started.elapsed()),
                    Err(e) => eprintln!("ndlens: the session did not start: {e}"),
                }
                for job in queue {
                    job(&mut session);
                }
            })
            .expect("spawning the engine thread");
        handle
    }

    /// Runs `job` on the session's thread, after the jobs before it; the
    /// start-up error instead when the session could not start.
    pub async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Session) -> R + Send + 'static,
    ) -> Result<R, StartError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let running = self.running.clone();
        let number = self.jobs_sent.fetch_add(1, Ordering::SeqCst) + 1;
        let job: Job = Box::new(move |session| {
            let result = match session {
                Ok(session) => {
                    running.store(number, Ordering::SeqCst);
                    let result = job(session);
                    running.store(0, Ordering::SeqCst);
                    Ok(result)
                }
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send(result);
        });
        self.jobs.send(job).expect("the engine thread lives as long as the kernel");
        answer.await.expect("the engine thread answers every job")
    }

    /// Asks the running cell to stop (see [`super::interrupts`]); ends the
    /// session's process if the cell has not stopped after the grace
    /// period. `false` when nothing was running.
    pub fn interrupt(&self) -> bool {
        let job = self.running.load(Ordering::SeqCst);
        if job == 0 {
            return false;
        }
        let Some(interrupter) = lock(&self.interrupter).clone() else { return false };
        if !interrupter.ask() {
            return false;
        }
        let (running, interrupted) = (self.running.clone(), self.interrupted.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + INTERRUPT_GRACE;
            while Instant::now() < deadline {
                if running.load(Ordering::SeqCst) != job {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if running.load(Ordering::SeqCst) == job {
                interrupted.store(true, Ordering::SeqCst);
                interrupter.force();
            }
        });
        true
    }

    /// Has the cells from the next one on note their views for the
    /// debugger's Variables panel, or stop: it is on while the debugger is.
    pub fn note_views(&self, on: bool) {
        self.noting_views.store(on, Ordering::SeqCst);
    }

    /// Whether a job (a cell, a magic's code) is running on the session.
    pub fn is_busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) != 0
    }

    /// Ends the session's process, for shutdown.
    pub fn kill_process(&self) {
        if let Some(interrupter) = lock(&self.interrupter).clone() {
            interrupter.force();
        }
    }
}
