//! The cache lines a view touches, laid out as memory is: the model behind
//! the diagram of `%traffic`.
//!
//! Memory is shown a page at a time, 64 lines of 64 bytes, over the pages
//! from a view's first byte to its last (or, for views that overlap, all of
//! theirs, so that a row and a column of one matrix are drawn over the same
//! buffer). A 200 MB matrix has three million lines: past
//! [`LineMap::MAX_CELLS`] cells, a cell stands for a power of two of lines
//! and carries how many of them the view touches, so the picture stays the
//! same size whatever the buffer's.

use super::{ascending, merged, Axis, CACHE_LINE, PAGE};

/// Where a view's elements lie: enough to place every element's bytes,
/// without reading them.
#[derive(Clone, Debug)]
pub(super) struct Placement {
    /// The lowest element's address.
    base: usize,
    /// Axes that move, positive strides, outermost first.
    axes: Vec<Axis>,
    size: usize,
}

impl Placement {
    pub(super) fn new(address: usize, axes: &[Axis], size: usize) -> Placement {
        let empty = axes.iter().any(|a| a.len == 0) || size == 0;
        let moving = axes.iter().copied().filter(|a| a.len > 1 && a.stride != 0);
        let (base, mut axes) = ascending(address as i128, moving);
        axes.sort_by_key(|a| std::cmp::Reverse(a.stride));
        let axes = if empty { vec![Axis { len: 0, stride: 0 }] } else { merged(axes) };
        Placement { base: base as usize, axes, size }
    }

    /// The bytes from the first element's to the end of the last's, or
    /// `None` for a view with no bytes.
    pub(super) fn extent(&self) -> Option<(usize, usize)> {
        if self.axes.iter().any(|a| a.len == 0) {
            return None;
        }
        let reach: usize = self.axes.iter().map(|a| a.stride as usize * (a.len - 1)).sum();
        Some((self.base, self.base + reach + self.size))
    }

    /// Calls `visit` with each element's address, in memory order.
    fn each_address(&self, mut visit: impl FnMut(usize)) {
        if self.extent().is_none() {
            return;
        }
        let (outer, row) = match self.axes.split_last() {
            Some((row, outer)) => (outer, *row),
            None => (&self.axes[..], Axis { len: 1, stride: 0 }),
        };
        let mut index = vec![0usize; outer.len()];
        let mut start = self.base;
        loop {
            for i in 0..row.len {
                visit(start + i * row.stride as usize);
            }
            let mut axis = outer.len();
            loop {
                if axis == 0 {
                    return;
                }
                axis -= 1;
                index[axis] += 1;
                start += outer[axis].stride as usize;
                if index[axis] < outer[axis].len {
                    break;
                }
                start -= outer[axis].stride as usize * outer[axis].len;
                index[axis] = 0;
            }
        }
    }
}

/// One cell of a [`LineMap`]: a line, or a run of lines when the span is
/// too long for a cell each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCell {
    /// The cell's lines the view's bytes fall in.
    pub lines_touched: usize,
    /// The view's bytes in them (a byte two elements share counts twice,
    /// which only hand-made strides make happen).
    pub bytes_used: usize,
}

impl LineCell {
    /// Of the bytes the touched lines hold, the share the view uses: 1
    /// for a contiguous walk, 1/8 for one `f64` per line; 0 for no line.
    pub fn share_used(&self) -> f64 {
        match self.lines_touched {
            0 => 0.0,
            lines => (self.bytes_used as f64 / (lines * CACHE_LINE) as f64).min(1.0),
        }
    }
}

/// The lines of a span of memory and which of them a view touches.
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::traffic::Report;
///
/// let a = Array2::<f64>::zeros((5000, 5000)); // 200 MB
/// let report = Report::new().add("row", &a.row(0)).add("column", &a.column(0));
/// let maps: Vec<_> = report.line_maps().into_iter().flatten().collect();
/// // Both over the whole matrix, in at most MAX_CELLS cells.
/// assert_eq!(maps[0].span(), maps[1].span());
/// assert!(maps[1].cells.len() <= ndlens::traffic::LineMap::MAX_CELLS);
/// let touched = |i: usize| maps[i].cells.iter().map(|c| c.lines_touched).sum::<usize>();
/// assert_eq!(touched(1), 5000);
/// assert!(touched(0) == 625 || touched(0) == 626);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LineMap {
    /// The first byte shown: a page boundary.
    pub start: usize,
    /// The lines shown, a whole number of pages' worth.
    pub lines: usize,
    /// The lines each cell stands for: a power of two.
    pub lines_per_cell: usize,
    /// The cells, from `start` on.
    pub cells: Vec<LineCell>,
}

impl LineMap {
    /// The most cells a map has: 64 rows of 64.
    pub const MAX_CELLS: usize = 64 * 64;

    /// The lines of a page.
    pub const LINES_PER_PAGE: usize = PAGE / CACHE_LINE;

    /// The map of `placement` over the pages holding the bytes `span`.
    pub(super) fn over(span: (usize, usize), placement: &Placement) -> LineMap {
        let start = span.0 / PAGE * PAGE;
        let end = span.1.div_ceil(PAGE) * PAGE;
        let lines = (end - start) / CACHE_LINE;
        let lines_per_cell = lines.div_ceil(Self::MAX_CELLS).next_power_of_two();
        let mut cells = vec![LineCell::default(); lines.div_ceil(lines_per_cell)];
        // A line is counted touched once, whichever elements reach it.
        let mut seen = vec![0u64; lines.div_ceil(64)];
        let size = placement.size;
        placement.each_address(|address| {
            let first = address - start;
            let last = first + size - 1;
            for line in first / CACHE_LINE..=last / CACHE_LINE {
                let bytes = (last + 1).min((line + 1) * CACHE_LINE) - first.max(line * CACHE_LINE);
                let cell = &mut cells[line / lines_per_cell];
                cell.bytes_used += bytes;
                let (word, bit) = (line / 64, 1u64 << (line % 64));
                if seen[word] & bit == 0 {
                    seen[word] |= bit;
                    cell.lines_touched += 1;
                }
            }
        });
        LineMap { start, lines, lines_per_cell, cells }
    }

    /// The bytes shown, from `start`.
    pub fn span(&self) -> (usize, usize) {
        (self.start, self.start + self.lines * CACHE_LINE)
    }
}

/// The span each of `extents` is drawn over: the union of those that
/// overlap it, directly or through others, so that views of one buffer are
/// drawn over the same memory. A view with no bytes gets `None`.
pub(super) fn shared_spans(extents: &[Option<(usize, usize)>]) -> Vec<Option<(usize, usize)>> {
    let mut order: Vec<usize> = (0..extents.len()).filter(|&i| extents[i].is_some()).collect();
    order.sort_by_key(|&i| extents[i]);
    let mut spans = vec![None; extents.len()];
    let mut group: Vec<usize> = Vec::new();
    let mut union = (0, 0);
    for i in order {
        let (lo, hi) = extents[i].expect("only views with bytes are ordered");
        if !group.is_empty() && lo >= union.1 {
            for &j in &group {
                spans[j] = Some(union);
            }
            group.clear();
        }
        union = if group.is_empty() { (lo, hi) } else { (union.0, union.1.max(hi)) };
        group.push(i);
    }
    for &j in &group {
        spans[j] = Some(union);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(address: usize, axes: &[(usize, isize)], size: usize) -> LineMap {
        let axes: Vec<Axis> = axes.iter().map(|&(len, stride)| Axis { len, stride }).collect();
        let placement = Placement::new(address, &axes, size);
        LineMap::over(placement.extent().unwrap(), &placement)
    }

    #[test]
    fn a_contiguous_run_uses_its_lines_whole() {
        let m = map(4096, &[(64, 8)], 8);
        assert_eq!((m.lines, m.lines_per_cell), (64, 1));
        assert_eq!(m.cells.iter().filter(|c| c.lines_touched == 1).count(), 8);
        assert!(m.cells[..8].iter().all(|c| c.share_used() == 1.0));
    }

    #[test]
    fn an_element_across_a_line_touches_both() {
        let m = map(4096 + 60, &[(1, 0)], 8);
        assert_eq!(m.cells[0], LineCell { lines_touched: 1, bytes_used: 4 });
        assert_eq!(m.cells[1], LineCell { lines_touched: 1, bytes_used: 4 });
    }

    #[test]
    fn long_spans_fold_lines_into_cells() {
        // A column of a 5000 x 5000 f64 matrix, reversed: 200 MB.
        let m = map(1 << 20, &[(5000, -40_000)], 8);
        assert!(m.cells.len() <= LineMap::MAX_CELLS && m.lines_per_cell > 1);
        assert_eq!(m.cells.iter().map(|c| c.lines_touched).sum::<usize>(), 5000);
        assert!(m.cells.iter().filter(|c| c.lines_touched > 0).all(|c| c.share_used() == 0.125));
    }

    #[test]
    fn broadcasts_and_empty_views() {
        let m = map(4096, &[(1000, 0), (4, 8)], 8);
        assert_eq!(m.cells[0], LineCell { lines_touched: 1, bytes_used: 32 });
        let empty = Placement::new(4096, &[Axis { len: 0, stride: 8 }], 8);
        assert_eq!(empty.extent(), None);
    }

    #[test]
    fn overlapping_views_share_a_span() {
        let spans = shared_spans(&[Some((100, 200)), Some((5000, 6000)), Some((150, 400)), None]);
        assert_eq!(spans, [Some((100, 400)), Some((5000, 6000)), Some((100, 400)), None]);
    }
}
