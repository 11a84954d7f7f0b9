//! Drawing a [`Model`] as SVG with plotters.
//!
//! Geometry is fixed per cell, so tests (and readers of the SVG) can find
//! things by shape: grid cells are [`CELL_HEIGHT`] tall and tinted with their
//! array's colour; memory cells are [`STRIP_HEIGHT`] tall, split side by side
//! into one band per array that reaches them, in full colour, or white when
//! no array does.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::geometry::{self, Colour, CELL_HEIGHT, CELL_WIDTH, GRID_TINT, STRIP_CELL_WIDTH, STRIP_HEIGHT};
use super::model::{GridCell, MemoryCell, Model};

const MARGIN: i32 = 12;
const ROW_LABEL_WIDTH: i32 = 84;
const HEADER_HEIGHT: i32 = 24;
const GAP: i32 = 14;
/// Strips of more shown cells than this label every fourth offset only.
const LABEL_EVERY_OFFSET_UP_TO: usize = 16;

/// plotters' form of a palette colour.
fn rgb(c: Colour) -> RGBColor {
    RGBColor(c.r, c.g, c.b)
}

fn colour(array: usize) -> RGBColor {
    rgb(geometry::colour(array))
}

/// Text of about `px` pixels; plotters writes sizes in points, 31/25 smaller.
pub(crate) fn font(px: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", px * 31 / 25).into_font()).color(&BLACK)
}

fn headline(model: &Model, array: usize) -> String {
    let panel = &model.arrays[array];
    format!("{}   {}", panel.label, panel.layout)
}

fn strip_headline(model: &Model, strip: usize) -> String {
    let s = &model.strips[strip];
    let on: Vec<&str> = model.arrays.iter().filter(|p| p.strip == Some(strip)).map(|p| p.label.as_str()).collect();
    format!(
        "buffer {}: {} bytes in cells of {} (offsets from its first byte), under {}",
        strip + 1,
        s.total_cells * s.unit,
        s.unit,
        on.join(", ")
    )
}

fn size(model: &Model) -> (u32, u32) {
    let widest_grid = model.arrays.iter().flat_map(|p| p.rows.iter().map(|r| r.cells.len())).max().unwrap_or(0) as i32;
    let widest_strip = model.strips.iter().map(|s| s.cells.len()).max().unwrap_or(0) as i32;
    // About 7 px per character of 12 px sans-serif text.
    let widest_text = (0..model.arrays.len())
        .map(|i| headline(model, i).chars().count())
        .chain((0..model.strips.len()).map(|s| strip_headline(model, s).chars().count()))
        .max()
        .unwrap_or(0) as i32
        * 7;
    let width = (ROW_LABEL_WIDTH + (widest_grid * CELL_WIDTH).max(widest_strip * STRIP_CELL_WIDTH)).max(widest_text)
        + 2 * MARGIN;
    let grid_height: i32 =
        model.arrays.iter().map(|p| HEADER_HEIGHT + p.rows.len().max(1) as i32 * (CELL_HEIGHT + 4) + GAP).sum();
    let strip_height = model.strips.len() as i32 * (HEADER_HEIGHT + STRIP_HEIGHT + 16 + GAP);
    (width as u32, (2 * MARGIN + grid_height + strip_height) as u32)
}

pub fn render(model: &Model) -> String {
    to_svg(size(model), |root| draw(root, model))
}

/// An SVG of `size` pixels, drawn by `draw` on a white background.
pub(crate) fn to_svg(size: (u32, u32), draw: impl FnOnce(&Area) -> Drawn) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        // Drawing into a String cannot fail for I/O reasons; a failure here
        // would be a bug in the geometry, which the tests would catch.
        draw(&root).expect("drawing into a string");
        root.present().expect("finishing an in-memory SVG");
    }
    svg
}

pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
pub(crate) type Drawn = Result<(), DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>>;

fn draw(root: &Area, model: &Model) -> Drawn {
    root.fill(&WHITE)?;
    let left = MARGIN + ROW_LABEL_WIDTH;
    let mut y = MARGIN;
    for (i, panel) in model.arrays.iter().enumerate() {
        let c = colour(i);
        root.draw(&Rectangle::new([(MARGIN, y + 4), (MARGIN + 12, y + 16)], c.filled()))?;
        root.draw(&Text::new(
            headline(model, i),
            (MARGIN + 18, y + 10),
            font(12).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += HEADER_HEIGHT;
        if panel.rows.is_empty() {
            root.draw(&Text::new(
                "(no elements)",
                (left, y + CELL_HEIGHT / 2),
                font(12).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += CELL_HEIGHT + 4;
        }
        for row in &panel.rows {
            let middle = y + CELL_HEIGHT / 2;
            let label_style = font(11).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(row.label.clone(), (left - 6, middle), label_style))?;
            for (k, cell) in row.cells.iter().enumerate() {
                let x = left + k as i32 * CELL_WIDTH;
                let centre = (x + CELL_WIDTH / 2, middle);
                match cell {
                    GridCell::Element { offset, .. } => {
                        let corners = [(x, y), (x + CELL_WIDTH - 2, y + CELL_HEIGHT)];
                        root.draw(&Rectangle::new(corners, c.mix(GRID_TINT).filled()))?;
                        root.draw(&Rectangle::new(corners, c.stroke_width(1)))?;
                        root.draw(&Text::new(
                            format!("+{offset}"),
                            centre,
                            font(11).pos(Pos::new(HPos::Center, VPos::Center)),
                        ))?;
                    }
                    GridCell::Ellipsis => {
                        root.draw(&Text::new("…", centre, font(12).pos(Pos::new(HPos::Center, VPos::Center))))?;
                    }
                }
            }
            y += CELL_HEIGHT + 4;
        }
        y += GAP;
    }

    for (s, strip) in model.strips.iter().enumerate() {
        root.draw(&Text::new(
            strip_headline(model, s),
            (MARGIN, y + 10),
            font(12).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        y += HEADER_HEIGHT;
        root.draw(&Text::new(
            "memory",
            (left - 6, y + STRIP_HEIGHT / 2),
            font(11).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (k, cell) in strip.cells.iter().enumerate() {
            let x = left + k as i32 * STRIP_CELL_WIDTH;
            let outline = [(x, y), (x + STRIP_CELL_WIDTH - 1, y + STRIP_HEIGHT)];
            match cell {
                MemoryCell::Ellipsis => {
                    root.draw(&Text::new(
                        "…",
                        (x + STRIP_CELL_WIDTH / 2, y + STRIP_HEIGHT / 2),
                        font(12).pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
                MemoryCell::Cell { position, reached_by } => {
                    if reached_by.is_empty() {
                        root.draw(&Rectangle::new(outline, WHITE.filled()))?;
                    }
                    let band = (STRIP_CELL_WIDTH - 1) / reached_by.len().max(1) as i32;
                    for (b, (array, _)) in reached_by.iter().enumerate() {
                        let x0 = x + b as i32 * band;
                        let x1 = if b + 1 == reached_by.len() { x + STRIP_CELL_WIDTH - 1 } else { x0 + band };
                        root.draw(&Rectangle::new([(x0, y), (x1, y + STRIP_HEIGHT)], colour(*array).filled()))?;
                    }
                    root.draw(&Rectangle::new(outline, RGBColor(0x88, 0x88, 0x88).stroke_width(1)))?;
                    let most = reached_by.iter().filter_map(|r| r.1).max().unwrap_or(0);
                    if most > 1 {
                        let style = font(10).color(&WHITE).pos(Pos::new(HPos::Center, VPos::Center));
                        root.draw(&Text::new(
                            format!("×{most}"),
                            (x + STRIP_CELL_WIDTH / 2, y + STRIP_HEIGHT / 2),
                            style,
                        ))?;
                    }
                    let labelled = strip.cells.len() <= LABEL_EVERY_OFFSET_UP_TO || position % 4 == 0;
                    if labelled || k + 1 == strip.cells.len() {
                        let style = font(9).pos(Pos::new(HPos::Left, VPos::Top));
                        root.draw(&Text::new(
                            format!("{}", position * strip.unit),
                            (x + 1, y + STRIP_HEIGHT + 3),
                            style,
                        ))?;
                    }
                }
            }
        }
        y += STRIP_HEIGHT + 16 + GAP;
    }
    Ok(())
}
