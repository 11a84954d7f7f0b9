//! Standard input in the session process: a cell that reads it asks the
//! front end, as `input()` does in ipykernel.
//!
//! Whatever reads standard input in the end calls `read` on descriptor 0:
//! `std::io::stdin()` in the cell, `ndlens_runtime::input::input`, C code.
//! So this binary defines `read` (the dynamic linker binds every library
//! of the process to it, as with the allocator, [`crate::allocator`]):
//! in a session process, a read of descriptor 0 sends the kernel a
//! [`Reply::Input`] on the session socket and waits on the process's
//! standard input, a pipe from the kernel, for the [`Answer`]: the line the
//! user typed, or why there is none (the request did not allow input, or
//! an interrupt came). Every other read goes straight to glibc.
//!
//! `ndlens_runtime::input::input(prompt)` reaches [`ask`] through its
//! address in the environment, to pass its prompt and whether it is a
//! password.

use std::ffi::c_void;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use ndlens_runtime::input::{Asked, ASK_VARIABLE};

use super::wire::{Reply, SOCKET_FD};
use crate::engine::output::Answer;

/// Set once this process serves as a session: only then is descriptor 0
/// the kernel's pipe.
static SERVING: AtomicBool = AtomicBool::new(false);

/// What the last answer held beyond what its read took.
static LEFTOVER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

extern "C" {
    fn __read(fd: i32, buffer: *mut u8, count: usize) -> isize;
}

/// Makes standard input the kernel's to answer, and publishes [`ask`] for
/// `input()`. Call it as the session process starts, before any thread.
pub fn serve() {
    SERVING.store(true, Ordering::Relaxed);
    let address = ask as *const () as usize;
    // SAFETY: no other thread runs yet.
    unsafe { std::env::set_var(ASK_VARIABLE, address.to_string()) };
}

/// # Safety
/// As C's `read`.
#[no_mangle]
pub unsafe extern "C" fn read(fd: i32, buffer: *mut u8, count: usize) -> isize {
    if fd != 0 || !SERVING.load(Ordering::Relaxed) || count == 0 {
        return __read(fd, buffer, count);
    }
    let mut leftover = crate::sync::lock(&LEFTOVER);
    if leftover.is_empty() {
        match request("", false) {
            Answer::Line(line) => {
                leftover.extend_from_slice(line.as_bytes());
                leftover.push(b'\n');
            }
            Answer::Refused(why) => return failed(&format!("standard input: {why}")),
            Answer::Interrupted => return failed("standard input: interrupted while waiting for input"),
        }
    }
    let taken = count.min(leftover.len());
    std::ptr::copy_nonoverlapping(leftover.as_ptr(), buffer, taken);
    leftover.drain(..taken);
    taken as isize
}

/// A read that fails, told on standard error: `EIO`, since the reasons
/// have no error number of their own.
fn failed(message: &str) -> isize {
    let _ = writeln!(std::io::stderr(), "{message}");
    // SAFETY: errno is this thread's.
    unsafe { *libc::__errno_location() = libc::EIO };
    -1
}

/// Asks the kernel for a line, and waits for its answer.
fn request(prompt: &str, password: bool) -> Answer {
    let mut line =
        serde_json::to_string(&Reply::Input { prompt: prompt.to_string(), password }).expect("replies serialise");
    line.push('\n');
    // SAFETY: the session socket stays open for the process's life; it is
    // borrowed here, not owned, so it is not closed at the end.
    let mut socket = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(SOCKET_FD) });
    if socket.write_all(line.as_bytes()).is_err() {
        return Answer::Refused("the kernel is gone".into());
    }
    let mut answer = Vec::new();
    let mut byte = 0u8;
    loop {
        // SAFETY: one byte into a local.
        match unsafe { __read(0, &mut byte, 1) } {
            1 if byte == b'\n' => break,
            1 => answer.push(byte),
            -1 if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return Answer::Refused("the kernel closed standard input".into()),
        }
    }
    serde_json::from_slice(&answer).unwrap_or_else(|e| Answer::Refused(format!("an answer that is not ours: {e}")))
}

/// `input()`'s way in: asks with `prompt`, and gives the line to `sink`.
unsafe extern "C" fn ask(
    prompt: *const u8,
    prompt_length: usize,
    password: bool,
    sink: unsafe extern "C" fn(*mut c_void, *const u8, usize),
    state: *mut c_void,
) -> Asked {
    // SAFETY: the caller passes a valid UTF-8 string.
    let prompt = unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(prompt, prompt_length)) };
    let (asked, text) = match request(prompt, password) {
        Answer::Line(line) => (Asked::Line, line),
        Answer::Refused(why) => (Asked::Refused, why),
        Answer::Interrupted => (Asked::Interrupted, String::new()),
    };
    // SAFETY: the caller's sink takes a string it copies.
    unsafe { sink(state, text.as_ptr(), text.len()) };
    asked
}
