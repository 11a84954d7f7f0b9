//! Where a cell checks for interrupts.
//!
//! Stopping the session's process loses every variable, so an interrupt
//! first asks the running cell to stop itself: the engine signals the
//! session's process, whose handler sets a flag, and the cell's own loops
//! and closures check that flag at each iteration and panic with
//! `KeyboardInterrupt` ([`ndlens_runtime::interrupt`]). Either engine
//! catches the panic as any other, so the session's variables are kept.
//! [`points`] places the checks. Code that reaches no check in time (a long
//! call inside a library, a sleep) is stopped the old way when the grace
//! period is over: the engine ends the process and names what was lost.
//!
//! A check is a relaxed load of one flag; the kernel's own generated code
//! (`%timeit`'s loop above all) carries none, so timings are untouched.

use syn::visit::Visit;

use super::views::Edit;
use crate::syntax;

/// The message of the panic a check raises.
pub use ndlens_runtime::interrupt::PANIC_MESSAGE;

/// The statement placed at the head of each loop body and closure body.
/// Generated statements never start with `::`: evcxr reads a line that
/// starts with `:` as one of its commands.
const CHECK: &str = "ndlens_runtime::interrupt::check();";

/// The statement that starts a cell with checks: an interrupt that came
/// while no check was running (during the build, or in a cell without
/// loops) is not carried over into this one.
pub const RESET: &str = "ndlens_runtime::interrupt::reset(); ";

/// Where to place checks in `code`: at the head of every loop body and
/// every closure body (a closure whose body is an expression gets a block
/// around it), outside `const` contexts, which cannot call the check.
/// Empty when `code` does not parse; evcxr will report why.
pub fn points(code: &str) -> Vec<Edit> {
    let Ok(block) = syntax::statements(code) else { return Vec::new() };
    let mut finder = Points { edits: Vec::new() };
    finder.visit_block(&block);
    finder.edits
}

struct Points {
    edits: Vec<Edit>,
}

impl Points {
    fn after_brace(&mut self, block: &syn::Block) {
        let at = syntax::in_statements(block.brace_token.span.open().byte_range()).end;
        self.edits.push(Edit::insert(at, CHECK));
    }
}

impl<'ast> Visit<'ast> for Points {
    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.after_brace(&e.body);
        syn::visit::visit_expr_loop(self, e);
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.after_brace(&e.body);
        syn::visit::visit_expr_while(self, e);
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.after_brace(&e.body);
        syn::visit::visit_expr_for_loop(self, e);
    }

    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        match &*e.body {
            syn::Expr::Block(b) if b.label.is_none() => self.after_brace(&b.block),
            body => {
                let range = syntax::in_statements(syntax::byte_range(body));
                self.edits.push(Edit::insert(range.start, &format!("{{ {CHECK} ")));
                self.edits.push(Edit::insert(range.end, " }"));
            }
        }
        syn::visit::visit_expr_closure(self, e);
    }

    // A check cannot run in a const context.
    fn visit_item_const(&mut self, _: &'ast syn::ItemConst) {}
    fn visit_item_static(&mut self, _: &'ast syn::ItemStatic) {}
    fn visit_expr_const(&mut self, _: &'ast syn::ExprConst) {}

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if f.sig.constness.is_none() {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if f.sig.constness.is_none() {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::views::Rewritten;

    fn checked(code: &str) -> String {
        Rewritten::apply(code, points(code)).code
    }

    #[test]
    fn loops_and_closures_check_at_each_iteration() {
        assert_eq!(checked("loop { x += 1; }"), format!("loop {{{CHECK} x += 1; }}"));
        assert_eq!(checked("while a < 3 {}"), format!("while a < 3 {{{CHECK}}}"));
        assert_eq!(checked("for i in 0..n { f(i) }"), format!("for i in 0..n {{{CHECK} f(i) }}"));
        assert_eq!(
            checked("v.iter().map(|x| x * 2).sum::<i32>()"),
            format!("v.iter().map(|x| {{ {CHECK} x * 2 }}).sum::<i32>()")
        );
        assert_eq!(checked("let f = || { 1 };"), format!("let f = || {{{CHECK} 1 }};"));
    }

    #[test]
    fn lines_stay_where_they_were_and_const_contexts_are_left_alone() {
        let code = "let a = 1;\nfor i in 0..3 {\n    a += i;\n}\nconst N: usize = { let mut n = 0; while n < 3 { n += 1 } n };";
        let out = checked(code);
        assert_eq!(out.lines().count(), code.lines().count());
        assert_eq!(out.matches(CHECK).count(), 1, "{out}");
        assert!(points("const fn f() { loop {} }").is_empty());
        assert!(points("let = ;").is_empty());
    }
}
