//! A value as the debugger's Variables panel shows it: the start of its
//! `Debug` text where its type has one, its type's name otherwise.
//!
//! Which of the two applies is decided where the value's type is known,
//! in the cell, by method resolution: [`ViaDebug`] is implemented for
//! [`Probe`] of a `Debug` type, [`ViaTypeName`] for a reference to any
//! `Probe`, and `(&Probe(&value)).short_value()` finds the first before
//! it autorefs to the second (the "autoref specialization" of stable Rust).

use std::fmt::{self, Debug, Write};

/// The most characters of a value shown.
pub const SHORT: usize = 100;

/// A value to describe; see the module's documentation.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// The start of the value's `Debug` text.
pub trait ViaDebug {
    fn short_value(&self) -> String;
}

impl<T: Debug + ?Sized> ViaDebug for Probe<'_, T> {
    fn short_value(&self) -> String {
        short_debug(&self.0)
    }
}

/// The value's type, for a type without `Debug`.
pub trait ViaTypeName {
    fn short_value(&self) -> String;
}

impl<T: ?Sized> ViaTypeName for &Probe<'_, T> {
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

fn short_debug(value: &dyn Debug) -> String {
    let mut text = Bounded(String::new());
    match write!(text, "{value:?}") {
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
        assert_eq!((&Probe(&42)).short_value(), "42");
        assert_eq!((&Probe(&"text")).short_value(), "\"text\"");
        assert_eq!((&Probe(&Opaque)).short_value(), format!("<{}>", std::any::type_name::<Opaque>()));
        let long = (&Probe(&vec![1u8; 10_000_000])).short_value();
        assert!(long.ends_with('…') && long.chars().count() == SHORT + 1, "{long}");
    }
}
