//! Writes a few memory-layout diagrams as SVG files, to look at.
//!
//! `cargo run --example diagrams -- OUT_DIR`

use ndarray::prelude::*;
use ndlens::diagram;

fn main() -> std::io::Result<()> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "diagrams".into()));
    std::fs::create_dir_all(&out)?;
    let a = Array1::<f64>::zeros(6);
    let m = Array2::<f64>::zeros((3, 4));
    let row = Array1::<i64>::from_iter(0..4);
    let big = Array2::<f32>::zeros((1000, 1000));
    let pictures = [
        ("view", diagram!(a, a.slice(s![1..]), a.to_owned())),
        ("transpose", diagram!(m, m.t())),
        ("step", diagram!(a, a.slice(s![..;-2]))),
        ("broadcast", diagram!(row, row.broadcast((3, 4)).unwrap())),
        ("big", diagram!(big, big.slice(s![..;2, ..;3]))),
    ];
    for (name, picture) in pictures {
        std::fs::write(out.join(format!("{name}.svg")), picture.to_svg())?;
        println!("{name}:\n{picture}");
    }
    Ok(())
}
