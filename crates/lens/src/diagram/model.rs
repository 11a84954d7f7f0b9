//! What a diagram shows, computed before anything is drawn: the truncated
//! logical grid of each array and the truncated strip of each buffer.
//!
//! Work is bounded by what is shown: whether an array reaches a memory cell
//! is one exact overlap question per shown cell, and broadcast counts come
//! from walking the elements only for arrays small enough to walk.

use std::collections::HashMap;

use crate::layout::{advance, unravel, Layout};
use crate::sharing::{footprints_share, Footprint};

/// Grids wider than this many columns are drawn truncated.
pub const MAX_COLUMNS: usize = 10;
/// Grids taller than this many rows are drawn truncated.
pub const MAX_ROWS: usize = 6;
/// Strips longer than this many cells are drawn truncated.
pub const MAX_STRIP_CELLS: usize = 48;
/// Arrays with more elements than this are not walked to count broadcasts.
const MAX_WALKED_ELEMENTS: usize = 1 << 16;

/// Everything a diagram draws.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Model {
    /// One panel per array, in the order they were added.
    pub arrays: Vec<ArrayPanel>,
    /// One strip per buffer: arrays whose bytes overlap share a strip.
    pub strips: Vec<Strip>,
}

/// One array's logical grid.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ArrayPanel {
    /// The array's label, as given to [`Diagram::add`](super::Diagram::add).
    pub label: String,
    /// The array's layout.
    pub layout: Layout,
    /// The strip this array lies on; `None` when it reaches no bytes.
    pub strip: Option<usize>,
    /// The rows of the grid that are shown.
    pub rows: Vec<GridRow>,
}

/// A row of the grid: the elements along the last axis for one index of
/// the leading axes.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GridRow {
    /// The leading indices, NumPy style (`[1, :]`), or empty for a vector.
    pub label: String,
    /// The cells shown along the last axis.
    pub cells: Vec<GridCell>,
}

/// One cell of an array's grid.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GridCell {
    /// An element and its byte offset from the start of its strip.
    Element {
        /// The element's index in the array.
        index: Vec<usize>,
        /// Its first byte, counted from the start of the strip.
        offset: isize,
    },
    /// Elements left out.
    Ellipsis,
}

/// One buffer, drawn as a row of cells of `unit` bytes each.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Strip {
    /// Bytes per cell: the smallest item size among the arrays on the strip.
    pub unit: usize,
    /// The number of cells from the lowest to the highest byte reached.
    pub total_cells: usize,
    /// The cells shown, in memory order.
    pub cells: Vec<MemoryCell>,
}

/// One cell of a buffer strip.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemoryCell {
    /// `unit` bytes of the buffer.
    Cell {
        /// The cell's position on the strip, from 0.
        position: usize,
        /// The arrays that reach this cell, by index, with how many of their
        /// logical elements land on it (`None` when the array is too large
        /// to count).
        reached_by: Vec<(usize, Option<usize>)>,
    },
    /// Cells left out.
    Ellipsis,
}

impl Model {
    pub(crate) fn build(entries: &[(String, Footprint)]) -> Model {
        let footprints: Vec<&Footprint> = entries.iter().map(|(_, f)| f).collect();
        let strip_of = group_by_overlapping_bytes(&footprints);
        let strip_count = strip_of.iter().flatten().max().map_or(0, |s| s + 1);

        let mut strips = Vec::with_capacity(strip_count);
        let mut origins = Vec::with_capacity(strip_count);
        for strip in 0..strip_count {
            let members: Vec<usize> = (0..footprints.len()).filter(|&i| strip_of[i] == Some(strip)).collect();
            let origin = members.iter().map(|&i| footprints[i].bytes().start).min().unwrap_or(0);
            let end = members.iter().map(|&i| footprints[i].bytes().end).max().unwrap_or(0);
            let unit = members.iter().map(|&i| footprints[i].layout.itemsize).min().unwrap_or(1).max(1);
            let total_cells = ((end - origin) as usize).div_ceil(unit);
            let cells = shown(total_cells, MAX_STRIP_CELLS)
                .into_iter()
                .map(|position| match position {
                    None => MemoryCell::Ellipsis,
                    Some(position) => {
                        let cell = cell_footprint(origin + (position * unit) as isize, unit);
                        let reached_by = members
                            .iter()
                            .filter(|&&i| footprints_share(footprints[i], &cell))
                            .map(|&i| (i, None))
                            .collect();
                        MemoryCell::Cell { position, reached_by }
                    }
                })
                .collect();
            let mut strip = Strip { unit, total_cells, cells };
            count_landings(&mut strip, &members, &footprints, origin);
            strips.push(strip);
            origins.push(origin);
        }

        let arrays = entries
            .iter()
            .zip(&strip_of)
            .map(|((label, f), &strip)| {
                let origin = strip.map_or(f.address, |s| origins[s]);
                ArrayPanel { label: label.clone(), layout: f.layout.clone(), strip, rows: grid(f, origin) }
            })
            .collect();
        Model { arrays, strips }
    }
}

/// Which strip each array lies on: arrays whose byte ranges overlap are
/// joined, transitively; arrays that reach no bytes lie on none.
fn group_by_overlapping_bytes(footprints: &[&Footprint]) -> Vec<Option<usize>> {
    let n = footprints.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let (x, y) = (footprints[i].bytes(), footprints[j].bytes());
            if !x.is_empty() && !y.is_empty() && x.start < y.end && y.start < x.end {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut numbering = HashMap::new();
    (0..n)
        .map(|i| {
            if footprints[i].bytes().is_empty() {
                return None;
            }
            let r = root(&mut parent, i);
            let next = numbering.len();
            Some(*numbering.entry(r).or_insert(next))
        })
        .collect()
}

/// A one-cell array standing for a memory cell, to ask who reaches it.
fn cell_footprint(address: isize, unit: usize) -> Footprint {
    Footprint { address, layout: Layout::from_parts(vec![1], vec![1], unit, "u8") }
}

/// The positions to show out of `total`: all of them, or the first ones and
/// the last one around an ellipsis (`None`).
fn shown(total: usize, max: usize) -> Vec<Option<usize>> {
    if total <= max {
        return (0..total).map(Some).collect();
    }
    let head = max - 2;
    (0..head).map(Some).chain([None, Some(total - 1)]).collect()
}

/// For arrays small enough to walk, counts how many logical elements start
/// in each shown cell, so that a broadcast shows as `×n`.
fn count_landings(strip: &mut Strip, members: &[usize], footprints: &[&Footprint], origin: isize) {
    for &i in members {
        let f = footprints[i];
        if f.layout.len() > MAX_WALKED_ELEMENTS {
            continue;
        }
        let mut landings: HashMap<usize, usize> = HashMap::new();
        let shape = &f.layout.shape;
        let mut index = vec![0; shape.len()];
        for _ in 0..f.layout.len() {
            let offset = f.address + f.layout.offset_unchecked(&index) - origin;
            *landings.entry(offset as usize / strip.unit).or_default() += 1;
            advance(&mut index, shape);
        }
        for cell in &mut strip.cells {
            if let MemoryCell::Cell { position, reached_by } = cell {
                for (array, count) in reached_by.iter_mut() {
                    if *array == i {
                        *count = Some(landings.get(position).copied().unwrap_or(0));
                    }
                }
            }
        }
    }
}

/// The grid of `f`: leading axes make rows, the last axis makes columns.
fn grid(f: &Footprint, origin: isize) -> Vec<GridRow> {
    let shape = &f.layout.shape;
    if shape.contains(&0) {
        return Vec::new();
    }
    let (leading, columns) = match shape.split_last() {
        None => (&[][..], 1),
        Some((&last, leading)) => (leading, last),
    };
    let rows: usize = leading.iter().product();
    shown(rows, MAX_ROWS)
        .into_iter()
        .map(|row| match row {
            None => GridRow { label: "⋮".into(), cells: Vec::new() },
            Some(row) => {
                let lead = unravel(row, leading);
                let label = if shape.len() < 2 {
                    String::new()
                } else {
                    let parts: Vec<String> = lead.iter().map(ToString::to_string).collect();
                    format!("[{}, :]", parts.join(", "))
                };
                let cells = shown(columns, MAX_COLUMNS)
                    .into_iter()
                    .map(|column| match column {
                        None => GridCell::Ellipsis,
                        Some(column) => {
                            let mut index = lead.clone();
                            if !shape.is_empty() {
                                index.push(column);
                            }
                            let offset = f.address + f.layout.offset_unchecked(&index) - origin;
                            GridCell::Element { index, offset }
                        }
                    })
                    .collect();
                GridRow { label, cells }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sharing::Footprint;
    use ndarray::prelude::*;

    fn model(arrays: &[(&str, Footprint)]) -> Model {
        let entries: Vec<(String, Footprint)> = arrays.iter().map(|(l, f)| (l.to_string(), f.clone())).collect();
        Model::build(&entries)
    }

    #[test]
    fn a_view_shares_the_strip_and_a_copy_gets_its_own() {
        let a = Array1::<f64>::zeros(3);
        let copy = a.to_owned();
        let m = model(&[
            ("a", Footprint::of(&a)),
            ("a[1..]", Footprint::of(&a.slice(s![1..]))),
            ("copy", Footprint::of(&copy)),
        ]);
        assert_eq!(m.strips.len(), 2);
        assert_eq!(m.arrays.iter().map(|p| p.strip).collect::<Vec<_>>(), vec![Some(0), Some(0), Some(1)]);
        let reached: Vec<Vec<usize>> = m.strips[0]
            .cells
            .iter()
            .map(|c| match c {
                MemoryCell::Cell { reached_by, .. } => reached_by.iter().map(|r| r.0).collect(),
                MemoryCell::Ellipsis => panic!("three cells need no ellipsis"),
            })
            .collect();
        assert_eq!(reached, vec![vec![0], vec![0, 1], vec![0, 1]]);
        assert_eq!(m.arrays[1].rows[0].cells[0], GridCell::Element { index: vec![0], offset: 8 });
    }

    #[test]
    fn a_broadcast_lands_many_elements_on_one_cell() {
        let a = Array1::<i32>::from_iter(0..4);
        let b = a.broadcast((3, 4)).unwrap();
        let m = model(&[("b", Footprint::of(&b))]);
        assert_eq!(m.strips[0].cells[2], MemoryCell::Cell { position: 2, reached_by: vec![(0, Some(3))] });
        assert_eq!(m.arrays[0].rows.len(), 3);
        assert_eq!(m.arrays[0].rows[1].label, "[1, :]");
    }

    #[test]
    fn a_million_elements_are_drawn_truncated() {
        let big = Array2::<f32>::zeros((1000, 1000));
        let m = model(&[("big", Footprint::of(&big))]);
        assert_eq!(m.strips[0].total_cells, 1_000_000);
        assert_eq!(m.strips[0].cells.len(), MAX_STRIP_CELLS);
        assert_eq!(m.strips[0].cells[MAX_STRIP_CELLS - 2], MemoryCell::Ellipsis);
        assert_eq!(m.arrays[0].rows.len(), MAX_ROWS);
        assert!(m.arrays[0].rows.iter().all(|r| r.cells.len() <= MAX_COLUMNS));
    }

    #[test]
    fn empty_arrays_have_no_strip_and_no_cells() {
        let a = Array2::<u8>::zeros((0, 3));
        let m = model(&[("a", Footprint::of(&a))]);
        assert!(m.strips.is_empty());
        assert_eq!(m.arrays[0].strip, None);
        assert!(m.arrays[0].rows.is_empty());
    }
}
