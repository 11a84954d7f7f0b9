//! Interrupts that keep the session.
//!
//! Ending the session's process would lose every variable, so an interrupt
//! first asks the running cell to stop itself: the kernel sends the process
//! `SIGUSR1`, whose handler ([`install_handler`]) sets a flag, and the
//! kernel has placed a [`check`] at the head of every loop body and closure
//! body of the cell, which panics with [`PANIC_MESSAGE`] once the flag is
//! set. The panic is caught like any other, so the session's variables are
//! kept. Code that reaches no check in time is stopped by the kernel the
//! old way, by ending the process.
//!
//! Every compiled cell has its own copy of this module, statics included,
//! so the flag is published once per process, by address, in the
//! environment: every copy of [`check`] finds the same flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The message of the panic a check raises.
pub const PANIC_MESSAGE: &str = "KeyboardInterrupt";

/// The environment variable that holds the flag's address.
const FLAG_VARIABLE: &str = "NDLENS_INTERRUPT_FLAG";

/// `SIGUSR1`, the signal the kernel interrupts with.
#[cfg(target_os = "linux")]
pub const SIGNAL: i32 = 10;
#[cfg(target_os = "macos")]
pub const SIGNAL: i32 = 30;

fn flag() -> Option<&'static AtomicBool> {
    static ADDRESS: OnceLock<usize> = OnceLock::new();
    let address = *ADDRESS.get_or_init(|| std::env::var(FLAG_VARIABLE).ok().and_then(|a| a.parse().ok()).unwrap_or(0));
    // SAFETY: the address is of the static of the copy that installed the
    // handler, in a library the session keeps loaded for its whole life.
    (address != 0).then(|| unsafe { &*(address as *const AtomicBool) })
}

/// Stops the cell with a `KeyboardInterrupt` panic if an interrupt came
/// since the last check. `#[track_caller]`, so that the panic names the
/// cell's line.
#[inline]
#[track_caller]
pub fn check() {
    if let Some(flag) = flag() {
        if flag.load(Ordering::Relaxed) && flag.swap(false, Ordering::Relaxed) {
            panic!("{}", PANIC_MESSAGE);
        }
    }
}

/// Forgets an interrupt that came while no check was running (during the
/// build, or in a cell without loops), so that it does not stop the next
/// cell.
pub fn reset() {
    if let Some(flag) = flag() {
        flag.store(false, Ordering::Relaxed);
    }
}

/// Installs the signal handler and publishes its flag, once per process.
pub fn install_handler() {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    extern "C" fn on_interrupt(_: i32) {
        INTERRUPTED.store(true, Ordering::Relaxed);
    }
    extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    }
    // SAFETY: the handler only stores to an atomic, which is
    // async-signal-safe; glibc's signal() restarts interrupted calls.
    unsafe { signal(SIGNAL, on_interrupt) };
    let address = &INTERRUPTED as *const AtomicBool as usize;
    // SAFETY: this runs while the session sets itself up, before any cell
    // of the user's could have started a thread.
    unsafe { std::env::set_var(FLAG_VARIABLE, address.to_string()) };
}
