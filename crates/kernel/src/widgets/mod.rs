//! Jupyter widgets, kept in the kernel process: the comms of target
//! `jupyter.widget` and the widget message protocol (version 2.1, as
//! JupyterLab's widget manager from `jupyterlab_widgets` speaks it).
//!
//! Each widget is a model: a map of attributes the front end draws, synced
//! through its comm. The kernel opens models (`comm_open` with the whole
//! state), the front end sends a user's changes (`update`), and the kernel
//! answers with its own updates. The models live here, in the kernel
//! process, not in the session's process that runs cells: a session lost
//! to a panic or an interrupt leaves every widget working. What a widget
//! does with a change is an [`App`]'s business (the layout explorer is one).
//!
//! See ipywidgets' `jupyter-widgets-schema/messages.md` for the protocol.

pub mod controls;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The comm target of widget models.
pub const TARGET: &str = "jupyter.widget";
/// The protocol version sent with every `comm_open`, as ipywidgets 8 does.
pub const PROTOCOL_VERSION: &str = "2.1.0";

/// A model's attributes.
pub type State = Map<String, Value>;

/// What the kernel sends a front end, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// `comm_open` of a new model with its whole state.
    Open { comm_id: String, state: State },
    /// `comm_msg` with `method: update`: the kernel changed these attributes.
    Update { comm_id: String, state: State },
    /// `comm_msg` with `method: echo_update`: a client's change, as applied,
    /// for every client to agree on (protocol 2.1).
    Echo { comm_id: String, state: State },
}

impl Outgoing {
    /// The comm and the `comm_msg`/`comm_open` data.
    pub fn data(&self) -> (&str, State) {
        let with = |method: &str, state: &State| {
            let mut data = State::new();
            if !method.is_empty() {
                data.insert("method".into(), method.into());
            }
            data.insert("state".into(), Value::Object(state.clone()));
            data.insert("buffer_paths".into(), Value::Array(Vec::new()));
            data
        };
        match self {
            Outgoing::Open { comm_id, state } => (comm_id, with("", state)),
            Outgoing::Update { comm_id, state } => (comm_id, with("update", state)),
            Outgoing::Echo { comm_id, state } => (comm_id, with("echo_update", state)),
        }
    }
}

/// Something built of widgets that answers a user's changes.
pub trait App: Send {
    /// `changed` holds the attributes the user set on `comm_id` (already
    /// type-checked and stored); `context` what the kernel knows besides.
    /// Returns the updates of its models that follow.
    fn changed(&mut self, comm_id: &str, changed: &State, models: &Models, context: &Context) -> Vec<Outgoing>;
}

/// What an app may want to know of the session when it answers.
#[derive(Debug, Default)]
pub struct Context {
    /// The session's variables now, or `None` when the session is down.
    pub variables: Option<Vec<String>>,
}

/// An app's handle in [`Widgets`].
pub type AppId = usize;

#[derive(Clone)]
struct Model {
    state: State,
    app: Option<AppId>,
}

/// Every model this kernel has opened, and the apps they belong to.
#[derive(Default)]
pub struct Widgets {
    models: Models,
    apps: BTreeMap<AppId, Box<dyn App>>,
    next_id: u64,
}

/// The models' states, by comm id.
#[derive(Default)]
pub struct Models(BTreeMap<String, Model>);

impl Models {
    /// A copy of these models with `updates` applied: the state an app
    /// reads before its own updates are sent.
    pub fn with(&self, updates: &[(String, State)]) -> Models {
        let mut models = Models(self.0.clone());
        for (comm_id, state) in updates {
            if let Some(model) = models.0.get_mut(comm_id) {
                model.state.extend(state.clone());
            }
        }
        models
    }

    /// The attribute `name` of model `comm_id`.
    pub fn get(&self, comm_id: &str, name: &str) -> Option<&Value> {
        self.0.get(comm_id)?.state.get(name)
    }
}

/// Why a client's message was not applied; logged, and shown by the app
/// where it has somewhere to show it.
#[derive(Debug, PartialEq)]
pub enum Refused {
    UnknownComm(String),
    NotAnUpdate(String),
    WrongType { attribute: String, expected: &'static str, got: Value },
    UnknownAttribute(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::UnknownComm(id) => write!(f, "no widget has the comm id {id:?}"),
            Refused::NotAnUpdate(why) => write!(f, "not a widget message: {why}"),
            Refused::WrongType { attribute, expected, got } => {
                write!(f, "`{attribute}` must be {expected}, not {got}")
            }
            Refused::UnknownAttribute(name) => write!(f, "the widget has no attribute `{name}`"),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Widgets {
    fn new_comm_id(&mut self) -> String {
        self.next_id += 1;
        // Unique across kernels too: front ends keep models by comm id.
        format!("ndlens-{}-{}", std::process::id(), self.next_id)
    }

    /// Opens a model with `state`; returns its comm id and the message.
    pub fn open(&mut self, state: State, app: Option<AppId>) -> (String, Outgoing) {
        let comm_id = self.new_comm_id();
        self.models.0.insert(comm_id.clone(), Model { state: state.clone(), app });
        (comm_id.clone(), Outgoing::Open { comm_id, state })
    }

    /// Registers `app`; its models name it when opened.
    pub fn add_app(&mut self, app: Box<dyn App>) -> AppId {
        let id = self.apps.len();
        self.apps.insert(id, app);
        id
    }

    /// Hands the models `comm_ids` to `app`, which is told of their changes.
    pub fn attach(&mut self, comm_ids: &[String], app: AppId) {
        for comm_id in comm_ids {
            if let Some(model) = self.models.0.get_mut(comm_id) {
                model.app = Some(app);
            }
        }
    }

    /// Sets attributes the kernel changed; returns the update to send.
    pub fn set(&mut self, comm_id: &str, state: State) -> Option<Outgoing> {
        let model = self.models.0.get_mut(comm_id)?;
        model.state.extend(state.clone());
        Some(Outgoing::Update { comm_id: comm_id.to_string(), state })
    }

    /// The comm ids of every open model.
    pub fn comm_ids(&self) -> impl Iterator<Item = &str> {
        self.models.0.keys().map(String::as_str)
    }

    /// A client's `comm_msg` on one of our comms: applies an `update`,
    /// answers `request_state`. Returns what to send back.
    pub fn message(&mut self, comm_id: &str, data: &State, context: &Context) -> Result<Vec<Outgoing>, Refused> {
        let model = self.models.0.get(comm_id).ok_or_else(|| Refused::UnknownComm(comm_id.to_string()))?;
        let method = data.get("method").and_then(Value::as_str);
        match method {
            Some("request_state") => {
                return Ok(vec![Outgoing::Update { comm_id: comm_id.to_string(), state: model.state.clone() }]);
            }
            Some("update") => {}
            // A front end's custom message: no model of ours takes one.
            Some("custom") => return Ok(Vec::new()),
            other => return Err(Refused::NotAnUpdate(format!("unknown method {other:?}"))),
        }
        let changed = data
            .get("state")
            .and_then(Value::as_object)
            .ok_or_else(|| Refused::NotAnUpdate("an update without a state object".into()))?;
        for (name, value) in changed {
            let current = model.state.get(name).ok_or_else(|| Refused::UnknownAttribute(name.clone()))?;
            // Same JSON kind as the attribute holds; null only where null is.
            if kind(current) != kind(value) && !current.is_null() {
                return Err(Refused::WrongType {
                    attribute: name.clone(),
                    expected: kind(current),
                    got: value.clone(),
                });
            }
        }
        let app = model.app;
        let model = self.models.0.get_mut(comm_id).expect("found above");
        model.state.extend(changed.clone());
        let mut out = vec![Outgoing::Echo { comm_id: comm_id.to_string(), state: changed.clone() }];
        if let Some(app) = app.and_then(|id| self.apps.get_mut(&id)) {
            let answers = app.changed(comm_id, changed, &self.models, context);
            for answer in &answers {
                if let Outgoing::Update { comm_id, state } = answer {
                    if let Some(model) = self.models.0.get_mut(comm_id) {
                        model.state.extend(state.clone());
                    }
                }
            }
            out.extend(answers);
        }
        Ok(out)
    }

    /// A client closed a comm: the model is forgotten.
    pub fn close(&mut self, comm_id: &str) -> bool {
        self.models.0.remove(comm_id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(value: Value) -> State {
        value.as_object().unwrap().clone()
    }

    struct Doubler {
        output: String,
    }

    impl App for Doubler {
        fn changed(&mut self, _: &str, changed: &State, _: &Models, _: &Context) -> Vec<Outgoing> {
            let value = changed["value"].as_i64().unwrap();
            vec![Outgoing::Update { comm_id: self.output.clone(), state: state(json!({"value": value * 2})) }]
        }
    }

    #[test]
    fn an_update_is_checked_stored_echoed_and_answered_by_its_app() {
        let mut widgets = Widgets::default();
        let (output, _) = widgets.open(state(json!({"value": 0})), None);
        let app = widgets.add_app(Box::new(Doubler { output: output.clone() }));
        let (slider, open) = widgets.open(state(json!({"value": 1, "description": "n"})), Some(app));
        assert!(matches!(open, Outgoing::Open { .. }));

        let update = state(json!({"method": "update", "state": {"value": 4}, "buffer_paths": []}));
        let sent = widgets.message(&slider, &update, &Context::default()).unwrap();
        assert_eq!(sent[0], Outgoing::Echo { comm_id: slider.clone(), state: state(json!({"value": 4})) });
        assert_eq!(sent[1], Outgoing::Update { comm_id: output.clone(), state: state(json!({"value": 8})) });
        assert_eq!(widgets.models.get(&output, "value"), Some(&json!(8)));

        let asked = widgets.message(&slider, &state(json!({"method": "request_state"})), &Context::default()).unwrap();
        assert_eq!(
            asked,
            vec![Outgoing::Update { comm_id: slider, state: state(json!({"value": 4, "description": "n"})) }]
        );
    }

    #[test]
    fn bad_messages_are_refused_and_change_nothing() {
        let mut widgets = Widgets::default();
        let (slider, _) = widgets.open(state(json!({"value": 1})), None);
        let context = Context::default();
        let update = |s: Value| state(json!({"method": "update", "state": s}));
        assert_eq!(
            widgets.message(&slider, &update(json!({"value": "three"})), &context),
            Err(Refused::WrongType { attribute: "value".into(), expected: "an integer", got: json!("three") })
        );
        assert_eq!(
            widgets.message(&slider, &update(json!({"colour": 1})), &context),
            Err(Refused::UnknownAttribute("colour".into()))
        );
        assert_eq!(
            widgets.message("nobody", &update(json!({"value": 2})), &context),
            Err(Refused::UnknownComm("nobody".into()))
        );
        assert!(widgets.message(&slider, &state(json!({"method": "explode"})), &context).is_err());
        assert!(widgets.message(&slider, &state(json!({"method": "update", "state": 3})), &context).is_err());
        assert_eq!(widgets.models.get(&slider, "value"), Some(&json!(1)));
    }
}
