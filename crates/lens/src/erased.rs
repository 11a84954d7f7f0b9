//! Arrays behind `dyn Any`: their layouts without their types.
//!
//! A REPL keeps its values type-erased, and a debugger that lists them
//! must show each array's layout at once, without compiling code for its
//! type. [`array`] tries the element types, dimensions and owning storages
//! a notebook makes, in turn; each storage and dimension only converts to
//! a dynamic-dimensional view, so that the layout and the `Debug` text are
//! compiled once per element type, not once per combination.
//!
//! Views do not appear: a `dyn Any` is `'static`, and a view borrows.
//!
//! ```
//! use std::any::Any;
//! use ndarray::prelude::*;
//!
//! let kept: Box<dyn Any> = Box::new(Array2::<f64>::zeros((3, 4)));
//! let array = ndlens::erased::array(kept.as_ref()).unwrap();
//! assert_eq!(array.layout.strides, vec![32, 8]);
//! assert_eq!(array.storage, ndlens::erased::Storage::Owned);
//! assert_eq!(array.elements().to_string(), Array2::<f64>::zeros((3, 4)).to_string());
//!
//! let number: Box<dyn Any> = Box::new(3_i32);
//! assert!(ndlens::erased::array(number.as_ref()).is_none());
//! ```

use std::any::Any;
use std::fmt::Display;

use ndarray::{ArrayBase, ArrayViewD, Ix0, Ix1, Ix2, Ix3, Ix4, Ix5, Ix6, IxDyn, OwnedArcRepr, OwnedRepr};

use crate::layout::{layout, Layout};

/// Who holds an erased array's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// An `Array`: the buffer is the array's own.
    Owned,
    /// An `ArcArray`: the buffer is shared by reference count, and copied
    /// on the first write while shared.
    Shared,
}

/// An array found behind a `dyn Any`.
#[non_exhaustive]
pub struct ErasedArray<'a> {
    /// Its layout, as [`layout`] gives it for the typed array.
    pub layout: Layout,
    /// Who holds its buffer.
    pub storage: Storage,
    elements: Box<dyn Display + 'a>,
}

impl<'a> ErasedArray<'a> {
    /// Its elements, displayed as ndarray displays the typed array (long
    /// axes elided).
    pub fn elements(&self) -> &(dyn Display + 'a) {
        self.elements.as_ref()
    }
}

/// The array behind `value`, when it is an `Array` or `ArcArray` of a
/// primitive number, `bool` or `char`, of dimension 0 to 6 or dynamic.
pub fn array(value: &dyn Any) -> Option<ErasedArray<'_>> {
    macro_rules! elements {
        ($($elem:ty),*) => {
            $(if let Some(found) = of_element::<$elem>(value) { return Some(found); })*
        };
    }
    elements!(f64, f32, i64, i32, i16, i8, isize, u64, u32, u16, u8, usize, bool, char);
    None
}

/// `value` as an array of `A`, by each dimension and owning storage.
fn of_element<A: Display + 'static>(value: &dyn Any) -> Option<ErasedArray<'_>> {
    macro_rules! dimensions {
        ($($dim:ty),*) => {
            $(
                if let Some(a) = value.downcast_ref::<ArrayBase<OwnedRepr<A>, $dim>>() {
                    return Some(erase(a.view().into_dyn(), Storage::Owned));
                }
                if let Some(a) = value.downcast_ref::<ArrayBase<OwnedArcRepr<A>, $dim>>() {
                    return Some(erase(a.view().into_dyn(), Storage::Shared));
                }
            )*
        };
    }
    dimensions!(Ix1, Ix2, Ix3, IxDyn, Ix0, Ix4, Ix5, Ix6);
    None
}

fn erase<A: Display>(view: ArrayViewD<'_, A>, storage: Storage) -> ErasedArray<'_> {
    ErasedArray { layout: layout(&view), storage, elements: Box::new(view) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    #[test]
    fn every_dimension_and_storage_keeps_its_typed_layout() {
        let owned = Array3::<u8>::zeros((2, 3, 4)).reversed_axes();
        let kept: Box<dyn Any> = Box::new(owned.clone());
        assert_eq!(array(kept.as_ref()).unwrap().layout, layout(&owned));
        let shared: Box<dyn Any> = Box::new(Array1::<bool>::from_elem(5, true).into_shared());
        let found = array(shared.as_ref()).unwrap();
        assert_eq!((found.storage, found.layout.elem_type), (Storage::Shared, "bool"));
        let dynamic: Box<dyn Any> = Box::new(ArrayD::<i64>::zeros(IxDyn(&[2, 2, 2, 2, 2, 2, 2])));
        assert_eq!(array(dynamic.as_ref()).unwrap().layout.shape.len(), 7);
        let scalar: Box<dyn Any> = Box::new(arr0(1.5f32));
        assert_eq!(array(scalar.as_ref()).unwrap().elements().to_string(), "1.5");
    }

    #[test]
    fn other_values_are_not_arrays() {
        let values: [Box<dyn Any>; 3] =
            [Box::new(1.0f64), Box::new(vec![1.0f64]), Box::new(Array1::<String>::from_elem(2, String::new()))];
        assert!(values.iter().all(|v| array(v.as_ref()).is_none()));
    }
}
