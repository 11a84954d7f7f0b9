//! The overlap question as a bounded linear Diophantine equation.
//!
//! Array `a` reaches the bytes `pa + Σ sa[i]·x[i] + k`, for `0 ≤ x[i] < na[i]`
//! and `0 ≤ k < itemsize_a`; likewise `b`. They overlap exactly when some
//! choice of indices makes the two addresses equal. Flipping negative strides
//! (moving the base to the far end) and substituting `y' = n − 1 − y` for
//! `b`'s indices turns that into
//!
//! ```text
//! Σ c[j]·z[j] = T,   0 ≤ z[j] ≤ u[j],   all c[j] > 0
//! ```
//!
//! the same reduction `numpy.shares_memory` makes. The search below assigns
//! the largest coefficients first; at each level only the values that leave a
//! reachable remainder are tried, the remainder must be divisible by the gcd
//! of the remaining coefficients, and the last two unknowns are solved in
//! closed form with the extended Euclidean algorithm.

use super::Footprint;

pub(super) enum Outcome {
    Solvable,
    Unsolvable,
    OutOfBudget,
}

#[derive(Debug)]
pub(super) struct Problem {
    /// `(coefficient, upper bound)`, coefficients distinct and descending.
    terms: Vec<(i128, i128)>,
    target: i128,
}

/// Axes that move through memory, with strides made positive, and the base
/// address moved to the element that is now first.
fn normalised(f: &Footprint) -> (i128, Vec<(i128, i128)>) {
    let mut base = f.address as i128;
    let mut axes = Vec::new();
    for (&len, &stride) in f.layout.shape.iter().zip(&f.layout.strides) {
        if len <= 1 || stride == 0 {
            continue;
        }
        let (len, stride) = (len as i128, stride as i128);
        if stride < 0 {
            base += stride * (len - 1);
        }
        axes.push((stride.abs(), len - 1));
    }
    (base, axes)
}

impl Problem {
    /// The equation whose solutions are the bytes both arrays reach.
    /// Both arrays must have elements and a non-zero item size.
    pub(super) fn overlap_of(a: &Footprint, b: &Footprint) -> Problem {
        let (base_a, axes_a) = normalised(a);
        let (base_b, axes_b) = normalised(b);
        let (item_a, item_b) = (a.layout.itemsize as i128, b.layout.itemsize as i128);
        let reach_b: i128 = axes_b.iter().map(|(c, u)| c * u).sum();
        let target = base_b - base_a + reach_b + item_b - 1;
        let byte_within_items = (1, item_a - 1 + item_b - 1);
        Problem::new(axes_a.into_iter().chain(axes_b).chain([byte_within_items]), target)
    }

    fn new(terms: impl IntoIterator<Item = (i128, i128)>, target: i128) -> Problem {
        let mut terms: Vec<(i128, i128)> = terms.into_iter().filter(|&(_, u)| u > 0).collect();
        terms.sort_by_key(|&(coefficient, _)| std::cmp::Reverse(coefficient));
        // Equal coefficients are one unknown with the bounds added.
        terms.dedup_by(|next, kept| {
            if next.0 == kept.0 {
                kept.1 += next.1;
                true
            } else {
                false
            }
        });
        Problem { terms, target }
    }

    pub(super) fn solve(&self, budget: u64) -> Outcome {
        let n = self.terms.len();
        // reach[i]: the largest sum terms i.. can make; divisor[i]: their gcd.
        let mut reach = vec![0i128; n + 1];
        let mut divisor = vec![0i128; n + 1];
        for i in (0..n).rev() {
            let (c, u) = self.terms[i];
            reach[i] = reach[i + 1] + c * u;
            divisor[i] = gcd(divisor[i + 1], c);
        }
        let mut search = Search { terms: &self.terms, reach, divisor, work: 0, budget };
        match search.from(0, self.target) {
            Some(true) => Outcome::Solvable,
            Some(false) => Outcome::Unsolvable,
            None => Outcome::OutOfBudget,
        }
    }
}

struct Search<'a> {
    terms: &'a [(i128, i128)],
    reach: Vec<i128>,
    divisor: Vec<i128>,
    work: u64,
    budget: u64,
}

impl Search<'_> {
    /// Whether terms `i..` can sum to `target`; `None` when the budget ran out.
    fn from(&mut self, i: usize, target: i128) -> Option<bool> {
        if target < 0 || target > self.reach[i] {
            return Some(false);
        }
        let remaining = &self.terms[i..];
        match remaining {
            [] => return Some(target == 0),
            [(c, u)] => return Some(target % c == 0 && target / c <= *u),
            [(a, ua), (b, ub)] => return Some(two_terms(*a, *ua, *b, *ub, target)),
            _ => {}
        }
        if target % self.divisor[i] != 0 {
            return Some(false);
        }
        let (c, u) = self.terms[i];
        let rest = self.reach[i + 1];
        // Values of this unknown that leave a remainder in 0..=rest.
        let low = (target - rest).max(0).div_ceil_pos(c);
        let high = u.min(target / c);
        for x in low..=high {
            self.work += 1;
            if self.work > self.budget {
                return None;
            }
            if self.from(i + 1, target - c * x)? {
                return Some(true);
            }
        }
        Some(false)
    }
}

/// Whether `a·x + b·y = t` has a solution with `0 ≤ x ≤ ux`, `0 ≤ y ≤ uy`.
fn two_terms(a: i128, ux: i128, b: i128, uy: i128, t: i128) -> bool {
    let (g, p, _) = extended_gcd(a, b);
    if t % g != 0 {
        return false;
    }
    // x ≡ p·t/g (mod b/g); take the smallest such x ≥ 0 and check the bounds.
    let step = b / g;
    let x = (p * (t / g)).rem_euclid(step);
    if x > ux {
        return false;
    }
    // The smallest x gives the largest y; decreasing y means raising x by `step`.
    let y_max = (t - a * x) / b;
    if y_max < 0 {
        return false;
    }
    if y_max <= uy {
        return true;
    }
    // Raise x by k steps so that y = y_max - k·(a/g) drops to at most uy.
    let drop = a / g;
    let k = (y_max - uy).div_ceil_pos(drop);
    x + k * step <= ux && y_max - k * drop >= 0
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// `(g, p, q)` with `a·p + b·q = g = gcd(a, b)`.
fn extended_gcd(a: i128, b: i128) -> (i128, i128, i128) {
    if b == 0 {
        (a, 1, 0)
    } else {
        let (g, p, q) = extended_gcd(b, a % b);
        (g, q, p - (a / b) * q)
    }
}

trait DivCeilPositive {
    fn div_ceil_pos(self, d: i128) -> i128;
}

impl DivCeilPositive for i128 {
    /// Ceiling division for a non-negative numerator and positive divisor.
    fn div_ceil_pos(self, d: i128) -> i128 {
        (self + d - 1) / d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(terms: &[(i128, i128)], target: i128) -> bool {
        match terms.split_first() {
            None => target == 0,
            Some((&(c, u), rest)) => (0..=u).any(|x| brute(rest, target - c * x)),
        }
    }

    #[test]
    fn two_terms_agrees_with_brute_force() {
        for a in 1..9 {
            for b in 1..9 {
                for ux in 0..5 {
                    for uy in 0..5 {
                        for t in 0..60 {
                            assert_eq!(
                                two_terms(a, ux, b, uy, t),
                                brute(&[(a, ux), (b, uy)], t),
                                "{a}x + {b}y = {t}, x <= {ux}, y <= {uy}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn search_agrees_with_brute_force() {
        let terms = [(35, 3), (21, 2), (15, 4), (6, 2), (1, 0)];
        for t in 0..300 {
            let p = Problem::new(terms, t);
            let found = matches!(p.solve(1_000_000), Outcome::Solvable);
            assert_eq!(found, brute(&terms, t), "target {t}");
        }
    }

    #[test]
    fn divisibility_prunes_without_work() {
        let p = Problem::new((0..12).map(|i| (1000 + 2 * i, 50)), 10_001);
        assert!(matches!(p.solve(0), Outcome::Unsolvable));
    }

    #[test]
    fn a_small_budget_runs_out_and_a_large_one_answers() {
        let terms = [(97, 30), (89, 30), (83, 30), (79, 30), (3, 2)];
        let reach: i128 = terms.iter().map(|(c, u)| c * u).sum();
        let hard = (0..reach)
            .find(|&t| matches!(Problem::new(terms, t).solve(3), Outcome::OutOfBudget))
            .expect("some target needs more than three steps");
        let found = matches!(Problem::new(terms, hard).solve(u64::MAX), Outcome::Solvable);
        assert_eq!(found, brute(&terms, hard));
    }
}
