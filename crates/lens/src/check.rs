//! Checks for exercises: each compares an answer with what is true of it
//! and, when they differ, panics with a message that teaches: what was
//! expected, what the answer is, and its layout. A graded test cell is
//! then one line per fact, and a student who fails it reads why.
//!
//! ```
//! use ndarray::prelude::*;
//! use ndlens::check;
//!
//! let a = Array1::<f64>::zeros(10);
//! fn every_other(a: &Array1<f64>) -> ArrayView1<'_, f64> {
//!     a.slice(s![..;2])
//! }
//! let answer = check::answered("every_other", || every_other(&a));
//! check::is_view_of(&answer, &a, "every_other(&a)");
//! check::equals(ndlens::layout(&answer).strides, vec![16], "a step of 2 over 8-byte elements");
//! ```

use std::fmt::Debug;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use ndarray::{ArrayBase, Data, Dimension, RawData};

use crate::{aid, layout, shares_memory};

/// Runs the student's `function` and returns its answer; a `todo!()` still
/// in it becomes "not answered yet", any other panic is passed on.
///
/// ```should_panic
/// ndlens::check::answered("predict", || -> usize { todo!() });
/// ```
#[track_caller]
pub fn answered<T>(function: &str, run: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(answer) => answer,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if message.starts_with("not yet implemented") {
                panic!("`{function}` is not answered yet: replace its `todo!()` with your answer");
            }
            resume_unwind(payload)
        }
    }
}

/// Checks that `answer` is `expected`; `why` says what makes it so.
///
/// ```should_panic
/// ndlens::check::equals(16, 24, "3 elements of 8 bytes");
/// ```
#[track_caller]
pub fn equals<T: PartialEq + Debug>(answer: T, expected: T, why: &str) {
    if answer != expected {
        panic!("expected {expected:?}, got {answer:?}: {why}");
    }
}

/// Checks that `answer` shares `of`'s buffer: a view, not a copy. `what`
/// names the answer in the message.
///
/// ```should_panic
/// use ndarray::prelude::*;
/// let a = Array1::<f64>::zeros(4);
/// ndlens::check::is_view_of(&a.to_owned(), &a, "a.to_owned()");
/// ```
#[track_caller]
pub fn is_view_of<S, D, T, E>(answer: &ArrayBase<S, D>, of: &ArrayBase<T, E>, what: &str)
where
    S: Data,
    D: Dimension,
    T: Data,
    E: Dimension,
{
    if !shares_memory(answer, of) {
        panic!(
            "{what} should be a view of the original, sharing its buffer, but it is a copy: its first element is \
             at {:#x}, in a buffer of its own, while the original's buffer starts at {:#x}. Its layout: {}",
            aid(answer),
            aid(of),
            layout(answer)
        );
    }
}

/// Checks that `answer` has a buffer of its own: a copy that changing `of`
/// cannot reach.
///
/// ```should_panic
/// use ndarray::prelude::*;
/// let a = Array1::<f64>::zeros(4);
/// ndlens::check::is_copy_of(&a.view(), &a, "a.view()");
/// ```
#[track_caller]
pub fn is_copy_of<S, D, T, E>(answer: &ArrayBase<S, D>, of: &ArrayBase<T, E>, what: &str)
where
    S: RawData,
    D: Dimension,
    T: RawData,
    E: Dimension,
{
    if shares_memory(answer, of) {
        panic!(
            "{what} should be a copy with a buffer of its own, but it shares the original's: its first element \
             is at {:#x}, inside the original's buffer (from {:#x}). Its layout: {}",
            aid(answer),
            aid(of),
            layout(answer)
        );
    }
}

/// Checks that `answer` holds the same elements as `expected`, in the same
/// shape.
///
/// ```should_panic
/// use ndarray::prelude::*;
/// ndlens::check::same_elements(&array![1, 2], &array![1, 3], "the doubled vector");
/// ```
#[track_caller]
pub fn same_elements<A, S, D, T>(answer: &ArrayBase<S, D>, expected: &ArrayBase<T, D>, what: &str)
where
    A: PartialEq + Debug,
    S: Data<Elem = A>,
    T: Data<Elem = A>,
    D: Dimension,
{
    if answer != expected {
        panic!("{what} should be\n{expected:?}\nbut it is\n{answer:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    fn message(run: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = catch_unwind(run).unwrap_err();
        payload.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn failures_say_what_was_expected_and_what_the_answer_is() {
        let a = Array2::<f64>::zeros((2, 3));
        let copied = message(|| is_view_of(&a.t().to_owned(), &a, "your answer"));
        assert!(copied.starts_with("your answer should be a view of the original"), "{copied}");
        assert!(copied.contains("shape=(3, 2) strides=(8, 24)"), "{copied}");
        let shared = message(|| is_copy_of(&a.row(1), &a, "a.row(1)"));
        assert!(shared.contains("shares the original's"), "{shared}");
        assert_eq!(message(|| equals(1, 2, "why")), "expected 2, got 1: why");
    }

    #[test]
    fn an_unanswered_function_says_so() {
        let unanswered = message(|| {
            answered("predict", || -> u8 { todo!() });
        });
        assert_eq!(unanswered, "`predict` is not answered yet: replace its `todo!()` with your answer");
        let other = message(|| {
            answered("f", || -> u8 { panic!("{}", "its own") });
        });
        assert_eq!(other, "its own");
    }
}
