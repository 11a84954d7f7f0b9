//! The session's variables as the kernel sees them: values evcxr keeps, and
//! views the kernel remembers as expressions (see [`views`](super::views)).

/// One variable of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Variable {
    /// A value evcxr keeps between cells, with its type as evcxr spells it.
    Value { name: String, ty: String },
    /// A view remembered as the expression that derives it from its owner.
    View { name: String, expression: String },
}

impl Variable {
    pub fn name(&self) -> &str {
        match self {
            Variable::Value { name, .. } | Variable::View { name, .. } => name,
        }
    }

    /// Whether it is an array: of an ndarray type (owned, a view, a
    /// `CowArray`, or nested in another type), or a remembered view.
    pub fn is_array(&self) -> bool {
        match self {
            Variable::Value { ty, .. } => ty.contains("ArrayBase<"),
            Variable::View { .. } => true,
        }
    }
}
