//! Running a cell's body against the session's [`Host`].
//!
//! The kernel compiles each cell into an entry point of this shape:
//!
//! ```ignore
//! #[no_mangle]
//! pub unsafe extern "C" fn ndlens_cell_main(host: *const Host) -> u32 {
//!     ndlens_runtime::cell::run(host, |cell| {
//!         cell.check::<Vec<i32>>("a")?;          // every variable named, first
//!         let mut a: Vec<i32> = cell.take("a");
//!         let mut statements = Some(|| -> Result<(), CellError> {
//!             let b = a.len();                   // the user's statements
//!             cell.put("b", b, false);           // what they bound
//!             Ok(())
//!         });
//!         let outcome = catch(&mut || statements.take().map_or(Ok(()), |s| s()));
//!         drop(statements);
//!         cell.put("a", a, true);                // what they only borrowed
//!         outcome
//!     })
//! }
//! ```
//!
//! The user's statements run in a closure, so that a `?` at their top
//! level returns from it, and [`catch`] stops a panic there, so that it
//! unwinds only what the closure owns: a variable the cell moved is lost
//! with it, one the cell only borrowed is still in the entry point's frame
//! and goes back to the session. Only the variables the cell names are
//! taken, so a cell costs the same however many the session holds.
//!
//! `run` and `catch` take functions, not generic closures: catching a
//! panic is then compiled once, here, not into every cell (it took a
//! trivial cell from 51 to 81 ms to build). A cell that loads no variable
//! has nothing to give back after a panic: its statements run in the entry
//! point's own body, and `run` alone catches its panic.

use std::any::Any;
use std::ffi::c_void;
use std::fmt;
use std::io::Write;
use std::panic::AssertUnwindSafe;

use crate::host::{Host, Status, Str, Value, ABI_VERSION};

/// The error of a cell whose top level used `?` on an error, whose
/// variables are not what it was compiled for, or whose statements
/// panicked. Any `Debug` error converts into it, as for a `main` that
/// returns a `Result`.
pub struct CellError {
    /// `None` for a panic, which the panic hook reported.
    message: Option<String>,
}

impl<E: fmt::Debug> From<E> for CellError {
    fn from(error: E) -> CellError {
        CellError { message: Some(format!("{error:?}")) }
    }
}

/// Runs the cell's `statements`, stopping a panic there.
pub fn catch(statements: &mut dyn FnMut() -> Result<(), CellError>) -> Result<(), CellError> {
    match std::panic::catch_unwind(AssertUnwindSafe(statements)) {
        Ok(outcome) => outcome,
        Err(_payload) => Err(CellError { message: None }),
    }
}

/// The running cell's view of the session.
pub struct Cell<'h> {
    host: &'h Host,
}

/// Runs `body` as the cell, catching its panic; returns the entry point's
/// [`Status`] code.
///
/// # Safety
/// `host` must point to a live [`Host`] whose functions keep its contract.
pub unsafe fn run(host: *const Host, body: fn(&Cell) -> Result<(), CellError>) -> u32 {
    // SAFETY: the caller passes a live host.
    let host = unsafe { &*host };
    if host.abi != ABI_VERSION {
        return Status::WrongAbi as u32;
    }
    let cell = Cell { host };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| body(&cell)));
    // The session reads the cell's output up to a mark it writes after
    // this returns: nothing may stay in this library's buffer.
    let _ = std::io::stdout().flush();
    let status = match outcome {
        Ok(Ok(())) => Status::Finished,
        Ok(Err(CellError { message: Some(message) })) => {
            // SAFETY: the host's contract; the message outlives the call.
            unsafe { (host.fail)(host.state, Str::new(&message)) };
            Status::Failed
        }
        Ok(Err(CellError { message: None })) => Status::Panicked,
        Err(_payload) => Status::Panicked,
    };
    status as u32
}

unsafe extern "C" fn drop_value(data: *mut c_void) {
    // SAFETY: `data` was made by `Cell::put` from a Box<Box<dyn Any>>.
    let value = unsafe { Box::from_raw(data as *mut Box<dyn Any>) };
    // A panicking `Drop` must not unwind into the session process, which
    // is not Rust as far as this function knows; its message was shown.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(value)));
}

impl Cell<'_> {
    /// Checks that the session holds `name` as a `T`, before anything is
    /// taken: a cell whose variables do not match stops with nothing lost.
    pub fn check<T: 'static>(&self, name: &str) -> Result<(), CellError> {
        // SAFETY: the host's contract: null, or a value `put` stored.
        let data = unsafe { (self.host.get)(self.host.state, Str::new(name)) } as *const Box<dyn Any>;
        if data.is_null() {
            return Err(CellError { message: Some(format!("the session has no variable `{name}`")) });
        }
        // SAFETY: a Box<Box<dyn Any>> the session holds for the length of this call.
        if !unsafe { &**data }.is::<T>() {
            let expected = std::any::type_name::<T>();
            return Err(CellError { message: Some(format!("the session's `{name}` is not a `{expected}`")) });
        }
        Ok(())
    }

    /// Takes `name` out of the session; [`Cell::check`] it first.
    ///
    /// # Panics
    /// If the session holds no `T` named `name`.
    pub fn take<T: 'static>(&self, name: &str) -> T {
        // SAFETY: the host's contract: null, or a value `put` stored, now ours.
        let data = unsafe { (self.host.take)(self.host.state, Str::new(name)) } as *mut Box<dyn Any>;
        assert!(!data.is_null(), "the session has no variable `{name}`");
        // SAFETY: as above.
        let value = unsafe { Box::from_raw(data) };
        match value.downcast::<T>() {
            Ok(value) => *value,
            Err(_) => panic!("the session's `{name}` is not a `{}`", std::any::type_name::<T>()),
        }
    }

    /// Hands `value` to the session as `name`, for later cells.
    pub fn put<T: 'static>(&self, name: &str, value: T, mutable: bool) {
        let data = Box::into_raw(Box::new(Box::new(value) as Box<dyn Any>)) as *mut c_void;
        let value = Value {
            name: Str::new(name),
            type_name: Str::new(std::any::type_name::<T>()),
            mutable,
            data,
            drop: drop_value,
        };
        // SAFETY: the host's contract; the names outlive the call.
        unsafe { (self.host.put)(self.host.state, value) };
    }
}
