//! How long `shares_memory` takes on large interleaved views, the case that
//! makes an exact answer expensive.
//!
//! `cargo run --release --example shares_memory_timing`

use std::time::{Duration, Instant};

use ndarray::prelude::*;
use ndlens::{overlap, shares_memory};

fn median_of(runs: usize, mut f: impl FnMut() -> bool) -> (bool, Duration) {
    let mut times = Vec::with_capacity(runs);
    let mut answer = false;
    for _ in 0..runs {
        let start = Instant::now();
        answer = std::hint::black_box(f());
        times.push(start.elapsed());
    }
    times.sort();
    (answer, times[runs / 2])
}

fn main() {
    let big = Array2::<f64>::zeros((3000, 3000));
    let cases = [
        ("steps 3 and 2, overlapping", big.slice(s![..;3, ..;3]), big.slice(s![1..2001;2, 1..2001;2])),
        ("steps 2 and 3, interleaved rows", big.slice(s![..2000;2, ..;3]), big.slice(s![1..2000;2, 1..;3])),
        (
            "steps 3 and 5 on both axes",
            big.slice(s![..;3, ..;3]),
            big.slice(s![1..;5, 2..;5]).slice_move(s![..600, ..598]),
        ),
    ];
    println!(
        "{:<36} {:>12} {:>8} {:>14} {:>14}",
        "views (1000-ish x 1000 of f64)", "shapes", "shares", "shares_memory", "overlap"
    );
    for (name, a, b) in cases {
        let (shares, exact) = median_of(21, || shares_memory(&a, &b));
        let (_, witness) = median_of(5, || overlap(&a, &b).unwrap().is_some());
        println!(
            "{name:<36} {:>12} {shares:>8} {:>14?} {:>14?}",
            format!("{:?}/{:?}", a.dim(), b.dim()),
            exact,
            witness
        );
    }
}
