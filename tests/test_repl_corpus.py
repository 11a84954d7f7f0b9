"""The REPL's semantics: one corpus of cell sequences, run through both
engines, each case after `:clear`. Where the two legitimately differ, the
case says so and why (`Differs`); everywhere else the rustc engine passes
exactly what the evcxr engine passes. Cases follow evcxr's own integration
tests (evcxr/tests/integration_tests.rs), read for the behaviour, and the
kernel's issues: bindings across cells, shadowing, `mut`, moves, items,
`?`, panics, type redefinition, closures, references, `:clear`."""

from dataclasses import dataclass

import pytest

from conftest import Session, engine_params


@dataclass
class Value:
    """The cell succeeds and shows this text."""
    text: str


@dataclass
class Ok:
    """The cell succeeds; `stdout` and `stderr` are in what it printed."""
    stdout: str = ""
    stderr: str = ""


@dataclass
class Error:
    """The cell fails with this error name, its value containing `contains`."""
    ename: str
    contains: str


@dataclass
class Differs:
    """What each engine does, and why they may differ."""
    rustc: object
    evcxr: object
    why: str


MISSING = "cannot find value"

CORPUS = {
    "bindings across cells": [
        ("let mut a = 34; let b = 8;", Ok()),
        ("a = a + b;", Ok()),
        ("a", Value("42")),
        ("b = 2;", Error("CompileError", "cannot assign")),
        ("b", Value("8")),
    ],
    "shadowing within and across cells": [
        ("let sh = 1; let sh = sh + 1;", Ok()),
        ("sh", Value("2")),
        ('let sh = "now a str";', Ok()),
        ("sh", Value('"now a str"')),
    ],
    "mut is kept with the variable": [
        ("let mut grow = vec![1];", Ok()),
        ("grow.push(2);", Ok()),
        ("grow", Value("[1, 2]")),
        ("let fixed = vec![1];", Ok()),
        ("fixed.push(2);", Error("CompileError", "cannot borrow `fixed` as mutable")),
        ("let mut fixed = fixed; fixed.push(2); fixed", Value("[1, 2]")),
    ],
    "moves": [
        ('let moved_out = String::from("a");', Ok()),
        ("let t = moved_out;", Ok()),
        ("moved_out", Error("CompileError", MISSING)),
        ("t", Value('"a"')),
        ("let u = vec![1]; let w = u; w.len()", Value("1")),
        ('let o = Some("foo".to_owned());', Ok()),
        ("o.unwrap()", Value('"foo"')),
        ("o", Error("CompileError", MISSING)),
        ("let v = vec![1]; let w2 = v; v.len()", Error("CompileError", "borrow of moved value: `v`")),
    ],
    "items persist": [
        ("pub fn bar() -> i32 { 42 }", Ok()),
        ("pub fn foo() -> i32 { bar() }\nfoo()", Value("42")),
        ("#[derive(Debug)] pub struct Point { pub x: i32, pub y: i32 }", Ok()),
        ("let p1 = Point { x: 3, y: 8 };", Ok()),
        ("p1", Value("Point { x: 3, y: 8 }")),
        ("let Point { x, y: y2 } = p1;", Ok()),
        ("(x, y2)", Value("(3, 8)")),
        ("impl Point { fn sum(&self) -> i32 { self.x + self.y } }", Ok()),
        ("Point { x: 1, y: 2 }.sum()", Value("3")),
        ("macro_rules! forty { ($a:expr) => { 40 + $a }; }", Ok()),
        ("forty!(2)", Value("42")),
        ("use std::collections::HashMap;", Ok()),
        ("use std::collections::HashMap;", Ok()),
        ("let mut hm: HashMap<u8, u8> = HashMap::new(); hm.insert(1, 2); hm.len()", Value("1")),
        ("mod r#async { pub struct Foo {} }\nlet reserved = r#async::Foo {};", Ok()),
        ("struct Sized3<const I: usize> { data: [u8; I] }\nlet three: Sized3<3> = Sized3::<3> { data: [41, 42, 43] };", Ok()),
        ("three.data[1]", Value("42")),
    ],
    "? at the top level": [
        ('let owned = "owned".to_string(); let mut copy_mut = 41;', Ok()),
        (
            'copy_mut += 1; let new_one = 3; "x".parse::<i32>()?; copy_mut += 10;',
            Differs(
                rustc=Error("Error", "ParseIntError"),
                evcxr=Ok(stderr="invalid digit found in string"),
                why="evcxr prints the error and calls the cell a success; the rustc engine makes it the cell's error",
            ),
        ),
        ("copy_mut", Value("42")),
        ("new_one", Error("CompileError", MISSING)),
        ('"12".parse::<i32>()?', Value("12")),
    ],
    "panics keep the variables": [
        ("let kept = vec![1, 2, 3]; let answer = 42;", Ok()),
        ('let doomed = 5; panic!("Intentional panic {}", answer);', Error("Panic", "Intentional panic 42")),
        ('format!("{:?}, {}", kept, answer)', Value('"[1, 2, 3], 42"')),
        ("doomed", Error("CompileError", MISSING)),
        ("let mut touched = vec![0];", Ok()),
        ('touched.push(1); panic!("after the push");', Error("Panic", "after the push")),
        ("touched", Value("[0, 1]")),
    ],
    "type redefinition drops the old values": [
        ("#[derive(Debug)] struct Foo { x: i32 }\nlet f1 = Foo { x: 1 }; let f2 = Foo { x: 2 };", Ok()),
        (
            "#[derive(Debug)] struct Foo { x: i32, y: i32 }\nlet f3 = Foo { x: 42, y: 0 };",
            Differs(
                rustc=Ok(stderr="`f1`, `f2` were dropped"),
                evcxr=Ok(stderr="The type of the variable f1 was redefined, so was lost."),
                why="each engine words it in its own way",
            ),
        ),
        ("f3.x", Value("42")),
        ("f1", Error("CompileError", MISSING)),
    ],
    "closures": [
        (
            "let f = || 42;",
            Differs(
                rustc=Ok(stderr="`f` is a closure, which cannot be kept"),
                evcxr=Error("EngineError", "cannot be persisted"),
                why="evcxr refuses the cell before it runs; the rustc engine runs it and does not keep `f`",
            ),
        ),
        ("let g: Box<dyn Fn() -> i32> = Box::new(|| 42);", Ok()),
        ("g()", Value("42")),
        ("{ let h = |x: i32| x * 2; h(21) }", Value("42")),
    ],
    "references are remembered as views": [
        ('let s1 = String::from("hello");', Ok()),
        ("let r = &s1;", Ok()),
        ("r.len()", Value("5")),
        ('let st: &str = "static";', Ok()),
        ("st", Value('"static"')),
    ],
    ":clear forgets everything": [
        ("let before_clear = 1; fn kept_fn() -> i32 { 1 }", Ok()),
        (":clear", Ok()),
        ("before_clear", Error("CompileError", MISSING)),
        ("kept_fn()", Error("CompileError", "cannot find function")),
        ("Array1::<f64>::zeros(2).sum()", Value("0.0")),
    ],
    ":vars lists what the user made": [
        ("let listed = 5u8;", Ok()),
        (":vars", Ok()),
    ],
    "statements and expressions": [
        ("for a in 1..5 {} for b in 1..5 {} 42", Value("42")),
        ("let _ = 1; let (first, ..) = (42, 43, 44);", Ok()),
        ("first", Value("42")),
        ('format!("{:2x}", 2)', Value('" 2"')),
        ('println!("Hello, world!");', Ok(stdout="Hello, world!\n")),
        ("let fives = [42; 5];", Ok()),
        ("fives[4]", Value("42")),
        ("let collected: Vec<_> = (1..10).collect();", Ok()),
        ("collected.len()", Value("9")),
        ("let pair = (42, 3.14);", Ok()),
        ("pair.1", Value("3.14")),
    ],
    "an unresolved use does not stick": [
        ("use foobar;", Error("CompileError", "unresolved import")),
        ('"f".to_string() + "oo"', Value('"foo"')),
    ],
    "shared ownership": [
        (
            "use std::cell::RefCell; use std::rc::Rc;\n"
            "let shared: Rc<RefCell<String>> = Rc::new(RefCell::new(String::new())); let shared2 = Rc::clone(&shared);",
            Ok(),
        ),
        ('shared.borrow_mut().push_str("f"); let suffix = "oo";', Ok()),
        ("shared.borrow_mut().push_str(suffix); shared2.borrow().clone()", Value('"foo"')),
    ],
    "an opaque type keeps its hidden type": [
        (
            "pub trait Bar {} impl Bar for i32 {} pub fn make() -> impl Bar { 42 }\nlet opaque = make();",
            Differs(
                rustc=Ok(stderr="`opaque` holds what `make` returns as `impl Trait`, which cannot be kept"),
                evcxr=Error("EngineError", "has type `impl Bar`"),
                why="the rustc engine runs the cell and then says why the variable is not kept, as for a "
                "closure; evcxr refuses the cell before it runs",
            ),
        ),
        ("opaque", Error("CompileError", MISSING)),
        ("let plain = 1 + 1;", Ok()),
        ("plain", Value("2")),
    ],
    "a last let without its semicolon binds": [
        ("let q = 5", Ok()),
        ("q", Value("5")),
        ("let r = q + 1 // one more", Ok()),
        ("r", Value("6")),
    ],
    "types through private paths are named": [
        ("let dynamic = Array2::<f64>::zeros((2, 3)).into_dyn();", Ok()),
        ("dynamic.ndim()", Value("2")),
        ("let range = 0..5;", Ok()),
        ("range.len()", Value("5")),
        ("let tree: std::collections::BTreeMap<u8, Vec<String>> = Default::default();", Ok()),
        ("tree.len()", Value("0")),
        ("let boxed: Option<Box<dyn std::fmt::Debug>> = None;", Ok()),
        ("boxed.is_none()", Value("true")),
    ],
}


def expectation(expected, kernel_name):
    if isinstance(expected, Differs):
        return expected.evcxr if kernel_name.endswith("evcxr") else expected.rustc
    return expected


def check(session, code, expected):
    reply, messages = session.run(code)
    content = reply["content"]
    results = [m["content"]["data"]["text/plain"] for m in messages if m["msg_type"] == "execute_result"]
    streams = {"stdout": "", "stderr": ""}
    for m in messages:
        if m["msg_type"] == "stream":
            streams[m["content"]["name"]] += m["content"]["text"]
    if isinstance(expected, Error):
        assert content["status"] == "error", (code, results, streams)
        assert content["ename"] == expected.ename, (code, content["ename"], content["evalue"])
        assert expected.contains in content["evalue"], (code, content["evalue"])
        return
    assert content["status"] == "ok", (code, content.get("ename"), content.get("evalue"))
    if isinstance(expected, Value):
        assert results == [expected.text], (code, results)
    else:
        assert expected.stdout in streams["stdout"], (code, streams)
        assert expected.stderr in streams["stderr"], (code, streams)


@pytest.fixture(scope="module", params=engine_params())
def engine_kernel(request):
    session = Session(kernel_name=request.param)
    yield session
    session.close()


@pytest.mark.parametrize("case", list(CORPUS))
def test_corpus(engine_kernel, case):
    engine_kernel.ok(":clear")
    for code, expected in CORPUS[case]:
        check(engine_kernel, code, expectation(expected, engine_kernel.manager.kernel_name))


def test_vars_shows_only_the_users_variables(engine_kernel):
    engine_kernel.ok(":clear")
    engine_kernel.ok("let listed_by_vars = 5u8;")
    text = engine_kernel.text(":vars")
    assert "listed_by_vars: u8" in text, text
    assert "__ndlens" not in text, text
