//! A lens over [`ndarray`]: where an array's elements live, whether two
//! arrays share memory, and which operations copy.
//!
//! ndlens answers the questions of the IPython Cookbook's recipe
//! "Understanding the internals of NumPy to avoid unnecessary array copying"
//! for Rust's arrays, with NumPy's vocabulary (byte strides, C and F
//! contiguity) and NumPy's rules (when `reshape` and `ravel` copy):
//!
//! - [`aid`]: the address of the first element;
//! - [`shares_memory`], [`may_share_memory`], [`overlap`] and
//!   [`explain_sharing`]: exact and bounds-only answers to "do these two
//!   arrays share memory, and where";
//! - [`layout`]: shape, byte strides, contiguity and the bytes reached;
//! - [`ravel`], [`flatten`], [`reshape`] and [`tile`]: NumPy's operations,
//!   returning views exactly where NumPy does;
//! - [`traffic`]: the cache lines and pages an array's elements cover, and
//!   how often a walk over them moves to another: why a row sum is faster
//!   than a column sum;
//! - [`Diagram`] and [`diagram!`]: SVG pictures of arrays over their buffers;
//! - [`check`]: checks for exercises, whose failures teach;
//! - [`erased`]: the layout of an array kept as a `dyn Any`, for tools
//!   that hold values without their types.
//!
//! Every function accepts any element type and dimension, and owned arrays,
//! views, `ArcArray` and `CowArray` alike.
//!
//! ```
//! use ndarray::prelude::*;
//! use ndlens::prelude::*;
//!
//! let a = Array2::<f64>::zeros((100, 100));
//! assert!(shares_memory(&a, &ravel(&a)));
//! assert!(!shares_memory(&a, &flatten(&a)));
//! assert_eq!(layout(&a.t()).strides, vec![8, 800]);
//! ```

//!
//! `use ndlens::prelude::*` brings in what a notebook needs; the diagram's
//! model, for tools that draw diagrams their own way, is in [`diagram`].

#![warn(missing_docs)]

/// The ndarray this crate is built on, for code that wants the same version.
pub use ndarray;

mod address;
pub mod check;
pub mod diagram;
pub mod erased;
mod explain;
mod layout;
mod ops;
mod rich;
mod sharing;
pub mod traffic;

pub use address::aid;
pub use diagram::{diagram, Diagram};
pub use explain::{explain_sharing, SharingAnswer};
pub use layout::{layout, Layout};
pub use ops::{flatten, ravel, reshape, tile, ReshapeError};
pub use sharing::{may_share_memory, overlap, shares_memory, Overlap};
pub use traffic::{traffic, Traffic};

/// What a notebook needs: the lens's functions, [`Layout`], [`Traffic`],
/// [`Diagram`] and [`diagram!`].
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::prelude::*;
///
/// let m = Array2::<f64>::zeros((2, 3));
/// assert!(shares_memory(&m, &m.t()));
/// assert_eq!(diagram!(m, m.t()).labels(), vec!["m", "m.t()"]);
/// ```
pub mod prelude {
    pub use crate::{
        aid, diagram, explain_sharing, flatten, layout, may_share_memory, overlap, ravel, reshape, shares_memory, tile,
        traffic, Diagram, Layout, Traffic,
    };
}
