//! Where an array's first element lives.
//!
//! The recipe's `aid()` reads `__array_interface__['data'][0]`: the address of
//! the first element, which is *not* the start of the allocation for a view
//! that begins further in. The same caveat holds here, and is why
//! [`shares_memory`](crate::shares_memory) exists.

use ndarray::{ArrayBase, Dimension, RawData};

/// The address of the first element of `a`, as NumPy's
/// `a.__array_interface__['data'][0]`.
///
/// Two arrays with the same `aid` start at the same byte; a view that starts
/// later in the same buffer has a larger address, so equal addresses are a
/// sufficient but not a necessary sign of sharing.
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::aid;
///
/// let a = Array1::<f64>::zeros(3);
/// assert_eq!(aid(&a.slice(s![1..])) - aid(&a), 8);
/// assert_ne!(aid(&a.to_owned()), aid(&a));
/// ```
pub fn aid<S, D>(a: &ArrayBase<S, D>) -> usize
where
    S: RawData,
    D: Dimension,
{
    a.as_ptr() as usize
}
