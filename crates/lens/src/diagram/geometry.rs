//! Where a diagram puts things and in which colours, for tests and tools
//! that read the SVG back.
//!
//! Colours are plain values here, so that no drawing library's types become
//! part of the lens's API.

/// A colour, eight bits per channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Colour {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Colour {
    /// The colour as SVG writes it: `#4E79A7`.
    ///
    /// ```
    /// assert_eq!(ndlens::diagram::geometry::colour(0).to_hex(), "#4E79A7");
    /// ```
    pub fn to_hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.r, self.g, self.b)
    }
}

const fn rgb(r: u8, g: u8, b: u8) -> Colour {
    Colour { r, g, b }
}

/// One colour per array, in the order arrays were added (Tableau 10).
pub const PALETTE: [Colour; 8] = [
    rgb(0x4e, 0x79, 0xa7),
    rgb(0xf2, 0x8e, 0x2b),
    rgb(0x59, 0xa1, 0x4f),
    rgb(0xe1, 0x57, 0x59),
    rgb(0xb0, 0x7a, 0xa1),
    rgb(0x76, 0xb7, 0xb2),
    rgb(0xed, 0xc9, 0x48),
    rgb(0x9c, 0x75, 0x5f),
];

/// The colour of the `array`-th array of a diagram; the palette repeats
/// after eight arrays.
pub fn colour(array: usize) -> Colour {
    PALETTE[array % PALETTE.len()]
}

/// The tint of a grid cell: its array's colour at this opacity.
pub const GRID_TINT: f64 = 0.25;
/// The width of one element of an array's grid, in pixels.
pub const CELL_WIDTH: i32 = 56;
/// The height of one row of an array's grid, in pixels.
pub const CELL_HEIGHT: i32 = 24;
/// The width of one memory cell of a buffer strip, in pixels.
pub const STRIP_CELL_WIDTH: i32 = 26;
/// The height of a buffer strip, in pixels.
pub const STRIP_HEIGHT: i32 = 30;
