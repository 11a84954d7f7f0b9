//! Drawing [`LineMap`]s as SVG with plotters: a view's cache lines as
//! memory holds them, a page to a row.
//!
//! Each row of cells is drawn as runs: one grey rectangle for the row, one
//! for each run of neighbouring cells of the same shade, so a buffer of any
//! size costs at most a few thousand rectangles and usually a handful.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::map::{LineCell, LineMap};
use super::{thousands, CACHE_LINE, PAGE};
use crate::diagram::geometry::PALETTE;
use crate::diagram::svg::{font, to_svg, Area, Drawn};

const MARGIN: i32 = 12;
const OFFSET_LABEL_WIDTH: i32 = 78;
/// Cells per row: a page of lines when a cell is one line.
const COLUMNS: usize = 64;
/// A cell's pitch; its square is a pixel smaller.
const CELL: i32 = 9;
const HEADER_HEIGHT: i32 = 22;
const GAP: i32 = 12;
const CAPTION_LINE: i32 = 16;
/// Rows of cells with an offset written beside them.
const LABEL_EVERY_ROWS: usize = 8;

const UNTOUCHED: RGBColor = RGBColor(0xee, 0xee, 0xee);
const PAGE_MARK: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// The colour of a touched cell: blue when the view uses all of each
/// line's bytes, orange at an eighth or less (one `f64` per line), between
/// them by the share's logarithm; paler when it touches few of the cell's
/// lines.
fn shade(cell: &LineCell, lines_per_cell: usize) -> RGBAColor {
    let (full, wasted) = (PALETTE[0], PALETTE[1]);
    let t = ((cell.share_used().log2() + 3.0) / 3.0).clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (b as f64 + (a as f64 - b as f64) * t).round() as u8;
    // Quantized, so that neighbouring cells of a regular walk form runs.
    let touched = cell.lines_touched as f64 / lines_per_cell as f64;
    let alpha = ((0.35 + 0.65 * touched) * 20.0).round() / 20.0;
    RGBAColor(mix(full.r, wasted.r), mix(full.g, wasted.g), mix(full.b, wasted.b), alpha)
}

/// `bytes` as a short size: `512 B`, `16 KiB`, `190 MiB`.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// What a cell and a row stand for, and where the pages begin.
fn scale(lines_per_cell: usize) -> String {
    let cell = lines_per_cell * CACHE_LINE;
    let row = cell * COLUMNS;
    match lines_per_cell {
        1 => format!("a cell is a 64-byte cache line, a row one {} page", size(PAGE)),
        k if k < LineMap::LINES_PER_PAGE => format!(
            "a cell is {k} cache lines ({}), a row {}; the dark marks are page boundaries",
            size(cell),
            size(row)
        ),
        k => format!(
            "a cell is {k} cache lines ({}, {} pages), a row {}",
            size(cell),
            k / LineMap::LINES_PER_PAGE,
            size(row)
        ),
    }
}

fn headline(label: &str, map: &LineMap) -> String {
    let touched: usize = map.cells.iter().map(|c| c.lines_touched).sum();
    let used: usize = map.cells.iter().map(|c| c.bytes_used).sum();
    let share = if touched == 0 { 0.0 } else { (used as f64 / (touched * CACHE_LINE) as f64).min(1.0) };
    format!(
        "{label}: {} of {} lines touched, {:.0}% of their bytes used",
        thousands(touched),
        thousands(map.lines),
        share * 100.0
    )
}

fn rows(map: &LineMap) -> usize {
    map.cells.len().div_ceil(COLUMNS).max(1)
}

/// The maps one under another, each under its label, with the scale and
/// the colours explained at the bottom.
pub(crate) fn render(maps: &[(&str, &LineMap)]) -> String {
    let width = 2 * MARGIN + OFFSET_LABEL_WIDTH + COLUMNS as i32 * CELL + 40;
    let captions: Vec<String> = {
        let mut scales: Vec<usize> = maps.iter().map(|(_, m)| m.lines_per_cell).collect();
        scales.dedup();
        let mut lines: Vec<String> = scales.into_iter().map(scale).collect();
        lines.push("colour: the share of each touched line's bytes the view uses, blue all, orange 1/8 or less".into());
        lines.push("paler: fewer of the cell's lines touched; grey: none. A model: nothing cached before".into());
        lines
    };
    let panels: i32 = maps.iter().map(|(_, m)| HEADER_HEIGHT + rows(m) as i32 * CELL + GAP).sum();
    let height = 2 * MARGIN + panels + captions.len() as i32 * CAPTION_LINE;
    to_svg((width as u32, height as u32), |root| draw(root, maps, &captions))
}

fn draw(root: &Area, maps: &[(&str, &LineMap)], captions: &[String]) -> Drawn {
    root.fill(&WHITE)?;
    let left = MARGIN + OFFSET_LABEL_WIDTH;
    let mut y = MARGIN;
    for (label, map) in maps {
        let text = font(12).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(headline(label, map), (MARGIN, y + 10), text))?;
        y += HEADER_HEIGHT;
        let row_bytes = map.lines_per_cell * CACHE_LINE * COLUMNS;
        for (r, row) in map.cells.chunks(COLUMNS).enumerate() {
            let top = y + r as i32 * CELL;
            if r % LABEL_EVERY_ROWS == 0 {
                let style = font(10).pos(Pos::new(HPos::Right, VPos::Top));
                root.draw(&Text::new(format!("+{}", size(r * row_bytes)), (left - 6, top - 1), style))?;
            }
            let x = |column: usize| left + column as i32 * CELL;
            root.draw(&Rectangle::new([(x(0), top), (x(row.len()) - 1, top + CELL - 1)], UNTOUCHED.filled()))?;
            let mut column = 0;
            while column < row.len() {
                if row[column].lines_touched == 0 {
                    column += 1;
                    continue;
                }
                let colour = shade(&row[column], map.lines_per_cell);
                let run = row[column..].iter().take_while(|c| shade(c, map.lines_per_cell) == colour).count();
                let corners = [(x(column), top), (x(column + run) - 1, top + CELL - 1)];
                root.draw(&Rectangle::new(corners, colour.filled()))?;
                column += run;
            }
            // Page boundaries inside a row, when a row holds several pages.
            let cells_per_page = LineMap::LINES_PER_PAGE / map.lines_per_cell;
            if cells_per_page > 1 && cells_per_page < COLUMNS {
                for column in (cells_per_page..row.len()).step_by(cells_per_page) {
                    let corners = [(x(column) - 1, top), (x(column), top + CELL - 1)];
                    root.draw(&Rectangle::new(corners, PAGE_MARK.filled()))?;
                }
            }
        }
        y += rows(map) as i32 * CELL + GAP;
    }
    for caption in captions {
        root.draw(&Text::new(caption.clone(), (MARGIN, y + 8), font(11).pos(Pos::new(HPos::Left, VPos::Center))))?;
        y += CAPTION_LINE;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_run_from_blue_to_orange() {
        let full = LineCell { lines_touched: 1, bytes_used: 64 };
        let eighth = LineCell { lines_touched: 1, bytes_used: 8 };
        assert_eq!(shade(&full, 1), RGBAColor(0x4e, 0x79, 0xa7, 1.0));
        assert_eq!(shade(&eighth, 1), RGBAColor(0xf2, 0x8e, 0x2b, 1.0));
        assert_eq!(shade(&eighth, 1024).3, 0.35);
    }

    #[test]
    fn scales_say_what_a_cell_is() {
        assert_eq!(scale(1), "a cell is a 64-byte cache line, a row one 4 KiB page");
        assert!(scale(4).contains("page boundaries"));
        assert_eq!(scale(1024), "a cell is 1024 cache lines (64 KiB, 16 pages), a row 4 MiB");
        assert_eq!(size(200 << 20), "200 MiB");
    }
}
