//! What walking an array costs the memory system, as a model: the cache
//! lines, pages and huge pages its elements' bytes cover, and how often a
//! walk in logical order (what `iter()` and `sum()` do) moves into another
//! of them.
//!
//! The recipe ends by asking why a row sum is ten times faster than a
//! column sum. The CPU loads memory a cache line (64 bytes) at a time and
//! maps it a page (4 KiB, or 2 MiB for a huge page) at a time: a row of
//! 5000 `f64` covers 625 lines and 10 pages, a column of the same matrix
//! 5000 lines in 5000 pages, each line used for 8 of its 64 bytes.
//! [`traffic`] counts these exactly, at the view's real addresses.
//!
//! How, so that the recipe's arrays of 10⁷ and more elements answer in
//! milliseconds: axes of length one are dropped and axes that continue each
//! other are merged, and the walk is taken a row (the innermost axis) at a
//! time. A row whose elements each lie within one block, as aligned
//! elements of a power-of-two size always do, is counted in closed form:
//! when the gap between neighbours is shorter than a block, the row enters
//! every block from its first to its last once; otherwise each element
//! enters a block of its own. Rows whose elements straddle blocks (at an
//! unaligned address) are counted in closed form too, with a floor sum over
//! the row's arithmetic progression; only a row whose elements overlap
//! their neighbours (hand-made strides) is walked element by element. The distinct blocks are the same count
//! over the walk in memory order (axes sorted by stride), which visits each
//! block once; a view whose elements overlap each other (possible only with
//! hand-made strides) has its blocks and addresses enumerated and sorted
//! instead.

mod draw;
mod map;
mod report;

use ndarray::{ArrayBase, Dimension, RawData};

use crate::layout::layout;

pub use map::{LineCell, LineMap};
pub use report::{Measured, Report, Verdict};

/// The bytes a cache line holds.
pub const CACHE_LINE: usize = 64;
/// The bytes of a page.
pub const PAGE: usize = 4096;
/// The bytes of a (transparent) huge page.
pub const HUGE_PAGE: usize = 2 << 20;

/// The block sizes counted, as powers of two: lines, pages, huge pages.
const SHIFTS: [u32; 3] = [CACHE_LINE.trailing_zeros(), PAGE.trailing_zeros(), HUGE_PAGE.trailing_zeros()];

/// The memory traffic of walking an array once: a model, exact for the
/// array's real addresses. See [`traffic`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// The number of elements.
    pub elements: usize,
    /// Distinct element addresses times the item size: a broadcast axis
    /// reuses bytes.
    pub bytes_used: usize,
    /// Distinct 64-byte aligned blocks the elements' bytes cover.
    pub cache_lines: usize,
    /// Distinct 4 KiB aligned pages they cover.
    pub pages: usize,
    /// Distinct 2 MiB aligned huge pages they cover.
    pub huge_pages: usize,
    /// Walking the elements in logical row-major order, how many times the
    /// next element's bytes enter a line other than the one just left:
    /// the lines fetched if none stayed cached.
    pub line_switches: usize,
    /// The same for pages.
    pub page_switches: usize,
}

impl Traffic {
    /// The bytes the covered lines hold: what the memory system moves at
    /// least once.
    pub fn bytes_moved(&self) -> usize {
        self.cache_lines * CACHE_LINE
    }

    /// Bytes moved per byte used: 1 when every byte of every line is used,
    /// 8 for one `f64` per line; 0 for an array with no bytes.
    pub fn amplification(&self) -> f64 {
        match self.bytes_used {
            0 => 0.0,
            used => self.bytes_moved() as f64 / used as f64,
        }
    }
}

/// The cache lines, pages and huge pages `a`'s elements cover, and how
/// often a walk in logical order switches between them.
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::traffic;
///
/// let a = Array2::<f64>::zeros((5000, 5000));
/// let row = traffic(&a.row(0));
/// let column = traffic(&a.column(0));
/// assert!(row.cache_lines == 625 || row.cache_lines == 626); // 40,000 bytes, wherever they start
/// assert_eq!(column.cache_lines, 5000); // one line for each element
/// assert_eq!(column.page_switches, 5000); // and a new page at every step
/// assert!(row.amplification() < 1.01 && column.amplification() == 8.0);
/// ```
pub fn traffic<S, D>(a: &ArrayBase<S, D>) -> Traffic
where
    S: RawData,
    D: Dimension,
{
    let (address, axes, size) = axes_of(a);
    model(address as i128, &axes, size)
}

/// `a`'s first element's address, its axes in bytes, and its item size.
fn axes_of<S, D>(a: &ArrayBase<S, D>) -> (usize, Vec<Axis>, usize)
where
    S: RawData,
    D: Dimension,
{
    let l = layout(a);
    let axes = l.shape.iter().zip(&l.strides).map(|(&len, &stride)| Axis { len, stride }).collect();
    (a.as_ptr() as usize, axes, l.itemsize)
}

/// One axis: its length, and the bytes between neighbours along it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Axis {
    len: usize,
    stride: isize,
}

/// The traffic of elements of `size` bytes at `address` plus the strides
/// of `axes`, walked with the last axis innermost.
fn model(address: i128, axes: &[Axis], size: usize) -> Traffic {
    let elements: usize = axes.iter().map(|a| a.len).product();
    if elements == 0 {
        return Traffic::default();
    }
    let mut traffic = Traffic { elements, ..Traffic::default() };
    if size == 0 {
        return traffic;
    }
    let size = size as i128;
    let logical = merged(axes.iter().copied().filter(|a| a.len > 1).collect());
    let switches = walk(address, &logical, size);
    traffic.line_switches = switches[0] as usize;
    traffic.page_switches = switches[1] as usize;

    // In memory order, without the axes that repeat addresses: a walk that
    // only goes up, and so enters each block it covers once.
    let (base, mut spread) = ascending(address, logical.iter().copied().filter(|a| a.stride != 0));
    spread.sort_by_key(|a| std::cmp::Reverse(a.stride));
    let spread = merged(spread);
    let distinct_addresses = injective(&spread, 1);
    if distinct_addresses {
        traffic.bytes_used = spread.iter().map(|a| a.len).product::<usize>() * size as usize;
    } else {
        let mut addresses = addresses(base, &spread);
        addresses.sort_unstable();
        addresses.dedup();
        traffic.bytes_used = addresses.len() * size as usize;
    }
    let blocks = if distinct_addresses && injective(&spread, size) {
        walk(base, &spread, size)
    } else {
        enumerated_blocks(base, &spread, size)
    };
    traffic.cache_lines = blocks[0] as usize;
    traffic.pages = blocks[1] as usize;
    traffic.huge_pages = blocks[2] as usize;
    traffic
}

/// `axes` with each pair of neighbours that continue each other (the outer
/// stride is the inner axis's whole span) made one axis.
fn merged(axes: Vec<Axis>) -> Vec<Axis> {
    let mut out: Vec<Axis> = Vec::with_capacity(axes.len());
    for axis in axes {
        match out.last_mut() {
            Some(outer) if outer.stride == axis.stride * axis.len as isize => {
                *outer = Axis { len: outer.len * axis.len, stride: axis.stride };
            }
            _ => out.push(axis),
        }
    }
    out
}

/// The same elements with every stride positive, and the address of the
/// lowest one.
fn ascending(address: i128, axes: impl Iterator<Item = Axis>) -> (i128, Vec<Axis>) {
    let mut base = address;
    let axes = axes
        .map(|a| {
            if a.stride < 0 {
                base += a.stride as i128 * (a.len as i128 - 1);
            }
            Axis { len: a.len, stride: a.stride.abs() }
        })
        .collect();
    (base, axes)
}

/// Whether `axes` (positive strides, outermost first, sorted by stride)
/// place pieces of `width` bytes without two overlapping: each stride
/// reaches past everything the axes inside it span.
fn injective(axes: &[Axis], width: i128) -> bool {
    let mut reach = width;
    for axis in axes.iter().rev() {
        if (axis.stride as i128) < reach {
            return false;
        }
        reach += axis.stride as i128 * (axis.len as i128 - 1);
    }
    true
}

/// Every element's address.
fn addresses(base: i128, axes: &[Axis]) -> Vec<i128> {
    let mut out = vec![base];
    for axis in axes {
        out = out.iter().flat_map(|&a| (0..axis.len as i128).map(move |i| a + i * axis.stride as i128)).collect();
    }
    out
}

/// The distinct blocks of each size that elements of `size` bytes at these
/// addresses cover, found by listing them.
fn enumerated_blocks(base: i128, axes: &[Axis], size: i128) -> [u64; 3] {
    let addresses = addresses(base, axes);
    SHIFTS.map(|shift| {
        let mut blocks: Vec<i128> = addresses.iter().flat_map(|&a| (a >> shift)..=((a + size - 1) >> shift)).collect();
        blocks.sort_unstable();
        blocks.dedup();
        blocks.len() as u64
    })
}

/// Walks the elements (the last axis innermost), counting for each block
/// size how many times the next element's bytes enter a block other than
/// the one just left.
fn walk(address: i128, axes: &[Axis], size: i128) -> [u64; 3] {
    let (outer, row) = match axes.split_last() {
        Some((row, outer)) => (outer, *row),
        None => (axes, Axis { len: 1, stride: 0 }),
    };
    let mut last: [Option<i128>; 3] = [None; 3];
    let mut entered = [0u64; 3];
    let mut index = vec![0usize; outer.len()];
    let mut start = address;
    loop {
        for (k, &shift) in SHIFTS.iter().enumerate() {
            entered[k] += row_entries(start, row.stride as i128, row.len as i128, size, shift, &mut last[k]);
        }
        // The next row: an odometer over the outer axes.
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return entered;
            }
            axis -= 1;
            index[axis] += 1;
            start += outer[axis].stride as i128;
            if index[axis] < outer[axis].len {
                break;
            }
            start -= outer[axis].stride as i128 * outer[axis].len as i128;
            index[axis] = 0;
        }
    }
}

/// The blocks of `2^shift` bytes entered walking `n` elements of `size`
/// bytes from `start`, `step` bytes apart, after a walk that left off in
/// block `last` (updated to where this one leaves off).
fn row_entries(start: i128, step: i128, n: i128, size: i128, shift: u32, last: &mut Option<i128>) -> u64 {
    let block = 1i128 << shift;
    let first = (start >> shift, (start + size - 1) >> shift);
    let end = start + (n - 1) * step;
    let final_ = (end >> shift, (end + size - 1) >> shift);
    let one_block_each = size <= block && block % size == 0 && start % size == 0 && step % size == 0;
    let entered_first = (first.1 - first.0 + 1) as u64 - u64::from(*last == Some(first.0));
    let count = if n == 1 {
        entered_first
    } else if step == 0 {
        // The same element again and again: one that straddles two blocks
        // enters both each time.
        let span = first.1 - first.0 + 1;
        entered_first + (n as u64 - 1) * if span == 1 { 0 } else { span as u64 }
    } else if one_block_each {
        let gap = step.abs() - size;
        let blocks = if gap < block {
            // No block lies wholly between two neighbours: every block from
            // the first to the last is entered once.
            (final_.0 - first.0).unsigned_abs() as u64 + 1
        } else {
            n as u64
        };
        blocks - u64::from(*last == Some(first.0))
    } else if step >= size && step - size < block {
        // Going up without a block between neighbours: each block from the
        // first element's to the last one's, once.
        (final_.1 - first.0 + 1) as u64 - u64::from(*last == Some(first.0))
    } else if step.abs() - size >= block {
        // Neighbours never share a block: each element enters its own
        // blocks, one or, straddling, more.
        let lowest = start.min(end);
        let spans = floor_sum(n, block, step.abs(), lowest + size - 1) - floor_sum(n, block, step.abs(), lowest) + n;
        spans as u64 - u64::from(*last == Some(first.0))
    } else if step <= -size {
        // Going down, each element's bytes still read upwards: an element
        // enters its blocks, but the one it starts in only if the element
        // above it did not end there (which happens when both fit in one
        // block).
        let down = -step;
        let spans = floor_sum(n, block, down, end + size - 1) - floor_sum(n, block, down, end) + n;
        let reach = down + size - 1;
        let shared = if reach < block {
            (n - 1) - (floor_sum(n - 1, block, down, end + reach) - floor_sum(n - 1, block, down, end))
        } else {
            0
        };
        (spans - shared) as u64 - u64::from(*last == Some(first.0))
    } else {
        // Elements that overlap their neighbours (hand-made strides).
        let mut count = 0;
        let mut at = *last;
        for k in 0..n {
            let a = start + k * step;
            let (b0, b1) = (a >> shift, (a + size - 1) >> shift);
            count += (b1 - b0 + 1) as u64 - u64::from(at == Some(b0));
            at = Some(b1);
        }
        count
    };
    *last = Some(final_.1);
    count
}

/// `Σ ⌊(a·k + b) / m⌋` for `k` in `0..n`, with `a`, `b` ≥ 0 and `m` > 0:
/// how many block boundaries an arithmetic progression's elements cross,
/// in logarithmic time (the sum is reduced as Euclid's algorithm reduces a
/// fraction).
fn floor_sum(mut n: i128, mut m: i128, mut a: i128, mut b: i128) -> i128 {
    let mut sum = 0;
    loop {
        if a >= m {
            sum += n * (n - 1) / 2 * (a / m);
            a %= m;
        }
        if b >= m {
            sum += n * (b / m);
            b %= m;
        }
        let top = a * n + b;
        if top < m {
            return sum;
        }
        (n, b) = (top / m, top % m);
        std::mem::swap(&mut m, &mut a);
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definitions, element by element: what the model must agree with.
    fn brute_force(address: i128, axes: &[Axis], size: usize) -> Traffic {
        let mut elements = vec![address];
        for axis in axes {
            elements = elements
                .iter()
                .flat_map(|&a| (0..axis.len as i128).map(move |i| a + i * axis.stride as i128))
                .collect();
        }
        if axes.iter().any(|a| a.len == 0) {
            elements.clear();
        }
        let size = size as i128;
        let mut distinct = elements.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let blocks = |shift: u32| {
            let mut b: Vec<i128> = elements.iter().flat_map(|&a| (a >> shift)..=((a + size - 1) >> shift)).collect();
            b.sort_unstable();
            b.dedup();
            b.len()
        };
        let switches = |shift: u32| {
            let mut at = None;
            let mut count = 0;
            for &a in &elements {
                for b in (a >> shift)..=((a + size - 1) >> shift) {
                    if at != Some(b) {
                        count += 1;
                    }
                    at = Some(b);
                }
            }
            count
        };
        if size == 0 || elements.is_empty() {
            return Traffic { elements: elements.len(), ..Traffic::default() };
        }
        Traffic {
            elements: elements.len(),
            bytes_used: distinct.len() * size as usize,
            cache_lines: blocks(6),
            pages: blocks(12),
            huge_pages: blocks(21),
            line_switches: switches(6),
            page_switches: switches(12),
        }
    }

    #[test]
    fn the_recipes_row_and_column() {
        let row = [Axis { len: 5000, stride: 8 }];
        let column = [Axis { len: 5000, stride: 40_000 }];
        for address in [0x7f00_0000_0000i128, 0x7f00_0000_0008] {
            assert_eq!(model(address, &row, 8), brute_force(address, &row, 8));
            assert_eq!(model(address, &column, 8), brute_force(address, &column, 8));
        }
        let t = model(0x7f00_0000_0000, &row, 8);
        assert_eq!((t.cache_lines, t.line_switches, t.pages), (625, 625, 10));
        let t = model(0x7f00_0000_0000, &column, 8);
        assert_eq!((t.cache_lines, t.pages, t.page_switches, t.amplification()), (5000, 5000, 5000, 8.0));
    }

    #[test]
    fn floor_sums_are_the_sums() {
        for (n, m, a, b) in [(5, 64, 40, 3), (1000, 4096, 520, 4000), (7, 3, 0, 2), (1, 5, 9, 9), (40, 7, 13, 0)] {
            let expected: i128 = (0..n).map(|k| (a * k + b) / m).sum();
            assert_eq!(floor_sum(n, m, a, b), expected, "{n} {m} {a} {b}");
        }
    }

    #[test]
    fn an_element_across_a_boundary_covers_both_blocks() {
        let straddling = [Axis { len: 3, stride: 12 }];
        assert_eq!(model(60, &straddling, 8), brute_force(60, &straddling, 8));
        assert_eq!(model(60, &straddling, 8).cache_lines, 2);
        let again = [Axis { len: 4, stride: 0 }];
        assert_eq!(model(60, &again, 8), brute_force(60, &again, 8));
        assert_eq!(model(60, &again, 8).line_switches, 8);
    }

    #[test]
    fn broadcasting_reuses_bytes_and_empty_views_are_zero() {
        let broadcast = [Axis { len: 1000, stride: 0 }, Axis { len: 10, stride: 8 }];
        let t = model(4096, &broadcast, 8);
        assert_eq!((t.elements, t.bytes_used, t.cache_lines), (10_000, 80, 2));
        assert_eq!(model(4096, &[Axis { len: 0, stride: 8 }], 8), Traffic::default());
        assert_eq!(Traffic::default().amplification(), 0.0);
    }

    #[test]
    fn overlapping_hand_made_strides_are_enumerated() {
        let overlapping = [Axis { len: 6, stride: 4 }];
        assert_eq!(model(0, &overlapping, 8), brute_force(0, &overlapping, 8));
        let repeating = [Axis { len: 3, stride: 8 }, Axis { len: 4, stride: 8 }];
        assert_eq!(model(0, &repeating, 8), brute_force(0, &repeating, 8));
    }

    proptest::proptest! {
        #[test]
        fn the_model_is_the_walk(
            lens in proptest::collection::vec(0usize..7, 1..4),
            steps in proptest::collection::vec(-40isize..40, 3),
            order in proptest::collection::vec(0usize..3, 3),
            size in proptest::sample::select(vec![1usize, 2, 4, 8, 12, 16]),
            offset in 0i128..4200,
            scale in proptest::sample::select(vec![1isize, 8, 64, 520, 4096]),
        ) {
            // Strides in whole elements mostly, sometimes in bytes that
            // leave elements unaligned; any order, any sign, zero too.
            let axes: Vec<Axis> = lens.iter().enumerate().map(|(i, &len)| {
                let stride = steps[order[i] % steps.len()] * scale * if scale == 1 { 1 } else { size as isize } / 8;
                Axis { len, stride }
            }).collect();
            let address = 0x7f00_0000_0000i128 + offset;
            proptest::prop_assert_eq!(model(address, &axes, size), brute_force(address, &axes, size));
        }
    }
}
