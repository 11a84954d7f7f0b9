//! The standard controls, as models of `@jupyter-widgets/controls` 2.0.0
//! and `@jupyter-widgets/base` 2.0.0 (ipywidgets 8): the model and view
//! names, and the attributes the front end draws. Each control gets its own
//! layout and style models, opened before it, as ipywidgets does: a
//! reference (`IPY_MODEL_<id>`) must name a model the front end has.

use serde_json::{json, Value};

use super::{AppId, Outgoing, State, Widgets};

/// The front-end package of the controls, and its version.
pub const CONTROLS: (&str, &str) = ("@jupyter-widgets/controls", "2.0.0");
/// The front-end package of layouts and style views, and its version.
pub const BASE: (&str, &str) = ("@jupyter-widgets/base", "2.0.0");

/// The prefix that makes an attribute a reference to another model.
const REFERENCE: &str = "IPY_MODEL_";

fn model(name: &str, module: (&str, &str), view: &str, view_module: (&str, &str)) -> State {
    let value = json!({
        "_model_name": name,
        "_model_module": module.0,
        "_model_module_version": module.1,
        "_view_name": view,
        "_view_module": view_module.0,
        "_view_module_version": view_module.1,
        "_view_count": null,
    });
    value.as_object().expect("an object").clone()
}

/// Opens models for one app, collecting the messages that open them.
pub struct Builder<'a> {
    widgets: &'a mut Widgets,
    app: Option<AppId>,
    pub sent: Vec<Outgoing>,
}

impl<'a> Builder<'a> {
    pub fn new(widgets: &'a mut Widgets, app: Option<AppId>) -> Builder<'a> {
        Builder { widgets, app, sent: Vec::new() }
    }

    fn open(&mut self, state: State) -> String {
        let (comm_id, message) = self.widgets.open(state, self.app);
        self.sent.push(message);
        comm_id
    }

    /// A control: its layout and style first, then the control with
    /// `attributes` over the common ones.
    fn control(&mut self, name: &str, style: &str, description: &str, attributes: Value) -> String {
        let layout = self.open(model("LayoutModel", BASE, "LayoutView", BASE));
        let mut style_state = model(style, CONTROLS, "StyleView", BASE);
        style_state.insert("description_width".into(), "initial".into());
        let style = self.open(style_state);
        let mut state = model(&format!("{name}Model"), CONTROLS, &format!("{name}View"), CONTROLS);
        state.insert("layout".into(), format!("{REFERENCE}{layout}").into());
        state.insert("style".into(), format!("{REFERENCE}{style}").into());
        state.insert("description".into(), description.into());
        state.insert("description_allow_html".into(), false.into());
        state.insert("disabled".into(), false.into());
        state.insert("tooltip".into(), Value::Null);
        state.insert("tabbable".into(), Value::Null);
        state.insert("_dom_classes".into(), json!([]));
        state.extend(attributes.as_object().expect("attributes are an object").clone());
        self.open(state)
    }

    /// An integer slider over `min..=max`.
    pub fn int_slider(&mut self, description: &str, value: i64, min: i64, max: i64) -> String {
        let attributes = json!({
            "value": value, "min": min, "max": max, "step": 1,
            "orientation": "horizontal", "readout": true, "readout_format": "d",
            "continuous_update": true, "behavior": "drag-tap",
        });
        self.control("IntSlider", "SliderStyleModel", description, attributes)
    }

    /// A slider with two handles, for `[low, high]` within `min..=max`.
    pub fn int_range_slider(&mut self, description: &str, value: [i64; 2], min: i64, max: i64) -> String {
        let attributes = json!({
            "value": value, "min": min, "max": max, "step": 1,
            "orientation": "horizontal", "readout": true, "readout_format": "d",
            "continuous_update": true, "behavior": "drag-tap",
        });
        self.control("IntRangeSlider", "SliderStyleModel", description, attributes)
    }

    /// A drop-down list; `index` is the option chosen.
    pub fn dropdown(&mut self, description: &str, options: &[String], index: usize) -> String {
        let attributes = json!({ "_options_labels": options, "index": index });
        self.control("Dropdown", "DescriptionStyleModel", description, attributes)
    }

    /// A row of buttons, one of them pressed.
    pub fn toggle_buttons(&mut self, description: &str, options: &[String], index: usize) -> String {
        let attributes = json!({
            "_options_labels": options, "index": index,
            "button_style": "", "icons": [], "tooltips": [],
        });
        self.control("ToggleButtons", "ToggleButtonsStyleModel", description, attributes)
    }

    /// HTML the kernel rewrites: where the explorer draws.
    pub fn html(&mut self, value: &str) -> String {
        self.control("HTML", "HTMLStyleModel", "", json!({ "value": value, "placeholder": "" }))
    }

    /// Children side by side (`HBox`) or one above the other (`VBox`).
    pub fn boxed(&mut self, name: &str, children: &[String]) -> String {
        let layout = self.open(model("LayoutModel", BASE, "LayoutView", BASE));
        let mut state = model(&format!("{name}Model"), CONTROLS, &format!("{name}View"), CONTROLS);
        state.insert("layout".into(), format!("{REFERENCE}{layout}").into());
        let children: Vec<Value> = children.iter().map(|c| format!("{REFERENCE}{c}").into()).collect();
        state.insert("children".into(), children.into());
        state.insert("box_style".into(), "".into());
        state.insert("_dom_classes".into(), json!([]));
        state.insert("tabbable".into(), Value::Null);
        state.insert("tooltip".into(), Value::Null);
        self.open(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_opens_after_the_layout_and_style_it_names() {
        let mut widgets = Widgets::default();
        let mut builder = Builder::new(&mut widgets, None);
        let slider = builder.int_slider("step", 1, -4, 4);
        let sent = builder.sent;
        assert_eq!(sent.len(), 3);
        let Outgoing::Open { comm_id, state } = &sent[2] else { panic!("{sent:?}") };
        assert_eq!(comm_id, &slider);
        assert_eq!(state["_model_name"], "IntSliderModel");
        assert_eq!(state["_model_module"], "@jupyter-widgets/controls");
        assert_eq!(state["_model_module_version"], "2.0.0");
        let Outgoing::Open { comm_id: layout, state: layout_state } = &sent[0] else { panic!() };
        assert_eq!(state["layout"], format!("IPY_MODEL_{layout}"));
        assert_eq!(layout_state["_model_module"], "@jupyter-widgets/base");
        assert_eq!(
            (state["min"].clone(), state["max"].clone(), state["value"].clone()),
            (json!(-4), json!(4), json!(1))
        );
    }
}
