//! The memory layout of an array, in NumPy's terms.
//!
//! ndarray counts strides in elements; NumPy, and the recipe, count them in
//! bytes. [`Layout`] carries both, along with NumPy's contiguity flags, so
//! that a learner can compare what they see here with what NumPy prints.

use std::fmt;

use ndarray::{ArrayBase, Dimension, RawData};

/// Shape, strides and contiguity of an array, NumPy style.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = Array2::<f64>::zeros((3, 4));
/// let l = ndlens::layout(&a);
/// assert_eq!(l.strides, vec![32, 8]);
/// assert!(l.c_contiguous && !l.f_contiguous);
///
/// let t = ndlens::layout(&a.t());
/// assert_eq!(t.strides, vec![8, 32]);
/// assert!(!t.c_contiguous && t.f_contiguous);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layout {
    /// The length of each axis.
    pub shape: Vec<usize>,
    /// The distance in bytes between neighbours along each axis (NumPy's `strides`).
    pub strides: Vec<isize>,
    /// The same distances counted in elements (ndarray's `strides()`).
    pub elem_strides: Vec<isize>,
    /// The size of one element in bytes.
    pub itemsize: usize,
    /// `len() * itemsize`: the bytes the logical array holds, as NumPy's `nbytes`.
    pub nbytes: usize,
    /// NumPy's `C_CONTIGUOUS` flag: the elements are one gapless block in row-major order.
    pub c_contiguous: bool,
    /// NumPy's `F_CONTIGUOUS` flag: the same in column-major order.
    pub f_contiguous: bool,
    /// The bytes the array reaches, relative to its first element: from
    /// `extent.start` (inclusive, zero or negative) to `extent.end` (exclusive).
    /// Empty for an array with no elements.
    pub extent: std::ops::Range<isize>,
    /// The element type, as `std::any::type_name` spells it.
    pub elem_type: &'static str,
}

/// The layout of `a`.
pub fn layout<S, D>(a: &ArrayBase<S, D>) -> Layout
where
    S: RawData,
    D: Dimension,
{
    let itemsize = std::mem::size_of::<S::Elem>();
    let shape = a.shape().to_vec();
    let elem_strides = a.strides().to_vec();
    Layout::from_parts(shape, elem_strides, itemsize, std::any::type_name::<S::Elem>())
}

impl Layout {
    pub(crate) fn from_parts(
        shape: Vec<usize>,
        elem_strides: Vec<isize>,
        itemsize: usize,
        elem_type: &'static str,
    ) -> Layout {
        let strides: Vec<isize> = elem_strides.iter().map(|s| s * itemsize as isize).collect();
        let len: usize = shape.iter().product();
        let extent = byte_extent(&shape, &strides, itemsize);
        Layout {
            c_contiguous: is_contiguous(shape.iter().rev().zip(strides.iter().rev()), itemsize),
            f_contiguous: is_contiguous(shape.iter().zip(strides.iter()), itemsize),
            nbytes: len * itemsize,
            shape,
            strides,
            elem_strides,
            itemsize,
            extent,
            elem_type,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The byte offset of the element at `index`, relative to the first
    /// element; `None` when `index` has the wrong number of axes or lies
    /// outside the shape.
    ///
    /// ```
    /// use ndarray::prelude::*;
    ///
    /// let l = ndlens::layout(&Array2::<f64>::zeros((3, 4)).t());
    /// assert_eq!(l.offset_of(&[1, 2]), Some(8 + 2 * 32));
    /// assert_eq!(l.offset_of(&[1]), None);
    /// assert_eq!(l.offset_of(&[4, 0]), None);
    /// ```
    pub fn offset_of(&self, index: &[usize]) -> Option<isize> {
        let fits = index.len() == self.shape.len() && index.iter().zip(&self.shape).all(|(&i, &n)| i < n);
        fits.then(|| self.offset_unchecked(index))
    }

    /// [`Layout::offset_of`] for an index the caller knows is in the shape.
    pub(crate) fn offset_unchecked(&self, index: &[usize]) -> isize {
        index.iter().zip(&self.strides).map(|(&i, &s)| i as isize * s).sum()
    }

    /// The element type without its module path (`f64`, `Complex<f32>`).
    pub fn short_elem_type(&self) -> String {
        crate::rich::short_type_name(self.elem_type)
    }
}

/// NumPy's contiguity rule: walking the axes from the fastest-varying one,
/// each axis of length above one must step by the product of the faster
/// axes' lengths. Length-one axes are ignored and an empty array is
/// contiguous, as in NumPy since relaxed strides became the default.
fn is_contiguous<'a>(axes: impl Iterator<Item = (&'a usize, &'a isize)>, itemsize: usize) -> bool {
    let mut expected = itemsize as isize;
    let mut contiguous = true;
    for (&len, &stride) in axes {
        if len == 0 {
            return true;
        }
        if len != 1 {
            if stride != expected {
                contiguous = false;
            }
            expected *= len as isize;
        }
    }
    contiguous
}

fn byte_extent(shape: &[usize], strides: &[isize], itemsize: usize) -> std::ops::Range<isize> {
    if shape.contains(&0) || itemsize == 0 {
        return 0..0;
    }
    let (mut low, mut high) = (0isize, 0isize);
    for (&len, &stride) in shape.iter().zip(strides) {
        let reach = (len as isize - 1) * stride;
        if reach < 0 {
            low += reach;
        } else {
            high += reach;
        }
    }
    low..high + itemsize as isize
}

/// The index of the `flat`-th element of `shape` in row-major order.
pub(crate) fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for axis in (0..shape.len()).rev() {
        index[axis] = flat % shape[axis];
        flat /= shape[axis];
    }
    index
}

/// Moves `index` to the next index of `shape` in row-major order; `false`
/// once it has wrapped around past the last one.
pub(crate) fn advance(index: &mut [usize], shape: &[usize]) -> bool {
    for axis in (0..shape.len()).rev() {
        index[axis] += 1;
        if index[axis] < shape[axis] {
            return true;
        }
        index[axis] = 0;
    }
    false
}

/// A shape or strides as Python prints a tuple: `(6,)`, `(3, 4)`.
pub(crate) fn tuple<T: fmt::Display>(items: &[T]) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => format!("({})", items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    }
}

fn flags(layout: &Layout) -> &'static str {
    match (layout.c_contiguous, layout.f_contiguous) {
        (true, true) => "C and F contiguous",
        (true, false) => "C contiguous",
        (false, true) => "F contiguous",
        (false, false) => "not contiguous",
    }
}

impl fmt::Display for Layout {
    /// One line, NumPy's vocabulary:
    /// `shape=(3, 4) strides=(32, 8) itemsize=8 nbytes=96 C contiguous`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shape={} strides={} itemsize={} nbytes={} {} dtype={}",
            tuple(&self.shape),
            tuple(&self.strides),
            self.itemsize,
            self.nbytes,
            flags(self),
            self.short_elem_type(),
        )
    }
}

impl Layout {
    /// An HTML table of the layout, for rich display in a notebook.
    pub fn to_html(&self) -> String {
        let row = |k: &str, v: String| {
            format!("<tr><th style=\"text-align:left\">{k}</th><td><code>{}</code></td></tr>", crate::rich::escape(&v))
        };
        let extent = if self.is_empty() {
            "no bytes".to_string()
        } else {
            format!("{}..{} (relative to the first element)", self.extent.start, self.extent.end)
        };
        format!(
            "<table class=\"ndlens-layout\">{}{}{}{}{}{}{}{}</table>",
            row("dtype", self.short_elem_type()),
            row("shape", tuple(&self.shape)),
            row("strides (bytes)", tuple(&self.strides)),
            row("strides (elements)", tuple(&self.elem_strides)),
            row("itemsize", self.itemsize.to_string()),
            row("nbytes", self.nbytes.to_string()),
            row("flags", flags(self).to_string()),
            row("bytes reached", extent),
        )
    }

    /// Rich output for evcxr and the ndlens kernel: text and an HTML table.
    pub fn evcxr_display(&self) {
        crate::rich::emit(&[("text/plain", self.to_string()), ("text/html", self.to_html())]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    #[test]
    fn numpy_flags_ignore_unit_axes_and_empty_arrays_are_contiguous() {
        let a = Array3::<f32>::zeros((2, 1, 3));
        let l = layout(&a);
        assert_eq!(l.strides, vec![12, 12, 4]);
        assert!(l.c_contiguous);
        assert!(!l.f_contiguous);
        let e = Array2::<f64>::zeros((0, 5));
        let l = layout(&e.slice(s![.., ..;2]));
        assert!(l.c_contiguous && l.f_contiguous);
        assert!(l.is_empty() && l.extent.is_empty());
    }

    #[test]
    fn negative_strides_reach_backwards() {
        let a = Array1::<i16>::zeros(5);
        let l = layout(&a.slice(s![..;-2]));
        assert_eq!(l.strides, vec![-4]);
        assert_eq!(l.extent, -8..2);
    }

    #[test]
    fn display_reads_like_numpy() {
        let a = Array2::<f64>::zeros((3, 4));
        assert_eq!(layout(&a).to_string(), "shape=(3, 4) strides=(32, 8) itemsize=8 nbytes=96 C contiguous dtype=f64");
        assert_eq!(
            layout(&Array1::<u8>::zeros(2)).to_string(),
            "shape=(2,) strides=(1,) itemsize=1 nbytes=2 C and F contiguous dtype=u8"
        );
    }
}
