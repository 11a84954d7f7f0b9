//! `%explore [EXPR]`: a live layout explorer (see [`crate::explorer`]). With
//! an expression, it starts from that array's shape, axis order and item
//! size, read once through a compiled cell; the explorer then works on a
//! buffer of its own in the kernel process.

use crate::directive::args::{self, Expression};
use crate::directive::{Context, Directive, Invocation, Usage, UsageError, ARGUMENTS};
use crate::engine::output::Event;
use crate::explorer::view::{AxisSlice, Item, Order, Settings};
use crate::explorer::Request;
use crate::outcome::{CellOutcome, ErrorReport};

pub struct Explore;

static USAGE: Usage = Usage {
    name: "%explore",
    synopsis: "%explore [EXPR]",
    help: "a live layout explorer: shape, order, slices, axis order, broadcasting (from EXPR's layout if given)",
};

/// Where an explorer with no expression starts: the recipe's first 2-D array.
const DEFAULT_SHAPE: [usize; 2] = [4, 6];

impl Directive for Explore {
    fn usages(&self) -> &'static [Usage] {
        std::slice::from_ref(&USAGE)
    }

    fn parse(&self, usage: &'static Usage, args: &str, _body: &str) -> Result<Box<dyn Invocation>, UsageError> {
        match args::expressions(usage, args)?.as_slice() {
            [] => Ok(Box::new(ExploreOf { array: None })),
            [array] => Ok(Box::new(ExploreOf { array: Some(array.clone()) })),
            more => Err(usage.error(format!("takes at most one expression, got {}", more.len()))),
        }
    }
}

#[derive(Debug)]
struct ExploreOf {
    array: Option<Expression>,
}

/// What a compiled cell reads of the array: shape, strides (in elements)
/// and item size.
#[derive(Debug, PartialEq)]
struct Observed {
    shape: Vec<usize>,
    strides: Vec<isize>,
    itemsize: usize,
}

impl ExploreOf {
    fn code(array: &Expression) -> String {
        format!(
            "{{ fn __ndlens_item<S: ndarray::RawData, D>(_: &ndarray::ArrayBase<S, D>) -> usize {{ ::std::mem::size_of::<S::Elem>() }}\n\
             let __ndlens_a = &({});\n\
             format!(\"{{:?}}|{{:?}}|{{}}\", __ndlens_a.shape(), __ndlens_a.strides(), __ndlens_item(__ndlens_a)) }}",
            array.source
        )
    }
}

fn parse_list<T: std::str::FromStr>(text: &str) -> Option<Vec<T>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(|n| n.trim().parse().ok()).collect()
}

fn parse_observed(shown: &str) -> Option<Observed> {
    let text = shown.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut parts = text.split('|');
    let shape = parse_list(parts.next()?)?;
    let strides = parse_list(parts.next()?)?;
    let itemsize = parts.next()?.parse().ok()?;
    Some(Observed { shape, strides, itemsize })
}

/// The explorer's settings for an array of this layout: a buffer of the
/// same shape, in C order with the axes reordered as the strides order
/// them, or in F order when they rise.
fn settings_for(observed: &Observed) -> Result<Settings, String> {
    let ndim = observed.shape.len();
    if !(1..=3).contains(&ndim) {
        return Err(format!("the explorer takes arrays of 1 to 3 axes; this one has {ndim}"));
    }
    let item = Item::of_size(observed.itemsize).unwrap_or(Item::F64);
    let mut by_stride: Vec<usize> = (0..ndim).collect();
    by_stride.sort_by_key(|&axis| std::cmp::Reverse(observed.strides[axis].unsigned_abs()));
    let reversed: Vec<usize> = (0..ndim).rev().collect();
    let mut settings;
    if ndim >= 2 && by_stride == reversed {
        settings = Settings::new(item, observed.shape.clone());
        settings.order = Order::F;
    } else {
        let shape: Vec<usize> = by_stride.iter().map(|&axis| observed.shape[axis]).collect();
        settings = Settings::new(item, shape);
        // View axis i is buffer axis P[i], where by_stride[P[i]] == i.
        settings.axes = (0..ndim).map(|i| by_stride.iter().position(|&a| a == i).expect("a permutation")).collect();
    }
    settings.slices = settings.shape.iter().map(|&len| AxisSlice::all(len)).collect();
    Ok(settings)
}

impl Invocation for ExploreOf {
    fn run(&self, Context { session, show, .. }: Context<'_>) -> CellOutcome {
        let request = match &self.array {
            None => Request { settings: Settings::new(Item::F64, DEFAULT_SHAPE.to_vec()), origin: None },
            Some(array) => {
                let outcome = USAGE.run(session, ARGUMENTS, &Self::code(array));
                if outcome.error.is_some() {
                    return outcome;
                }
                let shown = outcome.result.as_ref().and_then(|r| r.get("text/plain")).cloned().unwrap_or_default();
                let Some(observed) = parse_observed(&shown) else {
                    let report = ErrorReport::new(
                        "ExploreError",
                        format!("%explore could not read the layout of `{}`: {shown}", array.source),
                        Vec::new(),
                    );
                    return CellOutcome::error(report);
                };
                match settings_for(&observed) {
                    Ok(settings) => Request { settings, origin: Some(array.source.clone()) },
                    Err(problem) => return CellOutcome::error(USAGE.error(problem).report()),
                }
            }
        };
        show.send(Event::Explore(request));
        CellOutcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_is_read_from_the_cells_answer() {
        let observed = parse_observed("\"[6, 4]|[1, 6]|8\"").unwrap();
        assert_eq!(observed, Observed { shape: vec![6, 4], strides: vec![1, 6], itemsize: 8 });
        assert_eq!(parse_observed("\"[]|[]|8\"").unwrap().shape, Vec::<usize>::new());
        assert!(parse_observed("42").is_none());
    }

    #[test]
    fn a_transposed_array_starts_as_a_reordered_c_buffer_and_a_rising_one_as_f() {
        let transposed = settings_for(&Observed { shape: vec![6, 4], strides: vec![1, 6], itemsize: 8 }).unwrap();
        // On two axes the strides rise: an F-ordered buffer of the same shape.
        assert_eq!(
            (transposed.order, transposed.shape.clone(), transposed.axes.clone()),
            (Order::F, vec![6, 4], vec![0, 1])
        );
        let three = settings_for(&Observed { shape: vec![3, 2, 4], strides: vec![4, 12, 1], itemsize: 4 }).unwrap();
        assert_eq!((three.item, three.order, three.shape.clone()), (Item::F32, Order::C, vec![2, 3, 4]));
        assert_eq!(three.axes, vec![1, 0, 2]);
        assert!(settings_for(&Observed { shape: vec![1, 1, 1, 1], strides: vec![1, 1, 1, 1], itemsize: 8 }).is_err());
    }
}
