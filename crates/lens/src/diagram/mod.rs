//! Memory-layout diagrams: how each logical element of one or more arrays
//! lands in the linear buffer behind them.
//!
//! A diagram shows, for every array, its logical grid with each element's
//! byte offset, and under the grids, one strip of memory cells per buffer,
//! coloured by the arrays that reach each cell. Arrays whose byte ranges
//! overlap (directly, or through another array in the same diagram) share a
//! strip, so a view lies on its owner's strip and a copy gets a strip of its
//! own. A cell that several logical elements land on (a broadcast) carries
//! the count.
//!
//! Offsets are relative to the lowest byte of each strip, never absolute
//! addresses, so the same code draws the same SVG every run. Large arrays are
//! drawn truncated, with an ellipsis, and the work is bounded accordingly.
//!
//! ```
//! use ndarray::prelude::*;
//!
//! let a = Array1::<f64>::zeros(6);
//! let d = ndlens::diagram!(a, a.slice(s![1..;2]));
//! let svg = d.to_svg();
//! assert!(svg.starts_with("<svg"));
//! assert_eq!(svg, ndlens::diagram!(a, a.slice(s![1..;2])).to_svg());
//! ```

mod model;
pub(crate) mod svg;
mod text;

pub mod geometry;

use ndarray::{ArrayBase, Dimension, RawData};

pub use model::{ArrayPanel, GridCell, GridRow, MemoryCell, Model, Strip};

use crate::sharing::Footprint;

/// A memory-layout diagram of one or more arrays; build it with
/// [`Diagram::add`] or the [`diagram!`](crate::diagram!) macro.
#[derive(Clone, Debug, Default)]
pub struct Diagram {
    entries: Vec<(String, Footprint)>,
}

/// A diagram of one array; add more with [`Diagram::add`].
pub fn diagram<S, D>(label: &str, a: &ArrayBase<S, D>) -> Diagram
where
    S: RawData,
    D: Dimension,
{
    Diagram::new().add(label, a)
}

/// A diagram of the arrays given, each labelled with its expression.
///
/// ```
/// use ndarray::prelude::*;
///
/// let m = Array2::<i32>::zeros((2, 3));
/// let d = ndlens::diagram!(m, m.t());
/// assert_eq!(d.labels(), vec!["m", "m.t()"]);
/// ```
#[macro_export]
macro_rules! diagram {
    ($($array:expr),+ $(,)?) => {
        $crate::Diagram::new()$(.add(stringify!($array), &$array))+
    };
}

impl Diagram {
    /// An empty diagram.
    pub fn new() -> Diagram {
        Diagram::default()
    }

    /// Adds `a`, drawn under `label`, in the next colour.
    pub fn add<S, D>(mut self, label: &str, a: &ArrayBase<S, D>) -> Diagram
    where
        S: RawData,
        D: Dimension,
    {
        self.entries.push((label.to_string(), Footprint::of(a)));
        self
    }

    /// The labels, in drawing order.
    pub fn labels(&self) -> Vec<&str> {
        self.entries.iter().map(|(label, _)| label.as_str()).collect()
    }

    /// The strips of memory and the logical grids, as they will be drawn.
    pub fn model(&self) -> Model {
        Model::build(&self.entries)
    }

    /// The diagram as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        svg::render(&self.model())
    }

    /// The diagram as text: each array's layout and offsets, and each strip
    /// as a row of cells marked with the arrays that reach them.
    pub fn to_text(&self) -> String {
        text::render(&self.model())
    }

    /// Rich output for evcxr and the ndlens kernel: SVG, HTML and text.
    pub fn evcxr_display(&self) {
        let svg = self.to_svg();
        let html = format!("<div class=\"ndlens-diagram\">{svg}</div>");
        crate::rich::emit(&[("text/plain", self.to_text()), ("text/html", html), ("image/svg+xml", svg)]);
    }
}

impl std::fmt::Display for Diagram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}
