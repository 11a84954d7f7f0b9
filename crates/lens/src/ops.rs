//! NumPy's view-or-copy operations, with NumPy's rules for when they copy.
//!
//! Each function returns a [`CowArray`] where NumPy may return either a view
//! or a copy, so that `is_view()` answers the recipe's question directly.

use std::fmt;

use ndarray::{Array, Array1, ArrayBase, ArrayView, Axis, CowArray, Data, Dimension, Ix1, IxDyn, ShapeBuilder};

use crate::layout::{layout, tuple};

/// `a.ravel()` in NumPy (C order): a view when `a` is C-contiguous, a copy
/// in row-major order otherwise.
///
/// NumPy's `ravel` copies a strided 1-D slice such as `x[::2]`, even though
/// `reshape(-1)` of the same slice is a view; this function does the same.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = Array2::<f64>::zeros((100, 100));
/// assert!(ndlens::ravel(&a).is_view());
/// assert!(!ndlens::ravel(a.t()).is_view());
/// ```
pub fn ravel<'a, A, D>(a: impl Into<ArrayView<'a, A, D>>) -> CowArray<'a, A, Ix1>
where
    A: Clone + 'a,
    D: Dimension,
{
    let a = a.into();
    let len = a.len();
    // ndarray's standard layout is NumPy's C-contiguity (length-1 axes may
    // have any stride, an empty array counts): one run of `len` elements in
    // row-major order, which ndarray reshapes as a view.
    if a.is_standard_layout() {
        if let Ok(view) = a.clone().into_shape_with_order(len) {
            return CowArray::from(view);
        }
    }
    CowArray::from(flatten(&a))
}

/// `a.flatten()` in NumPy: always a new, row-major copy.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = array![[1, 2], [3, 4]];
/// assert_eq!(ndlens::flatten(&a.t()), array![1, 3, 2, 4]);
/// ```
pub fn flatten<A, S, D>(a: &ArrayBase<S, D>) -> Array1<A>
where
    A: Clone,
    S: Data<Elem = A>,
    D: Dimension,
{
    Array1::from(row_major_vec(a))
}

/// The elements of `a` in row-major order: one slice copy when `a` is
/// C-contiguous, a walk in tiles when another axis than the last is the
/// one contiguous in memory (a transpose), else a walk in logical order.
fn row_major_vec<A, S, D>(a: &ArrayBase<S, D>) -> Vec<A>
where
    A: Clone,
    S: Data<Elem = A>,
    D: Dimension,
{
    if let Some(elements) = a.as_slice() {
        return elements.to_vec();
    }
    match Tiling::of(a.shape(), a.strides()) {
        Some(tiling) => tiling.copy(a.view().into_dyn()),
        None => a.iter().cloned().collect(),
    }
}

/// A copy in row-major order of a view whose last axis is not the one
/// contiguous in memory.
///
/// Walking such a view in logical order reads one element from each cache
/// line and comes back to the line at the next row (the column walk of
/// `%traffic`); a transpose read that way copies at a fraction of memory's
/// speed. In tiles of [`Tiling::SIDE`] × [`Tiling::SIDE`] elements over the
/// two axes, every line read is used whole while the tile's lines, read and
/// written, are all in the L1 cache.
#[derive(Debug)]
struct Tiling {
    /// The view's axis with the smallest stride: read along it.
    read: usize,
    /// The last axis longer than one: the copy is written along it.
    write: usize,
}

impl Tiling {
    /// Measured with `reshape` of transposes at the cells' opt-level 2:
    /// 64 beat 16, 32 and 128 at 100 × 100 and 2000 × 2000 `f64`.
    const SIDE: usize = 64;
    /// Elements closer than this along the written axis are near enough.
    const NEAR: usize = 16;

    /// A tiling for `shape` and element `strides`, when one pays.
    fn of(shape: &[usize], strides: &[isize]) -> Option<Tiling> {
        if shape.contains(&0) {
            return None;
        }
        let long = |axis: &usize| shape[*axis] > 1;
        let write = (0..shape.len()).rev().find(long)?;
        let read = (0..shape.len()).filter(long).min_by_key(|&axis| strides[axis].unsigned_abs())?;
        // Neighbours along the written axis within a few elements share
        // lines already; a tile only pays when they are far apart.
        let far = strides[write].unsigned_abs() > strides[read].unsigned_abs() * Self::NEAR;
        (read != write && far).then_some(Tiling { read, write })
    }

    fn copy<A: Clone>(&self, a: ArrayView<'_, A, IxDyn>) -> Vec<A> {
        let shape = a.shape();
        let ndim = shape.len();
        let len = a.len();
        // Indices are `IxDyn`, which holds up to four axes inline: the copy
        // is the one allocation, as `%allocs` shows the recipe.
        let mut out_strides = IxDyn::zeros(ndim);
        let mut stride = 1;
        for axis in (0..ndim).rev() {
            out_strides[axis] = stride;
            stride *= shape[axis];
        }
        let src = a.as_ptr();
        let mut out: Vec<A> = Vec::with_capacity(len);
        let dst = out.as_mut_ptr();
        let (r, w) = (self.read, self.write);
        // Locals, so that the compiler keeps them in registers across the
        // writes (it cannot know the writes leave `a`'s strides alone).
        let (read_len, write_len) = (shape[r], shape[w]);
        let (read_from, write_from) = (a.strides()[r], a.strides()[w]);
        let (read_to, write_to) = (out_strides[r], out_strides[w]);
        let other = |axis: &usize| *axis != r && *axis != w;
        let mut index = IxDyn::zeros(ndim);
        loop {
            let from: isize = (0..ndim).filter(other).map(|axis| index[axis] as isize * a.strides()[axis]).sum();
            let to: usize = (0..ndim).filter(other).map(|axis| index[axis] * out_strides[axis]).sum();
            for i0 in (0..write_len).step_by(Self::SIDE) {
                for j0 in (0..read_len).step_by(Self::SIDE) {
                    for j in j0..(j0 + Self::SIDE).min(read_len) {
                        // SAFETY: every index is within `shape`, so each
                        // source offset is an element of `a` and each
                        // destination below `len`; each destination is
                        // written once, and `set_len` comes after all are
                        // (a panicking `clone` leaks, no more).
                        unsafe {
                            let source = src.offset(from + j as isize * read_from);
                            let target = dst.add(to + j * read_to);
                            for i in i0..(i0 + Self::SIDE).min(write_len) {
                                let element = &*source.offset(i as isize * write_from);
                                target.add(i * write_to).write(element.clone());
                            }
                        }
                    }
                }
            }
            // The next index of the other axes, the last fastest.
            let Some(axis) = (0..ndim).rev().filter(other).find(|&axis| index[axis] + 1 < shape[axis]) else { break };
            index[axis] += 1;
            for later in (axis + 1..ndim).filter(other) {
                index[later] = 0;
            }
        }
        // SAFETY: the loops above wrote all `len` elements.
        unsafe { out.set_len(len) };
        out
    }
}

/// Why [`reshape`] could not give the shape asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReshapeError {
    from: Vec<usize>,
    to: Vec<isize>,
    reason: String,
}

impl fmt::Display for ReshapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot reshape an array of shape {} into shape {}: {}",
            tuple(&self.from),
            tuple(&self.to),
            self.reason
        )
    }
}

impl std::error::Error for ReshapeError {}

/// `a.reshape(shape)` in NumPy (C order): a view exactly when NumPy's
/// reshape returns one, else a row-major copy. One entry of `shape` may be
/// `-1`, to be inferred from the others.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = Array2::<f64>::zeros((100, 100));
/// let b = ndlens::reshape(&a, &[1, -1]).unwrap();
/// assert!(b.is_view() && b.shape() == &[1, 10000]);
/// assert!(!ndlens::reshape(a.t(), &[1, -1]).unwrap().is_view());
///
/// let err = ndlens::reshape(&a, &[3, -1]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "cannot reshape an array of shape (100, 100) into shape (3, -1): \
///      10000 elements are not a multiple of 3, the product of the other dimensions"
/// );
/// ```
pub fn reshape<'a, A, D>(
    a: impl Into<ArrayView<'a, A, D>>,
    shape: &[isize],
) -> Result<CowArray<'a, A, IxDyn>, ReshapeError>
where
    A: Clone + 'a,
    D: Dimension,
{
    let a = a.into();
    let error = |reason: String| ReshapeError { from: a.shape().to_vec(), to: shape.to_vec(), reason };
    let dims = infer_shape(a.len(), shape).map_err(error)?;
    if a.is_standard_layout() {
        // The common case, and the cheap one: a C-contiguous array reshapes
        // in C order as a view of the same borrow.
        if let Ok(view) = a.clone().into_shape_with_order(dims.clone()) {
            return Ok(CowArray::from(view));
        }
    }
    if !reshapes_in_place(a.shape(), a.strides(), dims.slice()) {
        // ndarray's own copy walks in logical order; ours in tiles.
        let copy = Array::from_shape_vec(dims, row_major_vec(&a)).expect("the elements fill the shape");
        return Ok(CowArray::from(copy));
    }
    match a.to_shape(dims) {
        // `to_shape` borrows `a`, a local view; re-derive the view from the
        // original data so that it lives as long as the input does.
        Ok(reshaped) if reshaped.is_view() => {
            // SAFETY: `reshaped` views elements of `a`, whose borrow lives for 'a.
            let view = unsafe { view_like(&reshaped) };
            Ok(CowArray::from(view))
        }
        // ndarray copies in row-major order, so the copy is C-contiguous,
        // as NumPy's (the tests hold it to that).
        Ok(copy) => Ok(CowArray::from(copy.into_owned())),
        Err(e) => Err(error(e.to_string())),
    }
}

/// Whether elements of `shape` and element `strides` can take the shape
/// `to` in C order as a view, as NumPy's reshape decides it: the axes are
/// split into groups whose lengths multiply to the same product on both
/// sides, and each group of the source must be one run of memory.
fn reshapes_in_place(shape: &[usize], strides: &[isize], to: &[usize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    // Axes of length one have no neighbours to be contiguous with. No
    // allocation here: a reshape that copies makes its copy and no more.
    let mut from = shape.iter().copied().zip(strides.iter().copied()).filter(|&(n, _)| n != 1);
    let mut to = to.iter().copied().filter(|&n| n != 1);
    // Both sides hold the same number of elements, so each group closes.
    while let (Some((len, stride)), Some(mut want)) = (from.next(), to.next()) {
        let (mut have, mut inner_stride) = (len, stride);
        while have != want {
            if have < want {
                let Some((len, stride)) = from.next() else { return true };
                // The group must be one run: each axis steps over the
                // whole of the next.
                if inner_stride != stride * len as isize {
                    return false;
                }
                have *= len;
                inner_stride = stride;
            } else {
                let Some(len) = to.next() else { return true };
                want *= len;
            }
        }
    }
    true
}

/// A copy of `a` in NumPy's `order='K'`: C order for a C-contiguous array,
/// F order for an F-contiguous one, otherwise the axes in the order of
/// their strides, largest first, ties in axis order (NumPy's
/// `PyArray_CreateSortedStridePerm`).
fn copy_keeping_order<A: Clone>(a: ArrayView<'_, A, IxDyn>) -> Array<A, IxDyn> {
    let l = layout(&a);
    let mut order: Vec<usize> = (0..a.ndim()).collect();
    if !l.c_contiguous && a.ndim() > 1 {
        if l.f_contiguous {
            order.reverse();
        } else {
            order.sort_by_key(|&axis| std::cmp::Reverse(a.strides()[axis].unsigned_abs()));
        }
    }
    let ordered = a.permuted_axes(order.clone());
    let copy = Array::from_shape_vec(ordered.raw_dim(), row_major_vec(&ordered)).expect("the elements fill the shape");
    let mut back = vec![0; order.len()];
    for (position, &axis) in order.iter().enumerate() {
        back[axis] = position;
    }
    copy.permuted_axes(back)
}

/// A view of the elements `v` sees, with `v`'s shape and strides, for any
/// lifetime the caller can vouch for.
///
/// # Safety
/// The elements `v` sees must stay alive and unmutated for `'a`.
unsafe fn view_like<'a, A>(v: &CowArray<'_, A, IxDyn>) -> ArrayView<'a, A, IxDyn> {
    // `from_shape_ptr` takes non-negative strides only: start from the
    // lowest element, then reverse the axes that ran backwards.
    let mut ptr = v.as_ptr();
    let mut strides = Vec::with_capacity(v.ndim());
    for (&len, &stride) in v.shape().iter().zip(v.strides()) {
        if stride < 0 && len > 0 {
            ptr = ptr.offset(stride * (len as isize - 1));
        }
        strides.push(stride.unsigned_abs());
    }
    let mut view = ArrayView::from_shape_ptr(IxDyn(v.shape()).strides(IxDyn(&strides)), ptr);
    for (axis, &stride) in v.strides().iter().enumerate() {
        if stride < 0 {
            view.invert_axis(Axis(axis));
        }
    }
    view
}

/// Resolves a NumPy-style shape with at most one `-1` for `len` elements.
fn infer_shape(len: usize, shape: &[isize]) -> Result<IxDyn, String> {
    let mut inferred = None;
    let mut known: usize = 1;
    for (axis, &n) in shape.iter().enumerate() {
        match n {
            -1 if inferred.is_some() => return Err("only one dimension can be -1".into()),
            -1 => inferred = Some(axis),
            n if n < 0 => return Err("dimensions must be non-negative, or -1 to infer one".into()),
            n => known = known.checked_mul(n as usize).ok_or("the shape has too many elements")?,
        }
    }
    // IxDyn keeps up to four axes inline: no allocation for the usual shapes.
    let mut dims = IxDyn::zeros(shape.len());
    for (axis, &n) in shape.iter().enumerate() {
        dims[axis] = n.max(0) as usize;
    }
    match inferred {
        Some(_) if known == 0 => Err("an axis of length 0 leaves -1 undetermined".into()),
        Some(_) if !len.is_multiple_of(known) => {
            Err(format!("{len} elements are not a multiple of {known}, the product of the other dimensions"))
        }
        Some(axis) => {
            dims[axis] = len / known;
            Ok(dims)
        }
        None if known != len => Err(format!("{len} elements cannot fill {known} places")),
        None => Ok(dims),
    }
}

/// `numpy.tile(a, reps)`: `a` repeated `reps[i]` times along each axis, as a
/// new array laid out as NumPy lays it out.
///
/// As in NumPy, when `reps` is longer than `a.ndim()` the array is promoted by
/// prepending unit axes, and when it is shorter `reps` is padded with leading
/// ones. A zero in `reps` gives an empty axis. Any layout is accepted
/// (transposed, stepped, reversed, broadcast). The result is C-contiguous,
/// except where NumPy's is not: when every rep is 1, `numpy.tile` is a plain
/// copy that keeps the input's memory order (`order='K'`: the axes ranked by
/// stride), and so is this.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = array![0, 1, 2];
/// let t = ndlens::tile(&a, &[2, 2]);
/// assert_eq!(t, array![[0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]].into_dyn());
/// assert_eq!(ndlens::tile(&a, &[0]).shape(), &[0]);
///
/// let m = array![[1, 2], [3, 4]];
/// let tiled = ndlens::tile(&m.t(), &[1, 2]);
/// assert_eq!(tiled, array![[1, 3, 1, 3], [2, 4, 2, 4]].into_dyn());
/// assert!(ndlens::layout(&tiled).c_contiguous);
/// ```
pub fn tile<A, S, D>(a: &ArrayBase<S, D>, reps: &[usize]) -> Array<A, IxDyn>
where
    A: Clone,
    S: Data<Elem = A>,
    D: Dimension,
{
    let ndim = a.ndim().max(reps.len());
    let mut dims = vec![1; ndim - a.ndim()];
    dims.extend_from_slice(a.shape());
    let mut all_reps = vec![1; ndim - reps.len()];
    all_reps.extend_from_slice(reps);
    if all_reps.iter().all(|&r| r == 1) {
        let mut copy = copy_keeping_order(a.view().into_dyn());
        while copy.ndim() < ndim {
            copy.insert_axis_inplace(Axis(0));
        }
        return copy;
    }

    // In C order, tiling axis k repeats each block of the axes from k on in
    // place, so the tiling is one pass of block copies per axis, from the
    // last axis to the first; `elements` always holds `dims` in C order.
    let mut elements = row_major_vec(a);
    for axis in (0..ndim).rev() {
        let r = all_reps[axis];
        if r == 1 {
            continue;
        }
        let block: usize = dims[axis..].iter().product();
        let mut tiled = Vec::with_capacity(elements.len().saturating_mul(r));
        if block > 0 {
            for chunk in elements.chunks_exact(block) {
                for _ in 0..r {
                    tiled.extend_from_slice(chunk);
                }
            }
        }
        elements = tiled;
        dims[axis] *= r;
    }
    Array::from_shape_vec(IxDyn(&dims), elements).expect("the tiled elements fill the tiled shape")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{aid, shares_memory};
    use ndarray::prelude::*;

    #[test]
    fn the_recipes_reshapes() {
        let a = Array2::<f64>::zeros((100, 100));
        let b = reshape(&a, &[1, -1]).unwrap();
        assert_eq!(aid(&b), aid(&a));
        let c = reshape(a.t(), &[1, -1]).unwrap();
        assert_ne!(aid(&c), aid(&a));
        assert!(!shares_memory(&c, &a));
    }

    #[test]
    fn the_recipes_flatten_and_ravel() {
        let a = Array2::<f64>::zeros((100, 100));
        assert_ne!(aid(&flatten(&a)), aid(&a));
        assert_eq!(aid(&ravel(&a)), aid(&a));
    }

    #[test]
    fn ravel_copies_a_stepped_vector_like_numpy() {
        let x = Array1::<i32>::from_iter(0..10);
        let stepped = x.slice(s![..;2]);
        assert!(!ravel(stepped.view()).is_view());
        assert!(reshape(&stepped, &[-1]).unwrap().is_view());
        assert_eq!(ravel(stepped.view()).to_vec(), vec![0, 2, 4, 6, 8]);
    }

    #[test]
    fn reshape_errors_name_both_shapes() {
        let a = Array1::<u8>::zeros(6);
        let msg = |s: &[isize]| reshape(&a, s).unwrap_err().to_string();
        assert_eq!(msg(&[4]), "cannot reshape an array of shape (6,) into shape (4,): 6 elements cannot fill 4 places");
        assert!(msg(&[-1, -1]).contains("only one dimension can be -1"));
        assert!(msg(&[0, -1]).contains("(6,) into shape (0, -1)"));
        assert!(msg(&[-2, 3]).contains("non-negative"));
    }

    #[test]
    fn tile_follows_numpy() {
        let a = array![[1, 2], [3, 4]];
        assert_eq!(tile(&a, &[2]), array![[1, 2, 1, 2], [3, 4, 3, 4]].into_dyn());
        assert_eq!(tile(&a, &[2, 1, 1]).shape(), &[2, 2, 2]);
        assert_eq!(tile(&a, &[1, 0]).shape(), &[2, 0]);
        assert_eq!(tile(&a, &[]), a.clone().into_dyn());
        let zero_d = arr0(7);
        assert_eq!(tile(&zero_d, &[3]), array![7, 7, 7].into_dyn());
    }

    #[test]
    fn tile_takes_any_layout_and_gives_c_order() {
        let m = array![[1, 2, 3], [4, 5, 6]];
        // numpy.tile(m.T, (2, 1)), numpy.tile(m[:, ::-1], 2), numpy.tile(m[::-1, ::2], (1, 1, 2))
        assert_eq!(tile(&m.t(), &[2, 1]), array![[1, 4], [2, 5], [3, 6], [1, 4], [2, 5], [3, 6]].into_dyn());
        assert_eq!(tile(&m.slice(s![.., ..;-1]), &[2]), array![[3, 2, 1, 3, 2, 1], [6, 5, 4, 6, 5, 4]].into_dyn());
        assert_eq!(tile(&m.slice(s![..;-1, ..;2]), &[1, 1, 2]), array![[[4, 6, 4, 6], [1, 3, 1, 3]]].into_dyn());
        // The recipe's column tiled into a square: C order, as NumPy lays it out.
        let column = Array2::<f64>::ones((4, 1));
        let square = tile(&column, &[1, 4]);
        assert_eq!(layout(&square).strides, vec![32, 8]);
        let broadcast = column.broadcast((4, 3)).unwrap();
        assert_eq!(tile(&broadcast, &[2, 0]).shape(), &[8, 0]);
        assert!(layout(&tile(&broadcast, &[2, 2])).c_contiguous);
    }

    #[test]
    fn tile_by_ones_copies_in_numpys_keep_order() {
        // numpy.tile(m.T, (1, 1)).strides == (8, 24); numpy.tile(m[:, ::-1], 1).strides == (24, 8);
        // numpy.tile(broadcast_to(arange(3.), (2, 3)), 1).strides == (8, 16)
        let m = Array2::<f64>::zeros((2, 3));
        assert_eq!(layout(&tile(&m.t(), &[1, 1])).strides, vec![8, 24]);
        assert_eq!(layout(&tile(&m.slice(s![.., ..;-1]), &[1])).strides, vec![24, 8]);
        let row = Array1::<f64>::zeros(3);
        assert_eq!(layout(&tile(&row.broadcast((2, 3)).unwrap(), &[1])).strides, vec![8, 16]);
        let t = tile(&m.t(), &[1, 1, 1]);
        assert_eq!(t.shape(), &[1, 3, 2]);
        assert!(!shares_memory(&t, &m));
    }

    #[test]
    fn tiled_copies_keep_logical_order() {
        let a = Array::from_iter(0..7 * 33 * 40).into_shape_with_order((7, 33, 40)).unwrap();
        for order in [[2, 1, 0], [0, 2, 1], [1, 2, 0], [2, 0, 1]] {
            let view = a.view().permuted_axes(order);
            assert!(Tiling::of(view.shape(), view.strides()).is_some(), "{order:?}");
            assert_eq!(flatten(&view).to_vec(), view.iter().copied().collect::<Vec<_>>(), "{order:?}");
        }
        let stepped = a.slice(s![..;-2, 3..30;3, ..;-1]).reversed_axes();
        assert_eq!(flatten(&stepped).to_vec(), stepped.iter().copied().collect::<Vec<_>>());
        let reshaped = reshape(a.t(), &[40, -1]).unwrap();
        assert_eq!(reshaped.iter().copied().collect::<Vec<_>>(), a.t().iter().copied().collect::<Vec<_>>());
        let empty = Array3::<i32>::zeros((0, 20, 20));
        assert_eq!(flatten(&empty.t()).len(), 0);
    }

    #[test]
    fn copies_are_c_contiguous() {
        let m = Array2::<f64>::zeros((3, 4));
        assert!(layout(&reshape(m.t(), &[2, 6]).unwrap()).c_contiguous);
        assert!(layout(&ravel(m.t())).c_contiguous);
        assert_eq!(flatten(&m.t()).len(), 12);
    }
}
