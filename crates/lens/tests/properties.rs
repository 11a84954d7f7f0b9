//! Property tests of the lens over random shapes, steps (negative too),
//! transposes and broadcasts, against brute-force answers.

use std::collections::HashSet;

use ndarray::prelude::*;
use ndarray::{Slice, SliceInfoElem};
use ndlens::prelude::*;
use ndlens::Overlap;
use proptest::prelude::*;

/// A view of a buffer of 4-byte elements made by slicing a 3-D array with
/// random steps, then maybe transposing, maybe inserting a broadcast axis.
#[derive(Clone, Debug)]
struct ViewRecipe {
    slices: Vec<(isize, Option<isize>, isize)>,
    reverse_axes: bool,
    broadcast_rows: Option<usize>,
}

fn slice_strategy(len: usize) -> impl Strategy<Value = (isize, Option<isize>, isize)> {
    let len = len as isize;
    (0..len, proptest::option::of(0..=len), prop_oneof![1isize..4, -3isize..=-1])
}

fn view_strategy() -> impl Strategy<Value = ViewRecipe> {
    (slice_strategy(4), slice_strategy(5), slice_strategy(6), any::<bool>(), proptest::option::of(1usize..4)).prop_map(
        |(a, b, c, reverse_axes, broadcast_rows)| ViewRecipe { slices: vec![a, b, c], reverse_axes, broadcast_rows },
    )
}

fn make<'a>(base: &'a Array3<f32>, r: &ViewRecipe) -> ArrayViewD<'a, f32> {
    let info: Vec<SliceInfoElem> =
        r.slices.iter().map(|&(start, end, step)| SliceInfoElem::from(Slice::new(start, end, step))).collect();
    let mut v = base.view().into_dyn().slice_move(info.as_slice());
    if r.reverse_axes {
        v = v.reversed_axes();
    }
    v
}

/// `v` as is, or broadcast along a new leading axis (stride zero).
fn maybe_broadcast<'b>(v: &'b ArrayViewD<'_, f32>, r: &ViewRecipe) -> ArrayViewD<'b, f32> {
    match r.broadcast_rows {
        None => v.view(),
        Some(rows) => {
            let mut shape = vec![rows];
            shape.extend_from_slice(v.shape());
            v.broadcast(shape).expect("a new leading axis always broadcasts")
        }
    }
}

/// The start addresses of every element `v` reaches.
fn addresses(v: &ArrayViewD<'_, f32>) -> HashSet<usize> {
    v.indexed_iter().map(|(_, x)| x as *const f32 as usize).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn shares_memory_is_exact(x in view_strategy(), y in view_strategy()) {
        let base = Array3::<f32>::zeros((4, 5, 6));
        let (a0, b0) = (make(&base, &x), make(&base, &y));
        let (a, b) = (maybe_broadcast(&a0, &x), maybe_broadcast(&b0, &y));
        let brute = !addresses(&a).is_disjoint(&addresses(&b));
        prop_assert_eq!(shares_memory(&a, &b), brute);
        prop_assert!(!brute || may_share_memory(&a, &b));
        prop_assert_eq!(overlap(&a, &b).unwrap().is_some(), brute);
        if let Some(o) = overlap(&a, &b).unwrap() {
            prop_assert_eq!(&a[o.index_a.as_slice()] as *const f32, &b[o.index_b.as_slice()] as *const f32);
        }
    }

    #[test]
    fn ravel_and_reshape_keep_row_major_order(x in view_strategy(), split in 1usize..4) {
        let base = Array3::<f32>::from_shape_fn((4, 5, 6), |(i, j, k)| (i * 100 + j * 10 + k) as f32);
        let a0 = make(&base, &x);
        let a = maybe_broadcast(&a0, &x);
        let flat: Vec<f32> = a.iter().copied().collect();
        let raveled = ravel(a.view());
        prop_assert_eq!(raveled.to_vec(), flat.clone());
        prop_assert_eq!(raveled.is_view(), layout(&a).c_contiguous);
        prop_assert_eq!(flatten(&a).to_vec(), flat.clone());
        if a.len().is_multiple_of(split) {
            let r = reshape(a.view(), &[split as isize, -1]).unwrap();
            prop_assert_eq!(r.iter().copied().collect::<Vec<_>>(), flat);
            // The lens decides view or copy before it copies (in tiles):
            // the same decision as ndarray's own reshape.
            let by_ndarray = a.to_shape(IxDyn(&[split, a.len() / split])).unwrap();
            prop_assert_eq!(r.is_view(), by_ndarray.is_view());
            if r.is_view() && !a.is_empty() {
                prop_assert!(shares_memory(&r, &a));
            }
            if !r.is_view() && !a.is_empty() {
                prop_assert!(!shares_memory(&r, &a));
            }
        }
    }

    #[test]
    fn layout_matches_ndarray(x in view_strategy()) {
        let base = Array3::<f32>::zeros((4, 5, 6));
        let a0 = make(&base, &x);
        let a = maybe_broadcast(&a0, &x);
        let l = layout(&a);
        prop_assert_eq!(l.strides.iter().map(|s| s / 4).collect::<Vec<_>>(), a.strides().to_vec());
        prop_assert_eq!(l.nbytes, a.len() * 4);
        if a.len() > 1 && a.shape().iter().all(|&n| n > 1) {
            prop_assert_eq!(l.c_contiguous, a.is_standard_layout());
        }
        if !a.is_empty() {
            let reached = addresses(&a);
            let low = *reached.iter().min().unwrap() as isize - aid(&a) as isize;
            let high = *reached.iter().max().unwrap() as isize - aid(&a) as isize + 4;
            prop_assert_eq!(l.extent.clone(), low..high);
        }
    }

    #[test]
    fn tile_repeats_like_numpy(shape in proptest::collection::vec(0usize..3, 0..3), reps in proptest::collection::vec(0usize..3, 0..4)) {
        let a = ArrayD::<u8>::from_shape_fn(IxDyn(&shape), |i| i.as_array_view().sum() as u8);
        let t = tile(&a, &reps);
        let ndim = shape.len().max(reps.len());
        let mut padded_shape = vec![1; ndim - shape.len()];
        padded_shape.extend(&shape);
        let mut padded_reps = vec![1; ndim - reps.len()];
        padded_reps.extend(&reps);
        let expected: Vec<usize> = padded_shape.iter().zip(&padded_reps).map(|(n, r)| n * r).collect();
        prop_assert_eq!(t.shape(), expected.as_slice());
        for (index, &value) in t.indexed_iter() {
            let source: Vec<usize> = index.as_array_view().iter().zip(&padded_shape).map(|(i, n)| i % n).collect();
            let a_padded = a.view().into_shape_with_order(padded_shape.clone()).unwrap();
            prop_assert_eq!(value, a_padded[source.as_slice()]);
        }
    }

    #[test]
    fn tile_of_any_view_repeats_it(x in view_strategy(), axes in Just(vec![0usize, 1, 2]).prop_shuffle(), reps in proptest::collection::vec(0usize..3, 0..5)) {
        let base = Array3::<f32>::from_shape_fn((4, 5, 6), |(i, j, k)| (i * 100 + j * 10 + k) as f32);
        let v0 = make(&base, &x).permuted_axes(axes);
        let v = maybe_broadcast(&v0, &x);
        let t = tile(&v, &reps);
        let ndim = v.ndim().max(reps.len());
        let mut padded = vec![1; ndim - v.ndim()];
        padded.extend(v.shape());
        let source = v.view().into_shape_with_order(padded.clone());
        for (index, &value) in t.indexed_iter() {
            let at: Vec<usize> = index.as_array_view().iter().zip(&padded).map(|(i, n)| i % n).collect();
            // Leading unit axes index nothing: read through the view itself.
            let expected = match &source {
                Ok(s) => s[at.as_slice()],
                Err(_) => v[&at[ndim - v.ndim()..]],
            };
            prop_assert_eq!(value, expected);
        }
        prop_assert!(!shares_memory(&t, &base));
        if reps.iter().any(|&r| r != 1) {
            prop_assert!(layout(&t).c_contiguous, "tile by {:?} of {:?} gave {}", reps, v.strides(), layout(&t));
        }
    }

    #[test]
    fn no_public_function_panics(x in view_strategy(), y in view_strategy(), axes in Just(vec![0usize, 1, 2]).prop_shuffle(), reps in proptest::collection::vec(0usize..3, 0..4), split in 0usize..4) {
        let base = Array3::<f32>::zeros((4, 5, 6));
        let (a0, b0) = (make(&base, &x).permuted_axes(axes), make(&base, &y));
        let (a, b) = (maybe_broadcast(&a0, &x), maybe_broadcast(&b0, &y));
        let _ = aid(&a);
        let shares = shares_memory(&a, &b);
        prop_assert!(!shares || may_share_memory(&a, &b));
        let found: Option<Overlap> = overlap(&a, &b).expect("small arrays are searched");
        prop_assert_eq!(found.is_some(), shares);
        let answer = explain_sharing("a", &a, "b", &b);
        let first_line = answer.to_string().lines().next().unwrap_or_default().to_string();
        prop_assert_eq!(first_line, shares.to_string());
        let l = layout(&a);
        let _ = (l.to_string(), l.to_html(), l.offset_of(&vec![0; a.ndim()]), l.offset_of(&[7, 7, 7, 7]));
        prop_assert_eq!(flatten(&a).len(), a.len());
        prop_assert_eq!(ravel(a.view()).len(), a.len());
        let shape: Vec<isize> = if split == 0 { vec![-1] } else { vec![split as isize, -1] };
        let _ = reshape(a.view(), &shape);
        let _ = reshape(a.view(), &[3, 5]);
        prop_assert_eq!(tile(&a, &reps).len(), a.len() * reps.iter().product::<usize>());
        let d = diagram!(a, b);
        let _ = (d.to_svg(), d.to_text());
    }

    #[test]
    fn diagrams_never_panic_and_are_deterministic(x in view_strategy(), y in view_strategy()) {
        let base = Array3::<f32>::zeros((4, 5, 6));
        let (a0, b0) = (make(&base, &x), make(&base, &y));
        let (a, b) = (maybe_broadcast(&a0, &x), maybe_broadcast(&b0, &y));
        let svg = Diagram::new().add("a", &a).add("b", &b).to_svg();
        prop_assert_eq!(svg, Diagram::new().add("a", &a).add("b", &b).to_svg());
    }
}

/// The traffic of walking `v` with `iter()`, counted element by element at
/// the addresses the walk really reads.
fn walked(v: &ArrayViewD<'_, f32>) -> Traffic {
    let size = std::mem::size_of::<f32>();
    let addresses: Vec<usize> = v.iter().map(|x| x as *const f32 as usize).collect();
    let blocks =
        |block: usize| addresses.iter().flat_map(|&a| a / block..=(a + size - 1) / block).collect::<HashSet<_>>().len();
    let switches = |block: usize| {
        let mut at = None;
        let mut count = 0;
        for b in addresses.iter().flat_map(|&a| a / block..=(a + size - 1) / block) {
            count += usize::from(at != Some(b));
            at = Some(b);
        }
        count
    };
    Traffic {
        elements: addresses.len(),
        bytes_used: addresses.iter().collect::<HashSet<_>>().len() * size,
        cache_lines: blocks(64),
        pages: blocks(4096),
        huge_pages: blocks(2 << 20),
        line_switches: switches(64),
        page_switches: switches(4096),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn traffic_is_what_iter_walks(x in view_strategy(), wide in 1usize..300) {
        // Rows of `wide` elements put the view's rows in lines and pages of
        // their own, and starts at every alignment.
        let base = Array3::<f32>::zeros((4, 5, 6 * wide));
        let v = make(&base, &x);
        let v = maybe_broadcast(&v, &x);
        let t = traffic(&v);
        if v.is_empty() {
            prop_assert_eq!(t, Traffic::default());
        } else {
            prop_assert_eq!(t, walked(&v));
        }
    }
}
