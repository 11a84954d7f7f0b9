"""The Jupyter project's kernel test suite (`jupyter_kernel_test`), which
validates every message against the protocol's schemas, with Rust samples:
every test of it, with none skipped, on both engines.
"""

import jupyter_kernel_test
import pytest

from conftest import CELL_TIMEOUT, ENGINES, KERNEL_NAME, TESTED_ENGINES


class NdlensKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "rust"
    file_extension = ".rs"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The session starts in the background, and evcxr's first cell can
        # take longer than the suite's 15 s a request on a busy machine: the
        # suite checks messages, so the session is running before it starts.
        cls.kc.execute_interactive("1", timeout=CELL_TIMEOUT, output_hook=lambda message: None)

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("to stderr");'
    code_generate_error = 'panic!("an error for the suite");'

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": "layout(&Array2::<f64>::zeros((2, 3)))", "mime": "text/html"},
        {"code": "diagram!(Array1::<u8>::zeros(3))", "mime": "image/svg+xml"},
    ]
    # A cell's earlier values (before its last piece) are display_data.
    code_display_data = [
        {"code": "let shown = Array1::<f64>::zeros(3);\n%layout shown\nshown.len()", "mime": "image/svg+xml"},
        {"code": "%shares shown, shown.slice(s![1..])\n1", "mime": "text/html"},
    ]

    completion_samples = [
        {"text": "%lsm", "matches": {"%lsmagic"}},
        {"text": "%timeit -", "matches": {"-n", "-r", "-q", "-o"}},
        {"text": "%%ti", "matches": {"%%timeit", "%%time"}},
    ]
    complete_code_samples = ["let a = 1;", "%lsmagic", "fn f() -> u8 { 1 }", "%%timeit\nlet x = 1;"]
    incomplete_code_samples = ["fn f() {", 'let s = "open', "let v = vec![1,"]
    invalid_code_samples = ["let x = );", "}"]

    code_inspect_sample = "Vec::<u8>::new"
    # IPython's `?NAME` help, shown in the pager.
    code_page_something = "?Vec::<u8>::new"

    code_clear_output = "clear_output(false);"

    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")


@pytest.mark.skipif("evcxr" not in TESTED_ENGINES, reason="the evcxr engine is not under test")
class NdlensEvcxrKernelTests(NdlensKernelTests):
    """The same suite against the evcxr engine, so that it cannot rot."""
    kernel_name = ENGINES["evcxr"]


class NdlensIopubWelcomeTests(jupyter_kernel_test.IopubWelcomeTests):
    """A new IOPub subscriber is welcomed (JEP 65)."""
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True
