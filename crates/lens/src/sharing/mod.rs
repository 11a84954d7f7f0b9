//! Do two arrays share memory, and where?
//!
//! [`may_share_memory`] compares the byte ranges two arrays reach, as
//! `numpy.may_share_memory` does: cheap, and wrong whenever two views
//! interleave without touching (the even and odd elements of one vector).
//!
//! [`shares_memory`] gives the exact answer, as `numpy.shares_memory`. Whether
//! some element of one array overlaps some element of the other is a bounded
//! linear Diophantine equation over the two arrays' indices (see
//! [`diophantine`]). A depth-first search with range and divisibility pruning
//! settles it in microseconds for the arrays people make; when its work budget
//! runs out, the answer comes instead from a merge of the two arrays' sorted
//! element addresses ([`sweep`]), which is exact and takes
//! `O(n log n)` time in the number of elements. Either way the answer is exact
//! and the time is bounded.
//!
//! [`overlap`] names a shared element, for explanations.

mod diophantine;
mod sweep;

use ndarray::{ArrayBase, Dimension, RawData};

use crate::layout::{layout, Layout};

/// The work budget of the Diophantine search, in candidate values tried.
/// Past it, the sorted sweep answers instead.
const SEARCH_BUDGET: u64 = 1 << 20;

/// An array reduced to what memory it reaches: the address of its first
/// element and its layout.
#[derive(Clone, Debug)]
pub(crate) struct Footprint {
    pub(crate) address: isize,
    pub(crate) layout: Layout,
}

impl Footprint {
    pub(crate) fn of<S, D>(a: &ArrayBase<S, D>) -> Footprint
    where
        S: RawData,
        D: Dimension,
    {
        Footprint { address: a.as_ptr() as isize, layout: layout(a) }
    }

    /// The absolute byte range the array reaches, empty if it has no bytes.
    pub(crate) fn bytes(&self) -> std::ops::Range<isize> {
        let e = &self.layout.extent;
        if e.is_empty() {
            return self.address..self.address;
        }
        self.address + e.start..self.address + e.end
    }
}

/// Whether the byte ranges of `a` and `b` intersect, as `numpy.may_share_memory`.
///
/// `false` is certain; `true` only means "possibly".
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::{may_share_memory, shares_memory};
///
/// let x = Array1::<f64>::zeros(10);
/// let (even, odd) = (x.slice(s![..;2]), x.slice(s![1..;2]));
/// assert!(may_share_memory(&even, &odd));
/// assert!(!shares_memory(&even, &odd));
/// ```
pub fn may_share_memory<S, D, T, E>(a: &ArrayBase<S, D>, b: &ArrayBase<T, E>) -> bool
where
    S: RawData,
    D: Dimension,
    T: RawData,
    E: Dimension,
{
    ranges_intersect(Footprint::of(a).bytes(), Footprint::of(b).bytes())
}

fn ranges_intersect(x: std::ops::Range<isize>, y: std::ops::Range<isize>) -> bool {
    !x.is_empty() && !y.is_empty() && x.start < y.end && y.start < x.end
}

/// Whether some byte belongs to an element of `a` and an element of `b`, as
/// `numpy.shares_memory`: exact for any strides, negative or zero, and for
/// element types of different sizes over the same bytes.
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::shares_memory;
///
/// let a = Array1::<f64>::zeros(3);
/// assert!(shares_memory(&a, &a.slice(s![..1])));
/// assert!(!shares_memory(&a, &a.to_owned()));
/// assert!(shares_memory(&a.t(), &a.slice(s![..;-1])));
/// ```
pub fn shares_memory<S, D, T, E>(a: &ArrayBase<S, D>, b: &ArrayBase<T, E>) -> bool
where
    S: RawData,
    D: Dimension,
    T: RawData,
    E: Dimension,
{
    footprints_share(&Footprint::of(a), &Footprint::of(b))
}

pub(crate) fn footprints_share(a: &Footprint, b: &Footprint) -> bool {
    if !ranges_intersect(a.bytes(), b.bytes()) {
        return false;
    }
    match diophantine::Problem::overlap_of(a, b).solve(SEARCH_BUDGET) {
        diophantine::Outcome::Solvable => true,
        diophantine::Outcome::Unsolvable => false,
        diophantine::Outcome::OutOfBudget => sweep::lowest_shared_byte(a, b).is_some(),
    }
}

/// A shared element of two arrays: the lowest-addressed byte that both reach,
/// and the element of each array that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Overlap {
    /// The index, in `a`, of the element that holds the shared byte.
    pub index_a: Vec<usize>,
    /// The index, in `b`, of the element that holds the shared byte.
    pub index_b: Vec<usize>,
    /// The shared byte's offset from `a`'s first element (may be negative
    /// when `a` has negative strides).
    pub offset_a: isize,
    /// The shared byte's offset from `b`'s first element.
    pub offset_b: isize,
}

/// Above this many elements in the two arrays together, [`overlap`] does
/// not list addresses to find the shared element: the listing takes
/// 24 bytes an element.
pub const MAX_ELEMENTS_TO_LOCATE: usize = 1 << 22;

/// Why [`overlap`] did not look for a shared element: the two arrays hold
/// more elements together than [`MAX_ELEMENTS_TO_LOCATE`].
///
/// The arrays share memory; only *where* is not known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TooLarge {
    /// The elements of the two arrays together.
    pub elements: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the arrays share memory, but together hold {} elements, over the {} the search for the shared element takes",
            self.elements, MAX_ELEMENTS_TO_LOCATE
        )
    }
}

impl std::error::Error for TooLarge {}

/// The first byte, in memory order, that `a` and `b` both reach: `Ok(None)`
/// when they share no memory.
///
/// Once the two arrays are known to share memory, finding the byte lists
/// their element addresses, `O(n log n)` in time and `O(n)` in memory, so
/// above [`MAX_ELEMENTS_TO_LOCATE`] elements it gives [`TooLarge`] instead
/// (the yes-or-no from [`shares_memory`] has no such limit).
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = Array2::<i32>::zeros((3, 4));
/// let row = a.row(1);
/// let col = a.column(2);
/// let o = ndlens::overlap(&row, &col).unwrap().unwrap();
/// assert_eq!((o.index_a, o.index_b), (vec![2], vec![1]));
/// assert_eq!(o.offset_a, 8);
///
/// let big = Array1::<u8>::zeros(1 << 23);
/// assert!(ndlens::overlap(&big, &big).is_err());
/// ```
pub fn overlap<S, D, T, E>(a: &ArrayBase<S, D>, b: &ArrayBase<T, E>) -> Result<Option<Overlap>, TooLarge>
where
    S: RawData,
    D: Dimension,
    T: RawData,
    E: Dimension,
{
    let (fa, fb) = (Footprint::of(a), Footprint::of(b));
    if !footprints_share(&fa, &fb) {
        return Ok(None);
    }
    let elements = a.len().saturating_add(b.len());
    if elements > MAX_ELEMENTS_TO_LOCATE {
        return Err(TooLarge { elements });
    }
    Ok(sweep::lowest_shared_byte(&fa, &fb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    #[test]
    fn the_recipes_answers() {
        let a = Array1::<f64>::zeros(3);
        assert!(!shares_memory(&a, &a.clone()));
        assert!(shares_memory(&a, &a.slice(s![..1])));
        assert!(may_share_memory(&a, &a.slice(s![1..])));
    }

    #[test]
    fn different_element_types_over_the_same_bytes() {
        let a = Array1::<u64>::zeros(4);
        // Bytes 8..16 of the buffer, seen as bytes.
        let bytes = unsafe { ArrayView1::from_shape_ptr(8, (a.as_ptr() as *const u8).add(8)) };
        assert!(shares_memory(&a.slice(s![1..2]), &bytes));
        assert!(!shares_memory(&a.slice(s![2..]), &bytes));
        let o = overlap(&a, &bytes).unwrap().unwrap();
        assert_eq!((o.index_a, o.index_b, o.offset_a, o.offset_b), (vec![1], vec![0], 8, 0));
    }

    #[test]
    fn zero_strides_and_empty_arrays() {
        let a = Array1::<f32>::zeros(6);
        let last_but_one = a.slice(s![4..5]);
        let broadcast = last_but_one.broadcast((3, 7)).unwrap();
        assert!(shares_memory(&broadcast, &a.slice(s![4..])));
        assert!(!shares_memory(&broadcast, &a.slice(s![..4])));
        let empty = a.slice(s![2..2]);
        assert!(!shares_memory(&a, &empty));
        assert!(!may_share_memory(&a, &empty));
    }

    #[test]
    fn overlap_is_the_lowest_shared_byte() {
        let a = Array2::<u16>::zeros((4, 4));
        let t = a.t();
        let lower = a.slice(s![2.., ..]);
        let o = overlap(&t, &lower).unwrap().unwrap();
        assert_eq!(o.index_a, vec![0, 2]);
        assert_eq!(o.index_b, vec![0, 0]);
        assert_eq!(o.offset_b, 0);
    }
}
