//! The session process: `ndlens session`, which the rustc engine starts
//! for each session. It holds the session's variables, loads each compiled
//! cell and runs it, on this thread, one at a time.
//!
//! The cells see the variables through [`ndlens_runtime::host::Host`], a C
//! ABI: this binary may be built by another compiler than the cells, and
//! it holds each value as an opaque pointer with the function, from the
//! cell that made it, that drops it. A library is kept loaded as long as
//! the process lives: a value, a vtable, a `&'static str` may point into
//! it. Only a cell that took and stored no variable, started no thread and
//! whose code the kernel found could leave nothing behind is unloaded after
//! its run, so that a session of a thousand `%timeit`s does not keep a
//! thousand libraries (about 12 KiB of memory each).

use std::collections::HashMap;
use std::ffi::c_void;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::io::FromRawFd;
use std::os::unix::net::UnixStream;

use anyhow::{Context, Result};
use ndlens_runtime::host::{Host, Status, Str, Value, ABI_VERSION, ENTRY_POINT};
use ndlens_runtime::inspect::{Reader, Reading, READER};

use super::wire::{mark, Outcome, Reply, Request, Stored, SOCKET_FD};

/// A value the session keeps.
struct Kept {
    data: *mut c_void,
    drop: unsafe extern "C" fn(*mut c_void),
    type_name: String,
    mutable: bool,
}

impl Drop for Kept {
    fn drop(&mut self) {
        // SAFETY: `drop` is the function the cell that made `data` gave with it.
        unsafe { (self.drop)(self.data) }
    }
}

/// The variables, and what the running cell did to them.
#[derive(Default)]
struct Variables {
    kept: HashMap<String, Kept>,
    taken: Vec<String>,
    stored: Vec<String>,
    failure: Option<String>,
}

/// The shared library of the session's crates, which every cell links.
const SESSION_LIBRARY: &str = "libndlens_session.so";

/// Serves the kernel until it closes the socket.
pub fn serve() -> Result<()> {
    super::input::serve();
    // Held for the life of the process: were the last cell that links it
    // unloaded, it would go with the cell, and the standard library with
    // it (the panic hook, the interrupt flag, stdout's buffer).
    // SAFETY: the session's own library, found where the engine said.
    let session =
        unsafe { libloading::os::unix::Library::open(Some(SESSION_LIBRARY), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    let session = session.with_context(|| format!("loading {SESSION_LIBRARY}"))?;
    // SAFETY: the runtime exports its reader with this signature; a library
    // built before it had one answers no reading, and the kernel compiles.
    let reader: Option<Reader> = unsafe { session.get::<Reader>(READER.as_bytes()) }.ok().map(|symbol| *symbol);
    std::mem::forget(session);
    // SAFETY: the engine passes the socket as this descriptor, and nothing
    // else in this process owns it.
    let socket = unsafe { UnixStream::from_raw_fd(SOCKET_FD) };
    let mut replies = socket.try_clone().context("cloning the kernel's socket")?;
    let mut variables = Variables::default();
    for line in BufReader::new(socket).lines() {
        let line = line.context("reading from the kernel")?;
        let request: Request =
            serde_json::from_str(&line).with_context(|| format!("a request that is not ours: {line}"))?;
        let reply = match request {
            Request::Run { library, run, transient } => {
                let outcome = run_cell(&library, transient, &mut variables);
                // Whatever the cell printed is out of its own buffers (the
                // runtime flushed them); the marks follow it.
                let mut out = std::io::stdout().lock();
                out.write_all(mark(run).as_bytes())?;
                out.flush()?;
                std::io::stderr().write_all(mark(run).as_bytes())?;
                variables.report(outcome)
            }
            Request::Drop { names } => {
                for name in names {
                    variables.kept.remove(&name);
                }
                Reply::Dropped
            }
            Request::Read { names } => {
                let readings = names.iter().map(|name| variables.read(name, reader)).collect();
                Reply::Read { readings }
            }
        };
        let mut text = serde_json::to_string(&reply)?;
        text.push('\n');
        replies.write_all(text.as_bytes()).context("replying to the kernel")?;
    }
    Ok(())
}

fn run_cell(library: &std::path::Path, transient: bool, variables: &mut Variables) -> Outcome {
    // SAFETY: the library is a cell the kernel just compiled against the
    // session's runtime; its initialisers are Rust's, which do nothing
    // unsound.
    let loaded = unsafe { libloading::os::unix::Library::open(Some(library), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    let library = match loaded {
        Ok(library) => library,
        Err(e) => return Outcome::NotLoaded(e.to_string()),
    };
    type Entry = unsafe extern "C" fn(*const Host) -> u32;
    // SAFETY: every cell exports its entry point with this signature.
    let entry = match unsafe { library.get::<Entry>(ENTRY_POINT.as_bytes()) } {
        Ok(entry) => *entry,
        Err(e) => return Outcome::NotLoaded(e.to_string()),
    };
    let threads = thread_count();
    let host = Host { abi: ABI_VERSION, state: variables as *mut Variables as *mut c_void, get, take, put, fail };
    // SAFETY: the entry point keeps the runtime's contract; `variables`
    // outlives the call and is reached only through `host` meanwhile.
    let code = unsafe { entry(&host) };
    let untouched = variables.taken.is_empty() && variables.stored.is_empty();
    if !(transient && untouched && thread_count() <= threads) {
        // Values, vtables and statics of this cell may be used by any
        // later one, or by a thread it started.
        std::mem::forget(library);
    }
    match Status::from_code(code) {
        Some(Status::Finished) => Outcome::Finished,
        Some(Status::Failed) => Outcome::Failed(variables.failure.take().unwrap_or_default()),
        Some(Status::Panicked) => Outcome::Panicked,
        Some(Status::WrongAbi) => {
            Outcome::NotLoaded(format!("the cell was built for another runtime than this kernel's (ABI {ABI_VERSION})"))
        }
        None => Outcome::NotLoaded(format!("the cell returned {code}, which no runtime returns")),
    }
}

/// The threads of this process, from the kernel's count.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map(|tasks| tasks.count()).unwrap_or(usize::MAX)
}

impl Variables {
    /// `name`'s reading by the session library's reader, when it has one:
    /// of the value kept, or, when none is, of the view a cell noted.
    fn read(&self, name: &str, reader: Option<Reader>) -> Option<Reading> {
        unsafe extern "C" fn collect(sink: *mut c_void, text: Str) {
            // SAFETY: `sink` is the String of `read`; `text` is live for the call.
            unsafe { (*(sink as *mut String)).push_str(text.as_str()) }
        }
        let data = self.kept.get(name).map_or(std::ptr::null(), |kept| kept.data as *const c_void);
        let mut json = String::new();
        // SAFETY: null or a value the session holds, and a sink of the type `collect` writes.
        let read = unsafe { reader?(Str::new(name), data, &mut json as *mut String as *mut c_void, collect) };
        read.then(|| serde_json::from_str(&json).ok()).flatten()
    }

    /// The reply for a run that ended with `outcome`, and a fresh record
    /// for the next.
    fn report(&mut self, outcome: Outcome) -> Reply {
        let taken = std::mem::take(&mut self.taken);
        let stored_names = std::mem::take(&mut self.stored);
        let removed = taken.into_iter().filter(|name| !self.kept.contains_key(name)).collect();
        let mut stored: Vec<Stored> = Vec::new();
        for name in stored_names {
            let Some(kept) = self.kept.get(&name) else { continue };
            stored.retain(|s| s.name != name);
            stored.push(Stored { name, type_name: kept.type_name.clone(), mutable: kept.mutable });
        }
        Reply::Ran { outcome, removed, stored }
    }
}

/// # Safety (for the four functions below)
/// `state` is the `Variables` of `run_cell`, alive for the call; the `Str`s
/// were made from live `&str`s by the runtime.
unsafe fn variables<'a>(state: *mut c_void) -> &'a mut Variables {
    // SAFETY: as above.
    unsafe { &mut *(state as *mut Variables) }
}

unsafe extern "C" fn get(state: *mut c_void, name: Str) -> *mut c_void {
    // SAFETY: see `variables`.
    let (variables, name) = unsafe { (variables(state), name.as_str()) };
    variables.kept.get(name).map_or(std::ptr::null_mut(), |kept| kept.data)
}

unsafe extern "C" fn take(state: *mut c_void, name: Str) -> *mut c_void {
    // SAFETY: see `variables`.
    let (variables, name) = unsafe { (variables(state), name.as_str()) };
    match variables.kept.remove(name) {
        Some(kept) => {
            variables.taken.push(name.to_string());
            let data = kept.data;
            // The cell owns the value now: not ours to drop.
            std::mem::forget(kept);
            data
        }
        None => std::ptr::null_mut(),
    }
}

unsafe extern "C" fn put(state: *mut c_void, value: Value) {
    // SAFETY: see `variables`.
    let (variables, name, type_name) = unsafe { (variables(state), value.name.as_str(), value.type_name.as_str()) };
    let kept = Kept { data: value.data, drop: value.drop, type_name: type_name.to_string(), mutable: value.mutable };
    // The value it replaces is dropped here, by its own cell's function.
    variables.kept.insert(name.to_string(), kept);
    variables.stored.push(name.to_string());
}

unsafe extern "C" fn fail(state: *mut c_void, message: Str) {
    // SAFETY: see `variables`.
    let (variables, message) = unsafe { (variables(state), message.as_str()) };
    variables.failure = Some(message.to_string());
}
