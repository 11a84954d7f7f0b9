//! The layout explorer behind `%explore`: controls for a buffer's element
//! type, shape and order, a slice per axis, the axis order, a broadcast and
//! a second array, and one output that every change redraws: the diagram,
//! the layout line, whether `ravel` and `reshape` to 1-D give a view or a
//! copy (and the bytes a copy allocates, which `%allocs` would count), the
//! `%shares` answer, and the Rust that builds the same view.
//!
//! It runs in the kernel process on widgets ([`crate::widgets`]): a redraw
//! compiles nothing ([`view`] computes it with the lens the kernel links).

pub mod view;

use serde_json::{json, Value};

use crate::widgets::controls::Builder;
use crate::widgets::{App, Context, Models, Outgoing, State, Widgets};
use view::{AxisSlice, Broadcast, Compare, Item, Order, Settings};

/// The longest axis the sliders offer (longer when an explored array's
/// axis is); three such axes pass the buffer limit, which the explorer then
/// states.
pub const MAX_LENGTH: i64 = 128;
/// The steps the step sliders offer, either way.
pub const MAX_STEP: i64 = 4;
/// The longest a broadcast axis can be stretched to.
pub const MAX_BROADCAST: i64 = 16;

/// How `%explore` asks for an explorer: where it starts, and from which
/// variable's layout, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub settings: Settings,
    pub origin: Option<String>,
}

/// The comm ids of one axis's controls.
#[derive(Clone, Debug)]
struct AxisControls {
    length: String,
    range: String,
    step: String,
}

/// One explorer: its controls and what it last drew.
pub struct Explorer {
    item: String,
    axes_count: String,
    order: String,
    axes: Vec<AxisControls>,
    permutation: String,
    broadcast_axis: String,
    broadcast_to: String,
    compare: String,
    output: String,
    origin: Option<String>,
}

/// The axis orders on offer for `n` axes, in the order the drop-down
/// lists them.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    match n {
        1 => vec![vec![0]],
        2 => vec![vec![0, 1], vec![1, 0]],
        _ => vec![vec![0, 1, 2], vec![0, 2, 1], vec![1, 0, 2], vec![1, 2, 0], vec![2, 0, 1], vec![2, 1, 0]],
    }
}

fn permutation_labels(n: usize) -> Vec<String> {
    permutations(n).iter().map(|p| format!("{p:?}")).collect()
}

fn broadcast_labels(n: usize) -> Vec<String> {
    std::iter::once("none".to_string()).chain((0..n).map(|axis| format!("axis {axis}"))).collect()
}

/// Opens an explorer for `request`; returns its messages (models first) and
/// the display bundle that shows it.
pub fn open(widgets: &mut Widgets, request: Request) -> (Vec<Outgoing>, serde_json::Map<String, Value>) {
    let Request { settings, origin } = request;
    // The app needs its comm ids and the models need the app's id: the
    // explorer is registered once its controls exist.
    let mut builder = Builder::new(widgets, None);
    let labels: Vec<String> = Item::ALL.iter().map(|i| i.label()).collect();
    let item_index = Item::ALL.iter().position(|&i| i == settings.item).unwrap_or(0);
    let item = builder.dropdown("element", &labels, item_index);
    let ndim = settings.shape.len();
    let axes_count = builder.toggle_buttons("axes", &["1".into(), "2".into(), "3".into()], ndim - 1);
    let order_index = usize::from(settings.order == Order::F);
    let order = builder.toggle_buttons("order", &["C".into(), "F".into()], order_index);
    let mut axes = Vec::new();
    let mut rows = Vec::new();
    for axis in 0..3 {
        let len = settings.shape.get(axis).copied().unwrap_or(1) as i64;
        let slice = settings.slices.get(axis).copied().unwrap_or(AxisSlice::all(len as usize));
        // An array explored from the session may be longer than the sliders go.
        let length = builder.int_slider(&format!("axis {axis} length"), len, 1, MAX_LENGTH.max(len));
        let range = builder.int_range_slider("range", [slice.start as i64, slice.stop as i64], 0, len);
        let step = builder.int_slider("step", slice.step as i64, -MAX_STEP, MAX_STEP);
        rows.push(builder.boxed("HBox", &[length.clone(), range.clone(), step.clone()]));
        axes.push(AxisControls { length, range, step });
    }
    let permutations_on_offer = permutations(ndim);
    let permutation_index = permutations_on_offer.iter().position(|p| *p == settings.axes).unwrap_or(0);
    let permutation = builder.dropdown("axis order", &permutation_labels(ndim), permutation_index);
    let broadcast_axis =
        builder.dropdown("broadcast", &broadcast_labels(ndim), settings.broadcast.map_or(0, |b| b.axis + 1));
    let broadcast_to = builder.int_slider("to length", settings.broadcast.map_or(4, |b| b.to as i64), 1, MAX_BROADCAST);
    let compare_labels: Vec<String> = Compare::ALL.iter().map(|c| c.label().to_string()).collect();
    let compare_index = Compare::ALL.iter().position(|&c| c == settings.compare).unwrap_or(0);
    let compare = builder.dropdown("compare with", &compare_labels, compare_index);
    let drawn = draw(&settings, origin.as_deref(), None);
    let output = builder.html(&drawn);
    let top = builder.boxed("HBox", &[item.clone(), axes_count.clone(), order.clone()]);
    let bottom =
        builder.boxed("HBox", &[permutation.clone(), broadcast_axis.clone(), broadcast_to.clone(), compare.clone()]);
    let mut children = vec![top];
    children.extend(rows);
    children.extend([bottom, output.clone()]);
    let root = builder.boxed("VBox", &children);
    let mut sent = builder.sent;

    let explorer =
        Explorer { item, axes_count, order, axes, permutation, broadcast_axis, broadcast_to, compare, output, origin };
    let controls = explorer.controls();
    let app = widgets.add_app(Box::new(explorer));
    widgets.attach(&controls, app);
    // The unused axes' rows start disabled.
    for axis in ndim..3 {
        sent.extend(controls_of_axis(&controls, axis).iter().filter_map(|c| widgets.set(c, disabled(true))));
    }

    let mut bundle = serde_json::Map::new();
    bundle.insert(
        "application/vnd.jupyter.widget-view+json".into(),
        json!({ "model_id": root, "version_major": 2, "version_minor": 1 }),
    );
    // Where widgets are not live (a saved notebook on the web), the first
    // drawing stands in.
    bundle.insert("text/html".into(), drawn.into());
    bundle.insert(
        "text/plain".into(),
        format!("layout explorer ({})", view::expression(&settings).lines().next().unwrap_or("")).into(),
    );
    (sent, bundle)
}

/// The comm ids of an axis's three controls, within [`Explorer::controls`].
fn controls_of_axis(controls: &[String], axis: usize) -> Vec<String> {
    controls[3 + 3 * axis..6 + 3 * axis].to_vec()
}

/// A control's state update that greys it out, or back in.
fn disabled(disabled: bool) -> State {
    let mut state = State::new();
    state.insert("disabled".into(), disabled.into());
    state
}

impl Explorer {
    /// Every control the user can change, in a fixed order.
    fn controls(&self) -> Vec<String> {
        let mut all = vec![self.item.clone(), self.axes_count.clone(), self.order.clone()];
        for axis in &self.axes {
            all.extend([axis.length.clone(), axis.range.clone(), axis.step.clone()]);
        }
        all.extend([
            self.permutation.clone(),
            self.broadcast_axis.clone(),
            self.broadcast_to.clone(),
            self.compare.clone(),
        ]);
        all
    }

    /// The settings the controls show now, or what is wrong with them.
    fn settings(&self, models: &Models) -> Result<Settings, String> {
        let int = |comm: &str, name: &str| -> Result<i64, String> {
            models.get(comm, name).and_then(Value::as_i64).ok_or_else(|| format!("a control lost its `{name}`"))
        };
        let within = |what: &str, value: i64, low: i64, high: i64| -> Result<i64, String> {
            match (low..=high).contains(&value) {
                true => Ok(value),
                false => Err(format!("{what} is {value}, outside {low}..={high}")),
            }
        };
        let item_index = int(&self.item, "index")?;
        let item = *Item::ALL.get(item_index as usize).ok_or(format!("no element type number {item_index}"))?;
        let ndim = within("the number of axes", int(&self.axes_count, "index")? + 1, 1, 3)? as usize;
        let order = match within("the order", int(&self.order, "index")?, 0, 1)? {
            0 => Order::C,
            _ => Order::F,
        };
        let mut shape = Vec::new();
        let mut slices = Vec::new();
        for (axis, controls) in self.axes.iter().take(ndim).enumerate() {
            let longest = int(&controls.length, "max")?;
            let len = within(&format!("axis {axis}'s length"), int(&controls.length, "value")?, 1, longest)?;
            let range = models
                .get(&controls.range, "value")
                .and_then(Value::as_array)
                .and_then(|r| Some((r.first()?.as_i64()?, r.get(1)?.as_i64()?)))
                .ok_or(format!("axis {axis}'s range is not two integers"))?;
            let start = within(&format!("axis {axis}'s range start"), range.0, 0, len)?;
            let stop = within(&format!("axis {axis}'s range end"), range.1, start, len)?;
            let step = within(&format!("axis {axis}'s step"), int(&controls.step, "value")?, -MAX_STEP, MAX_STEP)?;
            shape.push(len as usize);
            slices.push(AxisSlice { start: start as usize, stop: stop as usize, step: step as isize });
        }
        let permutation_index = int(&self.permutation, "index")? as usize;
        let axes = permutations(ndim)
            .get(permutation_index)
            .cloned()
            .ok_or(format!("no axis order number {permutation_index}"))?;
        let broadcast = match within("the broadcast axis", int(&self.broadcast_axis, "index")?, 0, ndim as i64)? {
            0 => None,
            axis => Some(Broadcast {
                axis: axis as usize - 1,
                to: within("the broadcast length", int(&self.broadcast_to, "value")?, 1, MAX_BROADCAST)? as usize,
            }),
        };
        let compare_index = int(&self.compare, "index")? as usize;
        let compare = *Compare::ALL.get(compare_index).ok_or(format!("no comparison number {compare_index}"))?;
        Ok(Settings { item, shape, order, slices, axes, broadcast, compare })
    }

    /// Keeps dependent controls consistent with a change: a range within its
    /// axis's length, the axis-order and broadcast lists for the number of
    /// axes, unused axes disabled.
    fn follow(&self, comm_id: &str, models: &Models) -> Vec<(String, State)> {
        let mut updates = Vec::new();
        for axis in &self.axes {
            if comm_id == axis.length {
                if let Some(len) = models.get(&axis.length, "value").and_then(Value::as_i64) {
                    let longest = models.get(&axis.length, "max").and_then(Value::as_i64).unwrap_or(MAX_LENGTH);
                    let len = len.clamp(1, longest);
                    let range = models.get(&axis.range, "value").and_then(Value::as_array).cloned().unwrap_or_default();
                    let low = range.first().and_then(Value::as_i64).unwrap_or(0).clamp(0, len);
                    let high = range.get(1).and_then(Value::as_i64).unwrap_or(len);
                    // A range that covered the axis keeps covering it.
                    let old_max = models.get(&axis.range, "max").and_then(Value::as_i64).unwrap_or(len);
                    let high = if high == old_max { len } else { high.clamp(low, len) };
                    let state = json!({ "max": len, "value": [low, high] });
                    updates.push((axis.range.clone(), state.as_object().expect("object").clone()));
                }
            }
        }
        if comm_id == self.axes_count {
            if let Some(index) = models.get(&self.axes_count, "index").and_then(Value::as_i64) {
                let ndim = (index + 1).clamp(1, 3) as usize;
                let lists =
                    [(&self.permutation, permutation_labels(ndim)), (&self.broadcast_axis, broadcast_labels(ndim))];
                for (comm, labels) in lists {
                    let state = json!({ "_options_labels": labels, "index": 0 });
                    updates.push((comm.clone(), state.as_object().expect("object").clone()));
                }
                for (axis, controls) in self.axes.iter().enumerate() {
                    for comm in [&controls.length, &controls.range, &controls.step] {
                        updates.push((comm.clone(), disabled(axis >= ndim)));
                    }
                }
            }
        }
        updates
    }
}

impl App for Explorer {
    fn changed(&mut self, comm_id: &str, _changed: &State, models: &Models, context: &Context) -> Vec<Outgoing> {
        let follow = self.follow(comm_id, models);
        // Dependent controls first, so the settings read their new values.
        let current = models.with(&follow);
        let drawn = match self.settings(&current) {
            Ok(settings) => {
                let gone = self.origin.as_ref().filter(|name| {
                    context.variables.as_ref().is_some_and(|variables| !variables.iter().any(|v| v == *name))
                });
                draw(&settings, self.origin.as_deref(), gone.map(String::as_str))
            }
            Err(problem) => {
                eprintln!("ndlens: the explorer ignored a change: {problem}");
                refusal(&format!("This change was not applied: {problem}."))
            }
        };
        let mut out: Vec<Outgoing> =
            follow.into_iter().map(|(comm_id, state)| Outgoing::Update { comm_id, state }).collect();
        let mut state = State::new();
        state.insert("value".into(), drawn.into());
        out.push(Outgoing::Update { comm_id: self.output.clone(), state });
        out
    }
}

fn refusal(message: &str) -> String {
    format!("<div class=\"ndlens-explorer\"><p style=\"color:#b00020\">{}</p></div>", html_escape::encode_text(message))
}

fn answer(answer: &view::Answer) -> String {
    match answer {
        view::Answer::View => "a view (no copy)".into(),
        view::Answer::Copy { bytes } => format!("<b>a copy</b>: one allocation of {bytes} B"),
        view::Answer::Fails(e) => format!("fails: {}", html_escape::encode_text(e)),
    }
}

/// The explorer's output for `settings`: the diagram and what the lens says.
pub fn draw(settings: &Settings, origin: Option<&str>, gone: Option<&str>) -> String {
    let report = match view::explore(settings) {
        Ok(report) => report,
        Err(view::Refusal(why)) => return refusal(&why),
    };
    let mut html = String::from("<div class=\"ndlens-explorer\">");
    if let Some(name) = gone {
        html += &format!(
            "<p style=\"color:#b00020\">`{}` is no longer in the session: the explorer goes on with its own buffer of the layout it had.</p>",
            html_escape::encode_text(name)
        );
    } else if let Some(name) = origin {
        html += &format!("<p>Started from the layout of <code>{}</code>.</p>", html_escape::encode_text(name));
    }
    html += &format!("<div>{}</div>", report.svg);
    html += &format!(
        "<pre class=\"ndlens-layout-line\">{}\n{}</pre>",
        html_escape::encode_text(&report.layout),
        html_escape::encode_text(&report.extent)
    );
    html += "<table>";
    html += &format!(
        "<tr><th style=\"text-align:left\"><code>ravel(&amp;view)</code></th><td class=\"ndlens-ravel\">{}</td></tr>",
        answer(&report.ravel)
    );
    html += &format!(
        "<tr><th style=\"text-align:left\"><code>reshape(&amp;view, &amp;[-1])</code></th><td class=\"ndlens-reshape\">{}</td></tr>",
        answer(&report.reshape)
    );
    if let Some(shares) = &report.shares {
        html += &format!(
            "<tr><th style=\"text-align:left\"><code>%shares view, other</code></th><td class=\"ndlens-shares\">{}</td></tr>",
            html_escape::encode_text(shares)
        );
    }
    html += "</table>";
    html += &format!(
        "<pre class=\"ndlens-expression\"><code>{}</code></pre>",
        html_escape::encode_text(&report.expression)
    );
    html += "</div>";
    html
}
