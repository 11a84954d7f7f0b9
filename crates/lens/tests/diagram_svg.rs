//! Diagrams read back as XML: the cells drawn and their colours must match
//! the arrays' layouts.

use std::collections::BTreeMap;

use ndarray::prelude::*;
use ndlens::diagram::geometry::{colour, CELL_HEIGHT, GRID_TINT, STRIP_CELL_WIDTH, STRIP_HEIGHT};
use ndlens::{diagram, Diagram};

#[derive(Debug)]
struct Rect {
    x: f64,
    y: f64,
    height: f64,
    fill: String,
    opacity: f64,
}

fn rects(svg: &str) -> Vec<Rect> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill").is_some_and(|f| f != "none"))
        .map(|n| Rect {
            x: n.attribute("x").unwrap().parse().unwrap(),
            y: n.attribute("y").unwrap().parse().unwrap(),
            height: n.attribute("height").unwrap().parse().unwrap(),
            fill: n.attribute("fill").unwrap().to_uppercase(),
            opacity: n.attribute("opacity").map_or(1.0, |o| o.parse().unwrap()),
        })
        .collect()
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

fn hex(array: usize) -> String {
    colour(array).to_hex()
}

/// For each strip (by its y), the colours of its cells from left to right.
fn strips(svg: &str) -> Vec<Vec<Vec<String>>> {
    let mut by_row: BTreeMap<i64, BTreeMap<i64, Vec<(i64, String)>>> = BTreeMap::new();
    for r in rects(svg).into_iter().filter(|r| r.height == STRIP_HEIGHT as f64) {
        let row = by_row.entry(r.y as i64).or_default();
        row.entry(r.x as i64).or_default().push((r.x as i64, r.fill));
    }
    by_row
        .into_values()
        .map(|row| {
            let start = *row.keys().next().unwrap();
            let mut cells: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for (x, bands) in row {
                let cell = (x - start) / STRIP_CELL_WIDTH as i64;
                cells.entry(cell).or_default().extend(bands.into_iter().map(|(_, fill)| fill));
            }
            cells.into_values().collect()
        })
        .collect()
}

/// The fills of grid cells, by array colour, counted.
fn grid_cells(svg: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in rects(svg).into_iter().filter(|r| r.height == CELL_HEIGHT as f64) {
        assert!((r.opacity - GRID_TINT).abs() < 1e-9, "grid cells are tinted");
        *counts.entry(r.fill).or_default() += 1;
    }
    counts
}

#[test]
fn a_stepped_view_colours_every_other_cell_of_its_owner() {
    let a = Array1::<f64>::zeros(6);
    let svg = diagram!(a, a.slice(s![1..;2])).to_svg();
    let (owner, view) = (hex(0), hex(1));
    assert_eq!(
        strips(&svg),
        vec![vec![
            vec![owner.clone()],
            vec![owner.clone(), view.clone()],
            vec![owner.clone()],
            vec![owner.clone(), view.clone()],
            vec![owner.clone()],
            vec![owner.clone(), view.clone()],
        ]]
    );
    assert_eq!(grid_cells(&svg), BTreeMap::from([(owner, 6), (view, 3)]));
}

#[test]
fn a_copy_is_drawn_on_a_buffer_of_its_own() {
    let a = Array2::<i32>::zeros((2, 3));
    let copy = a.t().to_owned();
    let svg = diagram!(a, copy).to_svg();
    let drawn = strips(&svg);
    assert_eq!(drawn.len(), 2);
    assert!(drawn[0].iter().all(|cell| cell == &vec![hex(0)]));
    assert!(drawn[1].iter().all(|cell| cell == &vec![hex(1)]));
    assert!(texts(&svg).iter().any(|t| t.starts_with("buffer 2")));
}

#[test]
fn a_transpose_reaches_every_cell_with_reversed_strides() {
    let m = Array2::<f64>::zeros((3, 4));
    let svg = diagram!(m, m.t()).to_svg();
    let drawn = strips(&svg);
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].len(), 12);
    assert!(drawn[0].iter().all(|cell| cell == &vec![hex(0), hex(1)]));
    let all = texts(&svg);
    assert!(all.iter().any(|t| t.contains("m.t()") && t.contains("strides=(8, 32)")));
    // The transpose's first row walks down the owner's first column.
    let offsets: Vec<&String> = all.iter().filter(|t| t.starts_with('+')).collect();
    assert_eq!(offsets[12..15], [&"+0".to_string(), &"+32".to_string(), &"+64".to_string()]);
}

#[test]
fn a_broadcast_row_marks_each_cell_with_its_count() {
    let row = Array1::<i64>::from_iter(0..4);
    let svg = diagram!(row.broadcast((3, 4)).unwrap()).to_svg();
    assert_eq!(strips(&svg), vec![vec![vec![hex(0)]; 4]]);
    assert_eq!(texts(&svg).iter().filter(|t| t.as_str() == "×3").count(), 4);
    assert_eq!(grid_cells(&svg), BTreeMap::from([(hex(0), 12)]));
}

#[test]
fn a_million_elements_draw_a_bounded_picture() {
    let big = Array1::<u8>::zeros(1_000_000);
    let started = std::time::Instant::now();
    let svg = Diagram::new().add("big", &big).add("every 1000th", &big.slice(s![..;1000])).to_svg();
    let elapsed = started.elapsed();
    assert!(svg.len() < 100_000, "{} bytes of SVG", svg.len());
    let drawn = strips(&svg);
    assert_eq!(drawn.len(), 1);
    assert!(drawn[0].len() < 60);
    assert!(texts(&svg).contains(&"…".to_string()));
    // Not a timing assertion: printed for the reader of the test log.
    println!("diagram of 1,000,000 elements drawn in {elapsed:?}");
}

#[test]
fn empty_arrays_and_zero_strides_draw_without_panicking() {
    let empty = Array2::<f32>::zeros((0, 4));
    let svg = diagram!(empty).to_svg();
    assert!(strips(&svg).is_empty());
    assert!(texts(&svg).iter().any(|t| t == "(no elements)"));
    let one = Array1::<f32>::zeros(1);
    let svg = diagram!(one.broadcast((2, 5)).unwrap()).to_svg();
    assert_eq!(strips(&svg), vec![vec![vec![hex(0)]]]);
}
