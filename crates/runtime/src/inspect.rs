//! A value as the debugger's Variables panel shows it: the start of its
//! `Debug` text where its type has one, its type's name otherwise, and for
//! an array its layout, as a [`Reading`].
//!
//! The debugger asks after every cell, so a reading must cost no compile
//! where it can. A value is read in one of three places:
//!
//! - the values the session keeps, by the session library, type-erased,
//!   with [`read`]: arrays of the common element types and dimensions
//!   (through [`ndlens::erased`]) and the common scalars, strings and
//!   vectors;
//! - a view, which is not kept but derived anew by each cell that uses it,
//!   by the cell that derives it first, with [`Noted`]: the derivation is
//!   compiled there anyway, and the reading of the view's dynamic form is
//!   compiled once, into the session library, per element type;
//! - anything else, by a cell the kernel generates, where the type is
//!   known.
//!
//! [`Noted`] and [`Probe`] choose by method resolution, which tries a
//! receiver's impls before those of what it dereferences to (the "autoref
//! specialization" of stable Rust): [`NoteArray`] is implemented for
//! `Noted` of an array of a common element type and [`NoteNothing`] for a
//! reference to any `Noted`, so `(&Noted(&view)).note(name)` notes an array
//! and ignores the rest; `(&&&Probe(&value)).short_value()` finds an array's
//! [`ViaArrayDisplay`], then a `Debug` type's [`ViaDebug`], then any type's
//! [`ViaTypeName`].

use std::any::Any;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::Mutex;

use ndlens::ndarray::{ArrayBase, ArrayViewD, Data, Dimension};
use std::fmt::{self, Debug, Write};
use std::panic::AssertUnwindSafe;

use serde::{Deserialize, Serialize};

use crate::host::Str;

/// The most characters of a value shown.
pub const SHORT: usize = 100;

/// A variable as the Variables panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The start of its `Debug` text (or its type's name in `<>`).
    pub value: String,
    /// Its layout, when it is an array.
    pub array: Option<ArrayReading>,
}

/// An array's layout, in the columns a student compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayReading {
    /// The element type's full name.
    pub element: String,
    pub shape: Vec<usize>,
    /// In bytes, as NumPy counts them.
    pub strides: Vec<isize>,
    pub c_contiguous: bool,
    pub f_contiguous: bool,
}

impl ArrayReading {
    pub fn of(layout: &ndlens::Layout) -> ArrayReading {
        ArrayReading {
            element: layout.elem_type.to_string(),
            shape: layout.shape.clone(),
            strides: layout.strides.clone(),
            c_contiguous: layout.c_contiguous,
            f_contiguous: layout.f_contiguous,
        }
    }
}

/// The readings a generated cell makes, by name, sent to the kernel as
/// JSON (their `Display`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readings(pub Vec<(String, Reading)>);

impl Readings {
    /// Adds `name`'s reading: its short value, and its layout when it is
    /// an array.
    pub fn add(&mut self, name: &str, value: String, layout: Option<&ndlens::Layout>) {
        self.0.push((name.to_string(), Reading { value, array: layout.map(ArrayReading::of) }));
    }
}

impl fmt::Display for Readings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).map_err(|_| fmt::Error)?)
    }
}

/// The reading of a kept value of a common type; `None` for any other,
/// which a generated cell must read.
pub fn read(value: &dyn Any) -> Option<Reading> {
    if let Some(array) = ndlens::erased::array(value) {
        return Some(Reading { value: short_text(array.elements()), array: Some(ArrayReading::of(&array.layout)) });
    }
    macro_rules! common {
        ($($ty:ty),*) => {
            $(
                if let Some(v) = value.downcast_ref::<$ty>() {
                    return Some(Reading { value: short_text(&DebugText(v)), array: None });
                }
                if let Some(v) = value.downcast_ref::<Vec<$ty>>() {
                    return Some(Reading { value: short_text(&DebugText(v)), array: None });
                }
            )*
        };
    }
    common!(f64, f32, i64, i32, i16, i8, isize, u64, u32, u16, u8, usize, bool, char, String, &'static str, ());
    None
}

/// The function the session library exports as [`READER`]: the
/// [`Reading`] of the variable `name`, from the value `data` the session
/// keeps (a `Box<Box<dyn Any>>`, as [`crate::cell::Cell::put`] made it) or,
/// when `data` is null, from what the cell that derived the view `name`
/// [noted](Noted); as JSON given to `sink` through `write`. False, with
/// nothing written, when there is no such reading.
pub type Reader = unsafe extern "C" fn(
    name: Str,
    data: *const c_void,
    sink: *mut c_void,
    write: unsafe extern "C" fn(*mut c_void, Str),
) -> bool;

/// The name the session library exports its [`Reader`] under.
pub const READER: &str = "ndlens_read_variable";

/// The session library's [`Reader`].
///
/// # Safety
/// `name` keeps the [`Str`] contract; `data` is null or a value the session
/// keeps, alive for the call; `write` keeps the [`Str`] contract.
#[no_mangle]
pub unsafe extern "C" fn ndlens_read_variable(
    name: Str,
    data: *const c_void,
    sink: *mut c_void,
    write: unsafe extern "C" fn(*mut c_void, Str),
) -> bool {
    let reading = if data.is_null() {
        // SAFETY: the caller's contract.
        let name = unsafe { name.as_str() };
        lock_noted().get(name).cloned()
    } else {
        // SAFETY: the caller's contract: a live Box<Box<dyn Any>>.
        let value: &dyn Any = unsafe { &**(data as *const Box<dyn Any>) };
        // A `Debug` that panics must not unwind into the session process.
        std::panic::catch_unwind(AssertUnwindSafe(|| read(value))).ok().flatten()
    };
    let Some(reading) = reading else { return false };
    let text = serde_json::to_string(&reading).expect("readings serialise");
    // SAFETY: the caller's contract; `text` outlives the call.
    unsafe { write(sink, Str::new(&text)) };
    true
}

/// The readings of views, by name, as the cells that derived them noted
/// them. One per process: it lives in the session library, which every
/// cell links.
static NOTED: Mutex<BTreeMap<String, Reading>> = Mutex::new(BTreeMap::new());

fn lock_noted() -> std::sync::MutexGuard<'static, BTreeMap<String, Reading>> {
    NOTED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A view to note, as the cell that derives it sees it; see the module's
/// documentation.
pub struct Noted<'a, T: ?Sized>(pub &'a T);

/// Notes an array of a common element type.
pub trait NoteArray {
    fn note(&self, name: &str);
}

impl<S: Data, D: Dimension> NoteArray for Noted<'_, ArrayBase<S, D>>
where
    S::Elem: Element,
{
    fn note(&self, name: &str) {
        S::Elem::note(name, self.0.view().into_dyn());
    }
}

/// Notes nothing: any other value is read by a generated cell.
pub trait NoteNothing {
    fn note(&self, name: &str);
}

impl<T: ?Sized> NoteNothing for &Noted<'_, T> {
    fn note(&self, _name: &str) {}
}

/// An element type whose arrays are read in the session library: the
/// code that reads them is compiled there, once, not into each cell.
pub trait Element: Sized {
    /// Notes the reading of `view` as `name`'s.
    fn note(name: &str, view: ArrayViewD<'_, Self>);
}

macro_rules! elements {
    ($($elem:ty),*) => {
        $(
            impl Element for $elem {
                fn note(name: &str, view: ArrayViewD<'_, $elem>) {
                    let reading = Reading { value: short_text(&view), array: Some(ArrayReading::of(&ndlens::layout(&view))) };
                    lock_noted().insert(name.to_string(), reading);
                }
            }
        )*
    };
}

elements!(f64, f32, i64, i32, i16, i8, isize, u64, u32, u16, u8, usize, bool, char);

/// A value to describe; see the module's documentation.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// The start of an array's text as ndarray displays it: its elements,
/// which the other columns do not show (its `Debug` text adds its shape
/// and strides).
pub trait ViaArrayDisplay {
    fn short_value(&self) -> String;
}

impl<S: Data, D: Dimension> ViaArrayDisplay for &&Probe<'_, ArrayBase<S, D>>
where
    S::Elem: fmt::Display,
{
    fn short_value(&self) -> String {
        short_text(self.0)
    }
}

/// The start of the value's `Debug` text.
pub trait ViaDebug {
    fn short_value(&self) -> String;
}

impl<T: Debug + ?Sized> ViaDebug for &Probe<'_, T> {
    fn short_value(&self) -> String {
        short_text(&DebugText(self.0))
    }
}

/// The value's type, for a type without `Debug`.
pub trait ViaTypeName {
    fn short_value(&self) -> String;
}

impl<T: ?Sized> ViaTypeName for Probe<'_, T> {
    fn short_value(&self) -> String {
        format!("<{}>", std::any::type_name::<T>())
    }
}

/// Collects text until it holds [`SHORT`] characters, then stops the
/// formatting: a vector of ten million elements is not formatted whole.
struct Bounded(String);

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.chars().count() >= SHORT {
                return Err(fmt::Error);
            }
            self.0.push(if c == '\n' { ' ' } else { c });
        }
        Ok(())
    }
}

/// A value's `Debug` text as its `Display`.
struct DebugText<'a, T: ?Sized>(&'a T);

impl<T: Debug + ?Sized> fmt::Display for DebugText<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The start of `value`'s text, at most [`SHORT`] characters.
fn short_text(value: &dyn fmt::Display) -> String {
    let mut text = Bounded(String::new());
    match write!(text, "{value}") {
        Ok(()) => text.0,
        Err(_) => text.0 + "…",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    fn debug_values_show_their_start_others_their_type() {
        assert_eq!((&&&Probe(&42)).short_value(), "42");
        assert_eq!((&&&Probe(&"text")).short_value(), "\"text\"");
        assert_eq!((&&&Probe(&Opaque)).short_value(), format!("<{}>", std::any::type_name::<Opaque>()));
        let matrix = ndlens::ndarray::Array2::<f64>::zeros((2, 2));
        assert_eq!((&&&Probe(&matrix)).short_value(), "[[0, 0],\n [0, 0]]".replace('\n', " "));
        let long = (&&&Probe(&vec![1u8; 10_000_000])).short_value();
        assert!(long.ends_with('…') && long.chars().count() == SHORT + 1, "{long}");
    }

    #[test]
    fn kept_values_of_common_types_are_read_without_their_types() {
        let matrix: Box<dyn Any> = Box::new(ndlens::ndarray::Array2::<f64>::zeros((1000, 1000)));
        let reading = read(matrix.as_ref()).unwrap();
        let array = reading.array.unwrap();
        assert_eq!((array.element.as_str(), array.strides), ("f64", vec![8000, 8]));
        assert!(
            reading.value.starts_with("[[0, 0, 0, 0, 0, ..., 0") && reading.value.ends_with('…'),
            "{}",
            reading.value
        );
        let text: Box<dyn Any> = Box::new(String::from("strides"));
        assert_eq!(read(text.as_ref()), Some(Reading { value: "\"strides\"".into(), array: None }));
        let opaque: Box<dyn Any> = Box::new(Opaque);
        assert_eq!(read(opaque.as_ref()), None);
    }

    /// What the session process gets from the exported reader.
    fn exported(name: &str, data: *const c_void) -> Option<Reading> {
        unsafe extern "C" fn collect(sink: *mut c_void, text: Str) {
            // SAFETY: `sink` is the String below; `text` is live for the call.
            unsafe { (*(sink as *mut String)).push_str(text.as_str()) }
        }
        let mut sink = String::new();
        // SAFETY: null or a live kept value, and a sink of the right type.
        let read =
            unsafe { ndlens_read_variable(Str::new(name), data, &mut sink as *mut String as *mut c_void, collect) };
        read.then(|| serde_json::from_str(&sink).unwrap())
    }

    #[test]
    fn the_exported_reader_reads_kept_values() {
        let kept: Box<Box<dyn Any>> = Box::new(Box::new(vec![1u8, 2]));
        let reading = exported("v", &*kept as *const Box<dyn Any> as *const c_void).unwrap();
        assert_eq!(reading.value, "[1, 2]");
        assert_eq!(exported("v", std::ptr::null()), None, "a kept value is not a noted view");
    }

    #[test]
    fn views_are_read_where_they_are_derived() {
        use ndlens::ndarray::prelude::*;
        let m = Array2::<i32>::zeros((3, 4));
        (&Noted(&m.t())).note("noted_t");
        (&Noted(&m.slice(s![.., 1]))).note("noted_column");
        (&Noted(&vec!["x".to_string()])).note("noted_strings");
        let t = exported("noted_t", std::ptr::null()).unwrap().array.unwrap();
        assert_eq!((t.shape, t.strides, t.f_contiguous), (vec![4, 3], vec![4, 16], true));
        assert_eq!(exported("noted_column", std::ptr::null()).unwrap().value, "[0, 0, 0]");
        assert_eq!(exported("noted_strings", std::ptr::null()), None);
    }
}
