//! The C ABI between a compiled cell and the session process.
//!
//! The session process loads each cell as a shared library and calls its
//! entry point with a [`Host`]: a table of functions over the session's
//! variables. The process may be built by another compiler than the cells
//! (it is the kernel's own binary), so nothing crosses this joint but
//! `#[repr(C)]` structs, raw pointers and `extern "C"` functions. Values
//! stay opaque to the process: each is a `Box<dyn Any>` the cell boxed once
//! more into a thin pointer, stored with the function that drops it, which
//! lives in the cell that made the value (libraries are never unloaded).

use std::ffi::c_void;

/// Changes whenever [`Host`] or [`Value`] change; a cell refuses a host of
/// another version.
pub const ABI_VERSION: u32 = 1;

/// The name of the function every compiled cell exports: `unsafe extern
/// "C" fn(*const Host) -> u32`, returning a [`Status`].
pub const ENTRY_POINT: &str = "ndlens_cell_main";

/// Text crossing the joint: UTF-8, borrowed for the length of the call.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Str {
    pub ptr: *const u8,
    pub len: usize,
}

impl Str {
    pub fn new(text: &str) -> Str {
        Str { ptr: text.as_ptr(), len: text.len() }
    }

    /// # Safety
    /// `self` must come from [`Str::new`] on text still alive.
    pub unsafe fn as_str<'a>(self) -> &'a str {
        // SAFETY: made from a &str by Str::new, as the caller guarantees.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len)) }
    }
}

/// A value handed to the session to keep.
#[repr(C)]
pub struct Value {
    pub name: Str,
    /// `std::any::type_name` of the value, for the kernel to name the type
    /// in the cells that use it later.
    pub type_name: Str,
    /// Whether the user bound it with `let mut`.
    pub mutable: bool,
    /// A `Box<Box<dyn Any>>`, as a thin pointer.
    pub data: *mut c_void,
    /// Drops `data`; code of the cell that made the value.
    pub drop: unsafe extern "C" fn(*mut c_void),
}

/// What the session process offers a cell.
#[repr(C)]
pub struct Host {
    pub abi: u32,
    /// The process's own state, passed back to each function.
    pub state: *mut c_void,
    /// The data of the value named `name`, still the session's; null when
    /// there is none.
    pub get: unsafe extern "C" fn(state: *mut c_void, name: Str) -> *mut c_void,
    /// Takes the value named `name` out of the session: the caller owns its
    /// data now, and will drop it or put it back. Null when there is none.
    pub take: unsafe extern "C" fn(state: *mut c_void, name: Str) -> *mut c_void,
    /// Keeps `value`, dropping any value of the same name it replaces.
    pub put: unsafe extern "C" fn(state: *mut c_void, value: Value),
    /// The cell's error (a `?` at its top level, a variable of another
    /// type than the cell was compiled for), just before it returns
    /// [`Status::Failed`].
    pub fail: unsafe extern "C" fn(state: *mut c_void, message: Str),
}

/// How a cell's entry point returned.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Finished = 0,
    /// The cell returned an error, reported through [`Host::fail`].
    Failed = 1,
    /// The cell panicked; the panic hook reported where and why.
    Panicked = 2,
    /// The host is of another [`ABI_VERSION`]: nothing ran.
    WrongAbi = 3,
}

impl Status {
    pub fn from_code(code: u32) -> Option<Status> {
        [Status::Finished, Status::Failed, Status::Panicked, Status::WrongAbi].into_iter().find(|s| *s as u32 == code)
    }
}
