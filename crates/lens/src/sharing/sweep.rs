//! The overlap question answered by listing addresses.
//!
//! Each array's elements are listed as byte intervals, sorted by start, and
//! the two lists are merged. The first interval whose start lies inside an
//! earlier-starting interval of the other array marks the lowest shared byte.
//! This is exact for any layout and costs `O(n log n)` in the number of
//! distinct elements (axes with stride zero are counted once), which is why
//! the Diophantine search goes first.

use super::{Footprint, Overlap};
use crate::layout::{advance, unravel};

struct Element {
    start: isize,
    end: isize,
    flat_index: usize,
}

/// Element intervals of `f`, sorted by start, visiting a zero-stride axis
/// only at index zero.
fn elements(f: &Footprint) -> (Vec<Element>, Vec<usize>) {
    let l = &f.layout;
    // The shape actually walked: axes with stride 0 reach one address.
    let walked: Vec<usize> = l.shape.iter().zip(&l.strides).map(|(&n, &s)| if s == 0 { n.min(1) } else { n }).collect();
    let count: usize = walked.iter().product();
    let mut out = Vec::with_capacity(count);
    let mut index = vec![0usize; walked.len()];
    for _ in 0..count {
        let start = f.address + l.offset_unchecked(&index);
        let flat_index = index.iter().zip(&l.shape).fold(0, |acc, (&i, &n)| acc * n + i);
        out.push(Element { start, end: start + l.itemsize as isize, flat_index });
        advance(&mut index, &walked);
    }
    out.sort_by_key(|e| e.start);
    (out, l.shape.clone())
}

/// The lowest byte both arrays reach, and the elements that hold it.
pub(super) fn lowest_shared_byte(a: &Footprint, b: &Footprint) -> Option<Overlap> {
    if a.layout.itemsize == 0 || b.layout.itemsize == 0 || a.layout.is_empty() || b.layout.is_empty() {
        return None;
    }
    let (ea, shape_a) = elements(a);
    let (eb, shape_b) = elements(b);
    // The element of each array, among those started so far, that ends last.
    let mut furthest: [Option<&Element>; 2] = [None, None];
    let (mut i, mut j) = (0, 0);
    while i < ea.len() || j < eb.len() {
        let take_a = j >= eb.len() || (i < ea.len() && ea[i].start <= eb[j].start);
        let (side, current) = if take_a { (0, &ea[i]) } else { (1, &eb[j]) };
        if let Some(other) = furthest[1 - side] {
            if other.end > current.start {
                let shared = current.start;
                let (in_a, in_b) = if side == 0 { (current, other) } else { (other, current) };
                return Some(Overlap {
                    index_a: unravel(in_a.flat_index, &shape_a),
                    index_b: unravel(in_b.flat_index, &shape_b),
                    offset_a: shared - a.address,
                    offset_b: shared - b.address,
                });
            }
        }
        if furthest[side].is_none_or(|f| f.end < current.end) {
            furthest[side] = Some(current);
        }
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
    }
    None
}
