//! From the explorer's settings to a view of a buffer in this process, and
//! what the lens says of it. Nothing is compiled: the kernel links ndarray
//! and the lens, so a redraw is a few allocations and a diagram.

use std::fmt::Write;

use ndlens::ndarray::{self, ArrayD, ArrayViewD, Axis, IxDyn, ShapeBuilder, Slice};

/// The largest buffer the explorer makes, in elements: 8 MB of `f64`.
pub const MAX_ELEMENTS: usize = 1_000_000;

/// The element types on offer, by item size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    U8,
    I16,
    F32,
    F64,
}

impl Item {
    pub const ALL: [Item; 4] = [Item::F64, Item::F32, Item::I16, Item::U8];

    pub fn rust(self) -> &'static str {
        match self {
            Item::U8 => "u8",
            Item::I16 => "i16",
            Item::F32 => "f32",
            Item::F64 => "f64",
        }
    }

    pub fn size(self) -> usize {
        match self {
            Item::U8 => 1,
            Item::I16 => 2,
            Item::F32 => 4,
            Item::F64 => 8,
        }
    }

    pub fn label(self) -> String {
        format!("{} ({} byte{})", self.rust(), self.size(), if self.size() == 1 { "" } else { "s" })
    }

    pub fn of_size(size: usize) -> Option<Item> {
        Item::ALL.into_iter().find(|item| item.size() == size)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    C,
    F,
}

/// `start..stop;step` along one axis, as ndarray's `s![]` reads it: a
/// negative step walks the same range from its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisSlice {
    pub start: usize,
    pub stop: usize,
    pub step: isize,
}

impl AxisSlice {
    pub fn all(len: usize) -> AxisSlice {
        AxisSlice { start: 0, stop: len, step: 1 }
    }
}

/// A second array to compare the view with, made from the same buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Nothing,
    /// The whole buffer, `a`.
    Whole,
    /// `a.to_owned()`: a buffer of its own.
    Copy,
    /// The first half along axis 0.
    FirstHalf,
    /// Every other element along the last axis.
    EveryOther,
}

impl Compare {
    pub const ALL: [Compare; 5] =
        [Compare::Nothing, Compare::Whole, Compare::Copy, Compare::FirstHalf, Compare::EveryOther];

    pub fn label(self) -> &'static str {
        match self {
            Compare::Nothing => "nothing",
            Compare::Whole => "the whole array",
            Compare::Copy => "a copy",
            Compare::FirstHalf => "the first half (axis 0)",
            Compare::EveryOther => "every other element (last axis)",
        }
    }
}

/// A length-1 axis of the view stretched to `to` with stride 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast {
    pub axis: usize,
    pub to: usize,
}

/// Everything the controls set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub item: Item,
    /// The buffer's shape: 1 to 3 axes.
    pub shape: Vec<usize>,
    pub order: Order,
    /// One per axis of `shape`, applied before the axes are reordered.
    pub slices: Vec<AxisSlice>,
    /// The view's axes, as a permutation of the sliced array's.
    pub axes: Vec<usize>,
    pub broadcast: Option<Broadcast>,
    pub compare: Compare,
}

impl Settings {
    /// A C-ordered buffer of `shape`, viewed whole.
    pub fn new(item: Item, shape: Vec<usize>) -> Settings {
        let slices = shape.iter().map(|&len| AxisSlice::all(len)).collect();
        let axes = (0..shape.len()).collect();
        Settings { item, shape, order: Order::C, slices, axes, broadcast: None, compare: Compare::Nothing }
    }
}

/// Whether an operation gave a view of the buffer or a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    View,
    /// A new buffer of this many bytes: the one allocation the copy makes,
    /// as `%allocs` counts it.
    Copy {
        bytes: usize,
    },
    Fails(String),
}

/// What the explorer shows for one setting of its controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The lens's layout line of the view (NumPy's vocabulary).
    pub layout: String,
    /// The bytes the view reaches, relative to its first element.
    pub extent: String,
    /// `ravel(&view)`.
    pub ravel: Answer,
    /// `reshape(&view, &[-1])`.
    pub reshape: Answer,
    /// `%shares view, other` in one sentence, when comparing.
    pub shares: Option<String>,
    /// Rust that builds the same view in a session.
    pub expression: String,
    pub svg: String,
}

/// Why the settings make no view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

/// The report for `settings`, or why there is none.
pub fn explore(settings: &Settings) -> Result<Report, Refusal> {
    check(settings)?;
    match settings.item {
        Item::U8 => report::<u8>(settings),
        Item::I16 => report::<i16>(settings),
        Item::F32 => report::<f32>(settings),
        Item::F64 => report::<f64>(settings),
    }
}

fn check(settings: &Settings) -> Result<(), Refusal> {
    let axes = settings.shape.len();
    if !(1..=3).contains(&axes) || settings.slices.len() != axes || settings.axes.len() != axes {
        return Err(Refusal(format!("the explorer takes 1 to 3 axes, with a slice and a place for each; got {axes}")));
    }
    let elements = settings.shape.iter().try_fold(1usize, |n, &len| n.checked_mul(len));
    if elements.is_none_or(|n| n > MAX_ELEMENTS) {
        return Err(Refusal(format!(
            "a buffer of shape {} would hold more than {MAX_ELEMENTS} elements, the explorer's limit: make an axis shorter",
            tuple(&settings.shape)
        )));
    }
    let mut seen = settings.axes.clone();
    seen.sort_unstable();
    if seen != (0..axes).collect::<Vec<_>>() {
        return Err(Refusal(format!("the axis order {:?} is not a permutation of 0..{axes}", settings.axes)));
    }
    for (axis, (slice, &len)) in settings.slices.iter().zip(&settings.shape).enumerate() {
        if slice.step == 0 {
            return Err(Refusal(format!("the step of axis {axis} is 0: a slice steps by at least 1 either way")));
        }
        if slice.start > slice.stop || slice.stop > len {
            return Err(Refusal(format!(
                "axis {axis}: {}..{} is not a range within 0..{len}",
                slice.start, slice.stop
            )));
        }
    }
    Ok(())
}

/// The view the settings describe of `buffer`, before any broadcast.
fn view_of<'a, A>(buffer: &'a ArrayD<A>, settings: &Settings) -> ArrayViewD<'a, A> {
    let mut view = buffer.view();
    for (axis, slice) in settings.slices.iter().enumerate() {
        view.slice_axis_inplace(Axis(axis), Slice::new(slice.start as isize, Some(slice.stop as isize), slice.step));
    }
    view.permuted_axes(IxDyn(&settings.axes))
}

/// `view` with the broadcast the settings ask for, if any.
fn stretched<'v, A>(view: &'v ArrayViewD<'_, A>, settings: &Settings) -> Result<Option<ArrayViewD<'v, A>>, Refusal> {
    let Some(Broadcast { axis, to }) = settings.broadcast else { return Ok(None) };
    let len = *view.shape().get(axis).ok_or_else(|| Refusal(format!("the view has no axis {axis}")))?;
    if len != 1 {
        return Err(Refusal(format!(
            "axis {axis} of the view has length {len}: only a length-1 axis broadcasts (slice it to one element first)"
        )));
    }
    let mut shape = view.shape().to_vec();
    shape[axis] = to;
    Ok(view.broadcast(IxDyn(&shape)))
}

fn buffer<A: Clone + Default>(settings: &Settings) -> ArrayD<A> {
    let shape = IxDyn(&settings.shape);
    match settings.order {
        Order::C => ArrayD::default(shape),
        Order::F => ArrayD::default(shape.f()),
    }
}

fn other<'a, A: Clone>(buffer: &'a ArrayD<A>, compare: Compare) -> Option<ndarray::CowArray<'a, A, IxDyn>> {
    let last = Axis(buffer.ndim() - 1);
    Some(match compare {
        Compare::Nothing => return None,
        Compare::Whole => buffer.view().into(),
        Compare::Copy => buffer.to_owned().into(),
        Compare::FirstHalf => buffer.slice_axis(Axis(0), Slice::from(..buffer.len_of(Axis(0)) / 2)).into(),
        Compare::EveryOther => buffer.slice_axis(last, Slice::from(..).step_by(2)).into(),
    })
}

fn answer<T>(result: Result<ndarray::CowArray<'_, T, impl ndarray::Dimension>, impl ToString>) -> Answer {
    match result {
        Ok(array) if array.is_view() => Answer::View,
        Ok(array) => Answer::Copy { bytes: ndlens::layout(&array).nbytes },
        Err(e) => Answer::Fails(e.to_string()),
    }
}

fn report<A: Clone + Default + 'static>(settings: &Settings) -> Result<Report, Refusal> {
    let buffer = buffer::<A>(settings);
    let sliced = view_of(&buffer, settings);
    let broadcast = stretched(&sliced, settings)?;
    let view = broadcast.unwrap_or_else(|| sliced.view());
    let layout = ndlens::layout(&view);
    let extent = match layout.is_empty() {
        true => "no bytes (an empty view)".to_string(),
        false => format!("bytes {}..{} from the first element", layout.extent.start, layout.extent.end),
    };
    let other = other(&buffer, settings.compare);
    let mut diagram = ndlens::Diagram::new().add("view", &view);
    let shares = other.as_ref().map(|other| {
        diagram = std::mem::take(&mut diagram).add("other", other);
        let answer = ndlens::explain_sharing("view", &view, "other", other);
        format!("{}: {}", if answer.shares { "True" } else { "False" }, answer.sentence())
    });
    Ok(Report {
        layout: layout.to_string(),
        extent,
        ravel: answer(Ok::<_, String>(ndlens::ravel(view.view()))),
        reshape: answer(ndlens::reshape(view.view(), &[-1])),
        shares,
        expression: expression(settings),
        svg: diagram.to_svg(),
    })
}

fn tuple(values: &[usize]) -> String {
    match values {
        [one] => format!("({one},)"),
        _ => format!("({})", values.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// Rust for a session cell that builds the same view as `a` and `view`
/// (and `other`, when comparing).
pub fn expression(settings: &Settings) -> String {
    let shape = match settings.shape.as_slice() {
        [one] => one.to_string(),
        many => tuple(many),
    };
    let shape = match (settings.order, settings.shape.len()) {
        (Order::F, 2..) => format!("{shape}.f()"),
        _ => shape,
    };
    let mut code = format!("let a = Array::<{}, _>::zeros({shape});\nlet view = a", settings.item.rust());
    let whole = settings.slices.iter().zip(&settings.shape).all(|(s, &len)| *s == AxisSlice::all(len));
    if !whole {
        let parts: Vec<String> = settings
            .slices
            .iter()
            .zip(&settings.shape)
            .map(|(s, &len)| {
                let range = match (s.start, s.stop == len) {
                    (0, true) => "..".to_string(),
                    (start, true) => format!("{start}.."),
                    (0, false) => format!("..{}", s.stop),
                    (start, false) => format!("{start}..{}", s.stop),
                };
                if s.step == 1 {
                    range
                } else {
                    format!("{range};{}", s.step)
                }
            })
            .collect();
        write!(code, ".slice(s![{}])", parts.join(", ")).unwrap();
    } else {
        code.push_str(".view()");
    }
    let identity: Vec<usize> = (0..settings.axes.len()).collect();
    if settings.axes != identity {
        let reversed: Vec<usize> = identity.iter().rev().copied().collect();
        if settings.axes == reversed {
            code.push_str(".reversed_axes()");
        } else {
            write!(code, ".permuted_axes({:?})", settings.axes).unwrap();
        }
    }
    if let Some(Broadcast { axis, to }) = settings.broadcast {
        // The shape after slicing and reordering, with the axis stretched.
        let mut shape: Vec<usize> = settings
            .axes
            .iter()
            .map(|&a| {
                let s = settings.slices[a];
                (s.stop - s.start).div_ceil(s.step.unsigned_abs())
            })
            .collect();
        shape[axis] = to;
        write!(code, ".broadcast({}).unwrap()", tuple(&shape)).unwrap();
    }
    code.push(';');
    let other = match settings.compare {
        Compare::Nothing => None,
        Compare::Whole => Some("a.view()".to_string()),
        Compare::Copy => Some("a.to_owned()".to_string()),
        Compare::FirstHalf => Some(format!("a.slice_axis(Axis(0), Slice::from(..{}))", settings.shape[0] / 2)),
        Compare::EveryOther => {
            Some(format!("a.slice_axis(Axis({}), Slice::from(..).step_by(2))", settings.shape.len() - 1))
        }
    };
    if let Some(other) = other {
        write!(code, "\nlet other = {other};").unwrap();
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{SliceInfo, SliceInfoElem};
    use proptest::prelude::*;

    /// The same view built another way: a buffer from a vector in the
    /// order asked, one `slice` call with all the axes, then the reordering
    /// and the broadcast.
    fn independent(settings: &Settings) -> Option<(String, bool, bool)> {
        let n: usize = settings.shape.iter().product();
        let shape = IxDyn(&settings.shape);
        let data = vec![0.0f64; n];
        let buffer = match settings.order {
            Order::C => ArrayD::from_shape_vec(shape, data).unwrap(),
            Order::F => ArrayD::from_shape_vec(shape.f(), data).unwrap(),
        };
        let elems: Vec<SliceInfoElem> = settings
            .slices
            .iter()
            .map(|s| SliceInfoElem::Slice { start: s.start as isize, end: Some(s.stop as isize), step: s.step })
            .collect();
        let info = SliceInfo::<_, IxDyn, IxDyn>::try_from(elems).unwrap();
        let sliced = buffer.slice(info.as_ref()).permuted_axes(settings.axes.clone());
        let stretched;
        let view = match settings.broadcast {
            None => sliced.view(),
            Some(b) => {
                if sliced.shape()[b.axis] != 1 {
                    return None;
                }
                let mut to = sliced.shape().to_vec();
                to[b.axis] = b.to;
                stretched = sliced.broadcast(to).unwrap();
                stretched.view()
            }
        };
        let ravel = ndlens::ravel(view.view()).is_view();
        let reshape = ndlens::reshape(view.view(), &[-1]).unwrap().is_view();
        Some((ndlens::layout(&view).to_string(), ravel, reshape))
    }

    fn settings() -> impl Strategy<Value = Settings> {
        (1usize..=3)
            .prop_flat_map(|ndim| {
                (
                    prop::collection::vec(1usize..=7, ndim),
                    prop::bool::ANY,
                    Just((0..ndim).collect::<Vec<_>>()).prop_shuffle(),
                    prop::option::of((0..ndim, 1usize..=5)),
                    prop::collection::vec((0usize..=7, 0usize..=7, prop_oneof![-3isize..=-1, 1isize..=3]), ndim),
                )
            })
            .prop_map(|(shape, fortran, axes, broadcast, cuts)| {
                let slices = shape
                    .iter()
                    .zip(cuts)
                    .map(|(&len, (a, b, step))| {
                        let (start, stop) = (a.min(len), b.min(len));
                        AxisSlice { start: start.min(stop), stop: start.max(stop), step }
                    })
                    .collect();
                let mut settings = Settings::new(Item::F64, shape);
                settings.order = if fortran { Order::F } else { Order::C };
                settings.slices = slices;
                settings.axes = axes;
                settings.broadcast = broadcast.map(|(axis, to)| Broadcast { axis, to });
                settings
            })
    }

    proptest! {
        #[test]
        fn the_explorer_agrees_with_the_lens_on_the_same_view_built_with_ndarray(settings in settings()) {
            let report = explore(&settings);
            match independent(&settings) {
                None => prop_assert!(report.is_err(), "a broadcast of a long axis must be refused"),
                Some((layout, ravel, reshape)) => {
                    let report = report.unwrap();
                    prop_assert_eq!(report.layout, layout);
                    prop_assert_eq!(report.ravel == Answer::View, ravel);
                    prop_assert_eq!(report.reshape == Answer::View, reshape);
                }
            }
        }
    }

    #[test]
    fn a_buffer_past_the_limit_is_refused_and_an_empty_slice_is_drawn() {
        let big = Settings::new(Item::U8, vec![128, 128, 128]);
        let Refusal(why) = explore(&big).unwrap_err();
        assert!(why.contains("more than 1000000 elements"), "{why}");

        let mut empty = Settings::new(Item::F64, vec![4, 6]);
        empty.slices[1] = AxisSlice { start: 3, stop: 3, step: 1 };
        let report = explore(&empty).unwrap();
        assert!(report.layout.starts_with("shape=(4, 0) strides=(48, 0) itemsize=8 nbytes=0"), "{}", report.layout);
        assert_eq!(report.extent, "no bytes (an empty view)");
    }

    #[test]
    fn the_expression_reads_like_a_session_cell() {
        let mut settings = Settings::new(Item::F32, vec![4, 6]);
        settings.order = Order::F;
        settings.slices[0] = AxisSlice { start: 0, stop: 4, step: 2 };
        settings.slices[1] = AxisSlice { start: 1, stop: 6, step: -1 };
        settings.axes = vec![1, 0];
        settings.compare = Compare::FirstHalf;
        assert_eq!(
            expression(&settings),
            "let a = Array::<f32, _>::zeros((4, 6).f());\n\
             let view = a.slice(s![..;2, 1..;-1]).reversed_axes();\n\
             let other = a.slice_axis(Axis(0), Slice::from(..2));"
        );
        let report = explore(&settings).unwrap();
        assert!(report.shares.unwrap().starts_with("True"));
    }
}
