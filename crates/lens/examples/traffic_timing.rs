//! How long `ndlens::traffic` takes on the recipe's arrays (10⁷ and
//! 2.5 × 10⁷ elements), for the views a class looks at: the median of a
//! few runs each, and the figures it finds.
//!
//!     cargo run --release -p ndlens --example traffic_timing

use std::time::Instant;

use ndarray::prelude::*;
use ndlens::traffic;

fn time<S: ndarray::RawData, D: ndarray::Dimension>(name: &str, view: &ArrayBase<S, D>) {
    let mut runs: Vec<f64> = (0..7)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(traffic(std::hint::black_box(view)));
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let t = traffic(view);
    println!(
        "{name:<28} {:>9.3} ms   {:>10} elements {:>9} lines {:>7} pages {:>4} huge {:>9} line switches  {:.2}x",
        runs[runs.len() / 2],
        t.elements,
        t.cache_lines,
        t.pages,
        t.huge_pages,
        t.line_switches,
        t.amplification()
    );
}

fn main() {
    let a = Array2::<f64>::zeros((5000, 5000));
    time("a (5000 x 5000)", &a);
    time("a.t()", &a.t());
    time("a.row(0)", &a.row(0));
    time("a.column(0)", &a.column(0));
    time("a[::2, ::3]", &a.slice(s![..;2, ..;3]));
    time("a[::-1, ::-1]", &a.slice(s![..;-1, ..;-1]));
    time("a.t()[::7, 1..]", &a.t().slice(s![..;7, 1..]));
    let x = Array1::<f64>::zeros(10_000_000);
    time("x (10^7)", &x);
    time("x[::-1]", &x.slice(s![..;-1]));
    time("x[::2]", &x.slice(s![..;2]));
    time("x broadcast to (3, 10^7)", &x.broadcast((3, 10_000_000)).unwrap());
    let bytes = Array1::<u8>::zeros(10_000_003);
    let unaligned = bytes.slice(s![1..]);
    let unaligned =
        unsafe { ArrayView1::<f64>::from_shape_ptr((1_250_000,).strides((1,)), unaligned.as_ptr() as *const f64) };
    time("f64 at an odd address", &unaligned);
    time("every 5th, at an odd address", &unaligned.slice(s![..;5]));
    time("reversed, at an odd address", &unaligned.slice(s![..;-1]));
}
