//! Answers the lens's questions for arrays described on standard input, so
//! that a test can put the same questions to NumPy and compare.
//!
//! Each input line is a JSON case: a buffer size in bytes and two views over
//! it, each `{"offset", "itemsize", "shape", "strides"}` in bytes, plus a
//! shape to reshape the first view to and reps to tile it by. The buffer's
//! byte `i` holds `i`, so that tiled values tell elements apart. Each output
//! line holds the answers.

use std::io::{BufRead, Write};

use ndarray::prelude::*;
use ndarray::ShapeBuilder;
use serde_json::{json, Value};

/// A view over the buffer whose element type is one of u8, u16, u32, u64.
enum ErasedView<'a> {
    U8(ArrayViewD<'a, u8>),
    U16(ArrayViewD<'a, u16>),
    U32(ArrayViewD<'a, u32>),
    U64(ArrayViewD<'a, u64>),
}

fn view<'a, T>(buffer: &'a [u64], spec: &Value) -> ArrayViewD<'a, T> {
    let size = std::mem::size_of::<T>() as i64;
    let shape: Vec<usize> = spec["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let strides: Vec<i64> = spec["strides"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() / size).collect();
    let offset = spec["offset"].as_i64().unwrap() / size;
    let mut start = offset;
    for (&n, &s) in shape.iter().zip(&strides) {
        if s < 0 && n > 0 {
            start += s * (n as i64 - 1);
        }
    }
    let base = buffer.as_ptr() as *const T;
    let positive: Vec<usize> = strides.iter().map(|s| s.unsigned_abs() as usize).collect();
    // SAFETY: the case generator keeps every element inside the buffer and
    // aligned to its size; axes that run backwards are reversed afterwards.
    let mut v =
        unsafe { ArrayViewD::from_shape_ptr(IxDyn(&shape).strides(IxDyn(&positive)), base.offset(start as isize)) };
    for (axis, &s) in strides.iter().enumerate() {
        if s < 0 {
            v.invert_axis(Axis(axis));
        }
    }
    v
}

fn erased<'a>(buffer: &'a [u64], spec: &Value) -> ErasedView<'a> {
    match spec["itemsize"].as_u64().unwrap() {
        1 => ErasedView::U8(view(buffer, spec)),
        2 => ErasedView::U16(view(buffer, spec)),
        4 => ErasedView::U32(view(buffer, spec)),
        8 => ErasedView::U64(view(buffer, spec)),
        other => panic!("no element type of {other} bytes"),
    }
}

macro_rules! each_view {
    ($erased:expr, |$v:ident| $body:expr) => {
        match $erased {
            ErasedView::U8($v) => $body,
            ErasedView::U16($v) => $body,
            ErasedView::U32($v) => $body,
            ErasedView::U64($v) => $body,
        }
    };
}

fn layout_answers<T: Clone>(v: &ArrayViewD<'_, T>, reshape_to: &[isize]) -> Value {
    let l = ndlens::layout(v);
    let reshape_view = ndlens::reshape(v.view(), reshape_to).map(|r| r.is_view()).ok();
    json!({
        "strides": l.strides,
        "c_contiguous": l.c_contiguous,
        "f_contiguous": l.f_contiguous,
        "ravel_is_view": ndlens::ravel(v.view()).is_view(),
        "reshape_is_view": reshape_view,
    })
}

fn tile_answers<T: Clone + Into<u64>>(v: &ArrayViewD<'_, T>, reps: &[usize]) -> Value {
    let t = ndlens::tile(v, reps);
    json!({
        "shape": t.shape(),
        "values": t.iter().map(|x| x.clone().into()).collect::<Vec<u64>>(),
        "c_contiguous": ndlens::layout(&t).c_contiguous,
    })
}

/// A buffer of `bytes` bytes (whole words) whose byte `i` holds `i`.
fn numbered_buffer(bytes: usize) -> Vec<u64> {
    let numbered: Vec<u8> = (0..bytes).map(|i| i as u8).collect();
    numbered.chunks(8).map(|word| u64::from_ne_bytes(word.try_into().expect("whole words"))).collect()
}

fn main() {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in stdin.lock().lines() {
        let case: Value = serde_json::from_str(&line.expect("reading stdin")).expect("a JSON case per line");
        let buffer = numbered_buffer(case["buffer_bytes"].as_u64().unwrap() as usize);
        let reshape_to: Vec<isize> =
            case["reshape_to"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as isize).collect();
        let (a, b) = (erased(&buffer, &case["a"]), erased(&buffer, &case["b"]));
        let (shares, may_share) =
            each_view!(&a, |va| each_view!(&b, |vb| (ndlens::shares_memory(va, vb), ndlens::may_share_memory(va, vb))));
        let layout = each_view!(&a, |va| layout_answers(va, &reshape_to));
        let reps: Vec<usize> =
            case["tile_reps"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let tile = each_view!(&a, |va| tile_answers(va, &reps));
        let answer = json!({"shares_memory": shares, "may_share_memory": may_share, "a": layout, "tile": tile});
        writeln!(out, "{answer}").expect("writing stdout");
    }
}
