//! Answers in words: whether two arrays share memory, and where.
//!
//! The `%shares` magic shows this, and notebooks can too: its plain text
//! starts with `true` or `false` on a line of its own, so a program can read
//! the answer, and goes on to say which elements share a byte.

use std::fmt;

use ndarray::{ArrayBase, Dimension, RawData};

use crate::sharing::{may_share_memory, overlap, shares_memory, Overlap};

/// Whether two arrays share memory, with the first shared element named.
///
/// ```
/// use ndarray::prelude::*;
///
/// let a = Array1::<f64>::zeros(4);
/// let answer = ndlens::explain_sharing("a", &a, "a[2..]", &a.slice(s![2..]));
/// assert!(answer.shares);
/// assert_eq!(
///     answer.to_string(),
///     "true\na[2] and (a[2..])[0] hold the same bytes, 16 bytes after the first element of a."
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharingAnswer {
    /// How the first array is named in the sentence.
    pub label_a: String,
    /// How the second array is named in the sentence.
    pub label_b: String,
    /// The exact answer, as `numpy.shares_memory`.
    pub shares: bool,
    /// The bounds-only answer, as `numpy.may_share_memory`.
    pub may_share: bool,
    /// The first shared byte, when the arrays share and are small enough to
    /// search.
    pub first_shared: Option<Overlap>,
}

/// Whether `a` and `b` share memory, explained.
pub fn explain_sharing<S, D, T, E>(
    label_a: &str,
    a: &ArrayBase<S, D>,
    label_b: &str,
    b: &ArrayBase<T, E>,
) -> SharingAnswer
where
    S: RawData,
    D: Dimension,
    T: RawData,
    E: Dimension,
{
    let shares = shares_memory(a, b);
    SharingAnswer {
        label_a: label_a.to_string(),
        label_b: label_b.to_string(),
        shares,
        may_share: may_share_memory(a, b),
        // Past overlap's size limit the answer is still exact; only the
        // element is not named.
        first_shared: if shares { overlap(a, b).ok().flatten() } else { None },
    }
}

fn indexed(label: &str, index: &[usize]) -> String {
    let parts: Vec<String> = index.iter().map(ToString::to_string).collect();
    match label.chars().all(|c| c.is_alphanumeric() || c == '_') {
        true => format!("{label}[{}]", parts.join(", ")),
        false => format!("({label})[{}]", parts.join(", ")),
    }
}

impl SharingAnswer {
    /// The explanation after the yes or no, one sentence.
    pub fn sentence(&self) -> String {
        let (a, b) = (&self.label_a, &self.label_b);
        match (&self.first_shared, self.shares, self.may_share) {
            (Some(o), _, _) => {
                let name = |label: &str, index: &[usize]| {
                    if index.is_empty() {
                        label.to_string()
                    } else {
                        indexed(label, index)
                    }
                };
                let place = match o.offset_a {
                    0 => format!("at the first element of {a}"),
                    n if n > 0 => format!("{n} bytes after the first element of {a}"),
                    n => format!("{} bytes before the first element of {a}", -n),
                };
                format!("{} and {} hold the same bytes, {place}.", name(a, &o.index_a), name(b, &o.index_b))
            }
            (None, true, _) => format!("{a} and {b} share memory (too large to name the first shared element)."),
            (None, false, true) => {
                format!("{a} and {b} reach overlapping byte ranges but no byte in common: they interleave.")
            }
            (None, false, false) => format!("{a} and {b} reach disjoint byte ranges."),
        }
    }

    /// The answer in bold, green for yes and red for no, then the sentence.
    pub fn to_html(&self) -> String {
        let colour = if self.shares { "#2e7d32" } else { "#b71c1c" };
        format!(
            "<div class=\"ndlens-shares\"><strong style=\"color:{colour}\">{}</strong>: {}</div>",
            self.shares,
            crate::rich::escape(&self.sentence())
        )
    }

    /// Rich output for evcxr and the ndlens kernel.
    pub fn evcxr_display(&self) {
        crate::rich::emit(&[("text/plain", self.to_string()), ("text/html", self.to_html())]);
    }
}

impl fmt::Display for SharingAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.shares, self.sentence())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    #[test]
    fn interleaved_and_disjoint_arrays_are_told_apart() {
        let x = Array1::<u8>::zeros(10);
        let even_odd = explain_sharing("x[..;2]", &x.slice(s![..;2]), "x[1..;2]", &x.slice(s![1..;2]));
        assert_eq!(even_odd.to_string().lines().next(), Some("false"));
        assert!(even_odd.sentence().contains("interleave"));
        let copy = x.to_owned();
        assert!(explain_sharing("x", &x, "copy", &copy).sentence().contains("disjoint"));
    }

    #[test]
    fn expressions_are_parenthesised_before_indexing() {
        let m = Array2::<f32>::zeros((2, 2));
        let answer = explain_sharing("m", &m, "m.t()", &m.t());
        assert_eq!(answer.sentence(), "m[0, 0] and (m.t())[0, 0] hold the same bytes, at the first element of m.");
        assert!(answer.to_html().contains("(m.t())[0, 0]"));
    }
}
