//! Asking the user for a line, as Python's `input()` and `getpass()` do in
//! a notebook: the front end shows a box under the cell.
//!
//! The session process answers reads of standard input by asking the
//! front end; these functions add a prompt, and hide what is typed for a
//! password. They reach the session process through the address of its
//! function in the environment, as the interrupt flag is found
//! ([`crate::interrupt`]).
//!
//! ```no_run
//! use ndlens_runtime::input::input;
//! let name = input("Your name? ");
//! println!("Hello, {name}!");
//! ```

use std::ffi::c_void;
use std::io::Write;

/// The environment variable that holds the session's function's address.
pub const ASK_VARIABLE: &str = "NDLENS_INPUT";

/// How an ask ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// The line typed, without its newline, went to the sink.
    Line,
    /// Why there is no line went to the sink.
    Refused,
    /// An interrupt ended the wait.
    Interrupted,
}

/// The session process's function: `(prompt, prompt length, password,
/// sink, sink state) -> how it ended`; the sink receives the line or the
/// reason.
pub type Ask = unsafe extern "C" fn(
    *const u8,
    usize,
    bool,
    unsafe extern "C" fn(*mut c_void, *const u8, usize),
    *mut c_void,
) -> Asked;

/// Shows `prompt` and returns the line the user types, without its
/// newline.
///
/// # Panics
/// When the front end takes no input for this cell (nbclient runs cells
/// without), with the reason; on an interrupt while waiting, as an
/// interrupt stops a cell; where the session cannot ask (the evcxr engine).
pub fn input(prompt: &str) -> String {
    ask(prompt, false)
}

/// As [`input`], with what is typed hidden.
pub fn getpass(prompt: &str) -> String {
    ask(prompt, true)
}

fn ask(prompt: &str, password: bool) -> String {
    // What the cell printed comes before the box.
    let _ = std::io::stdout().flush();
    let address: usize = std::env::var(ASK_VARIABLE).ok().and_then(|a| a.parse().ok()).unwrap_or(0);
    if address == 0 {
        panic!("input: this session cannot ask for input: only the rustc engine's session process can");
    }
    // SAFETY: the address is of the session process's `Ask`, published by
    // the process itself.
    let ask: Ask = unsafe { std::mem::transmute::<usize, Ask>(address) };
    unsafe extern "C" fn sink(state: *mut c_void, text: *const u8, length: usize) {
        // SAFETY: `state` is the String below; `text` is valid for `length`.
        unsafe {
            let out = &mut *(state as *mut String);
            out.push_str(&String::from_utf8_lossy(std::slice::from_raw_parts(text, length)));
        }
    }
    let mut text = String::new();
    // SAFETY: as `Ask` asks; `text` outlives the call.
    let asked = unsafe { ask(prompt.as_ptr(), prompt.len(), password, sink, &mut text as *mut String as *mut c_void) };
    match asked {
        Asked::Line => text,
        Asked::Refused => panic!("input: {text}"),
        Asked::Interrupted => panic!("{}", crate::interrupt::PANIC_MESSAGE),
    }
}
