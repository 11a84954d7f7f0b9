//! A diagram as plain text, for terminals and for the `text/plain` part of
//! a notebook output.

use std::fmt::Write;

use super::model::{GridCell, MemoryCell, Model};

pub fn render(model: &Model) -> String {
    let mut out = String::new();
    for panel in &model.arrays {
        let _ = writeln!(out, "{}: {}", panel.label, panel.layout);
        for row in &panel.rows {
            let cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| match c {
                    GridCell::Element { offset, .. } => format!("+{offset}"),
                    GridCell::Ellipsis => "…".into(),
                })
                .collect();
            let label = if row.label.is_empty() { "offsets".to_string() } else { row.label.clone() };
            let _ = writeln!(out, "  {label:>10} {}", cells.join(" "));
        }
    }
    for (s, strip) in model.strips.iter().enumerate() {
        let cells: Vec<String> = strip
            .cells
            .iter()
            .map(|c| match c {
                MemoryCell::Ellipsis => "…".into(),
                MemoryCell::Cell { reached_by, .. } if reached_by.is_empty() => "·".into(),
                MemoryCell::Cell { reached_by, .. } => reached_by
                    .iter()
                    .map(|(a, count)| match count {
                        Some(n) if *n > 1 => format!("{}×{n}", letter(*a)),
                        _ => letter(*a).to_string(),
                    })
                    .collect::<String>(),
            })
            .collect();
        let _ = writeln!(
            out,
            "buffer {} ({} bytes, cells of {}): |{}|",
            s + 1,
            strip.total_cells * strip.unit,
            strip.unit,
            cells.join("|")
        );
    }
    let legend: Vec<String> =
        model.arrays.iter().enumerate().map(|(i, p)| format!("{}={}", letter(i), p.label)).collect();
    if !legend.is_empty() {
        let _ = writeln!(out, "({})", legend.join(", "));
    }
    out
}

/// Arrays are marked A, B, C… on the strips.
fn letter(array: usize) -> char {
    char::from(b'A' + (array % 26) as u8)
}
