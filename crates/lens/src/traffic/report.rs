//! The traffic of several views side by side, with what the walk's stride
//! means for the hardware: the table `%traffic` shows.
//!
//! The verdicts are rules of thumb about today's CPUs, said as such: a
//! 64-byte line is the unit the cache loads, the hardware prefetcher
//! follows a regular stride but not across a 4 KiB page, and each new page
//! needs a translation the TLB holds a few thousand of at most.

use std::fmt;

use ndarray::{ArrayBase, Dimension, RawData};

use super::map::{shared_spans, LineMap, Placement};
use super::{axes_of, model, thousands, Traffic, CACHE_LINE, PAGE};
use crate::layout::layout;
use crate::rich::escape;

/// What the innermost stride of a walk means for the memory system.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// One element, or none: nothing to walk.
    Single,
    /// The same element again (a broadcast axis).
    Repeated,
    /// Neighbours are adjacent in memory.
    Contiguous,
    /// Neighbours are apart, within a line: the share of each line used.
    PartOfEachLine(f64),
    /// Up to 2 KiB apart: a line per element, in the same page.
    LinePerElement,
    /// A page or more apart.
    PagePerElement,
}

impl Verdict {
    /// The verdict for elements of `size` bytes, `stride` bytes apart.
    pub fn of(stride: Option<isize>, size: usize) -> Verdict {
        let Some(stride) = stride else { return Verdict::Single };
        let apart = stride.unsigned_abs();
        match apart {
            0 => Verdict::Repeated,
            _ if apart == size => Verdict::Contiguous,
            _ if apart < CACHE_LINE => Verdict::PartOfEachLine(size as f64 / apart as f64),
            _ if apart < PAGE => Verdict::LinePerElement,
            _ => Verdict::PagePerElement,
        }
    }

    /// The verdict and its reason, in a sentence.
    pub fn reason(&self) -> String {
        match self {
            Verdict::Single => "one element: nothing to walk".into(),
            Verdict::Repeated => "the same element again and again (a broadcast): it stays in the cache".into(),
            Verdict::Contiguous => "contiguous: every byte of every line is used, and SIMD instructions can load \
                                    neighbours together"
                .into(),
            Verdict::PartOfEachLine(used) => format!(
                "stride under a cache line: {:.0}% of the bytes of each line loaded are used; the rest is moved \
                 for nothing",
                used * 100.0
            ),
            Verdict::LinePerElement => "a new cache line for every element; within a page the hardware prefetcher \
                                        can follow the stride and fetch ahead"
                .into(),
            Verdict::PagePerElement => "a new page for every element: the hardware prefetcher does not cross \
                                        pages, and once the pages outnumber the TLB's entries each one costs a \
                                        page walk too"
                .into(),
        }
    }
}

/// One row of the table.
#[derive(Clone, Debug)]
struct Row {
    label: String,
    traffic: Traffic,
    stride: Option<isize>,
    verdict: Verdict,
    placement: Placement,
    measured: Option<Measured>,
}

/// What the processor's counters saw walking a view once, to set beside
/// the model's switches (`%traffic -m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    /// L1 data cache read misses: compare with the line switches.
    pub l1d_misses: u64,
    /// Data TLB read misses: compare with the page switches.
    pub dtlb_misses: u64,
}

/// Views side by side: their [`Traffic`], the innermost byte stride of
/// each walk, and what it means. A model, not a measurement.
///
/// ```
/// use ndarray::prelude::*;
/// use ndlens::traffic::{Report, Verdict};
///
/// let a = Array2::<f64>::zeros((500, 500));
/// let report = Report::new().add("a.row(0)", &a.row(0)).add("a.column(0)", &a.column(0));
/// assert_eq!(report.verdicts(), [Verdict::Contiguous, Verdict::LinePerElement]);
/// assert!(report.to_svg().starts_with("<svg"));
/// assert!(report.to_string().contains("a.column(0)"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    rows: Vec<Row>,
    /// Why the counters measured nothing, when they were asked to.
    unmeasured: Option<String>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report::default()
    }

    /// Adds `view` under `label`.
    pub fn add<S, D>(mut self, label: &str, view: &ArrayBase<S, D>) -> Report
    where
        S: RawData,
        D: Dimension,
    {
        let l = layout(view);
        // The walk's innermost axis: the last that is longer than one.
        let stride = l.shape.iter().zip(&l.strides).filter(|(&len, _)| len > 1).map(|(_, &s)| s).next_back();
        let stride = if view.len() > 1 { stride } else { None };
        let verdict = Verdict::of(stride, l.itemsize);
        let (address, axes, size) = axes_of(view);
        let traffic = model(address as i128, &axes, size);
        let placement = Placement::new(address, &axes, size);
        self.rows.push(Row { label: label.to_string(), traffic, stride, verdict, placement, measured: None });
        self
    }

    /// The counters' figures for the view added last, or why the machine
    /// gave none (said once, under the table).
    ///
    /// ```
    /// use ndarray::prelude::*;
    /// use ndlens::traffic::{Measured, Report};
    ///
    /// let a = Array1::<f64>::zeros(64);
    /// let report = Report::new().add("a", &a).measured(Ok(Measured { l1d_misses: 9, dtlb_misses: 1 }));
    /// assert!(report.to_string().contains("L1D misses"));
    /// let report = Report::new().add("a", &a).measured(Err("no counters here".into()));
    /// assert!(report.to_string().contains("not measured: no counters here"));
    /// ```
    pub fn measured(mut self, counted: Result<Measured, String>) -> Report {
        match counted {
            Ok(measured) => {
                if let Some(row) = self.rows.last_mut() {
                    row.measured = Some(measured);
                }
            }
            Err(why) => self.unmeasured = Some(why),
        }
        self
    }

    fn any_measured(&self) -> bool {
        self.rows.iter().any(|r| r.measured.is_some())
    }

    /// Each view's lines as memory holds them, views of one buffer over
    /// the same span; `None` for a view with no bytes.
    pub fn line_maps(&self) -> Vec<Option<LineMap>> {
        let extents: Vec<_> = self.rows.iter().map(|r| r.placement.extent()).collect();
        let spans = shared_spans(&extents);
        self.rows.iter().zip(spans).map(|(row, span)| Some(LineMap::over(span?, &row.placement))).collect()
    }

    /// The diagram: each view's cache lines, a page to a row, shaded by
    /// the share of their bytes the view uses.
    pub fn to_svg(&self) -> String {
        let maps = self.line_maps();
        let drawn: Vec<(&str, &LineMap)> =
            self.rows.iter().zip(&maps).filter_map(|(row, map)| Some((row.label.as_str(), map.as_ref()?))).collect();
        super::draw::render(&drawn)
    }

    /// Each view's traffic, in the order added.
    pub fn traffic(&self) -> Vec<Traffic> {
        self.rows.iter().map(|r| r.traffic).collect()
    }

    /// Each view's verdict, in the order added.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.rows.iter().map(|r| r.verdict).collect()
    }

    fn cells(&self, row: &Row) -> Vec<String> {
        let t = &row.traffic;
        let mut cells = vec![
            row.label.clone(),
            thousands(t.elements),
            thousands(t.bytes_used),
            thousands(t.cache_lines),
            thousands(t.bytes_moved()),
            format!("{:.2}x", t.amplification()),
            thousands(t.line_switches),
            thousands(t.pages),
            thousands(t.page_switches),
            row.stride.map_or("-".into(), |s| format!("{s} B")),
        ];
        if self.any_measured() {
            let measured =
                |f: fn(&Measured) -> u64| row.measured.as_ref().map_or("-".into(), |m| thousands(f(m) as usize));
            cells.push(measured(|m| m.l1d_misses));
            cells.push(measured(|m| m.dtlb_misses));
        }
        cells
    }

    fn headings(&self) -> Vec<&'static str> {
        let mut headings = vec![
            "view",
            "elements",
            "bytes used",
            "lines",
            "bytes moved",
            "moved/used",
            "line switches",
            "pages",
            "page switches",
            "stride",
        ];
        if self.any_measured() {
            headings.extend(["L1D misses (measured)", "dTLB misses (measured)"]);
        }
        headings
    }

    /// What the figures are, in a sentence.
    fn caption(&self) -> String {
        let mut caption =
            "a model of one walk in logical order: 64-byte lines, 4 KiB pages, nothing cached before".to_string();
        if self.any_measured() {
            caption.push_str("; measured: the processor's counters over one walk, after the hardware's prefetching");
        }
        if let Some(why) = &self.unmeasured {
            caption.push_str(&format!("; not measured: {why}"));
        }
        caption
    }

    /// An HTML table, with the verdicts under it and the diagram.
    pub fn to_html(&self) -> String {
        let mut html = String::from("<table class=\"ndlens-traffic\"><tr>");
        for heading in self.headings() {
            html.push_str(&format!("<th>{heading}</th>"));
        }
        html.push_str("</tr>");
        for row in &self.rows {
            html.push_str("<tr>");
            for (i, cell) in self.cells(row).iter().enumerate() {
                let cell = escape(cell);
                match i {
                    0 => html.push_str(&format!("<td style=\"text-align:left\"><code>{cell}</code></td>")),
                    _ => html.push_str(&format!("<td>{cell}</td>")),
                }
            }
            html.push_str("</tr>");
        }
        html.push_str("</table><ul>");
        for row in &self.rows {
            html.push_str(&format!("<li><code>{}</code>: {}</li>", escape(&row.label), escape(&row.verdict.reason())));
        }
        html.push_str(&format!("</ul><p><em>{}.</em></p>", escape(&capitalized(&self.caption()))));
        if self.rows.iter().any(|r| r.placement.extent().is_some()) {
            html.push_str(&format!("<div class=\"ndlens-traffic-lines\">{}</div>", self.to_svg()));
        }
        html
    }

    /// Rich output for evcxr and the ndlens kernel: text and an HTML table.
    pub fn evcxr_display(&self) {
        crate::rich::emit(&[("text/plain", self.to_string()), ("text/html", self.to_html())]);
    }
}

impl fmt::Display for Report {
    /// A table in columns, the verdicts under it, and what the figures are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headings = self.headings();
        let rows: Vec<Vec<String>> = self.rows.iter().map(|row| self.cells(row)).collect();
        let widths: Vec<usize> = (0..headings.len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([headings[i].len()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[&str]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let cell =
                    if i == 0 { format!("{cell:<w$}", w = widths[0]) } else { format!("  {cell:>w$}", w = widths[i]) };
                out.push_str(&cell);
            }
            out.trim_end().to_string()
        };
        writeln!(f, "{}", line(&headings))?;
        for row in &rows {
            writeln!(f, "{}", line(&row.iter().map(String::as_str).collect::<Vec<_>>()))?;
        }
        for row in &self.rows {
            writeln!(f, "{}: {}", row.label, row.verdict.reason())?;
        }
        write!(f, "({})", self.caption())
    }
}

/// `text` with its first letter a capital.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::prelude::*;

    #[test]
    fn strides_get_their_verdicts() {
        assert_eq!(Verdict::of(Some(8), 8), Verdict::Contiguous);
        assert_eq!(Verdict::of(Some(-8), 8), Verdict::Contiguous);
        assert_eq!(Verdict::of(Some(0), 8), Verdict::Repeated);
        assert_eq!(Verdict::of(Some(32), 8), Verdict::PartOfEachLine(0.25));
        assert_eq!(Verdict::of(Some(2048), 8), Verdict::LinePerElement);
        assert_eq!(Verdict::of(Some(40_000), 8), Verdict::PagePerElement);
        assert_eq!(Verdict::of(None, 8), Verdict::Single);
    }

    #[test]
    fn the_table_reads_in_columns() {
        let a = Array2::<f64>::zeros((5000, 5000));
        let empty = a.slice(s![0..0, ..]);
        let report = Report::new().add("a.row(0)", &a.row(0)).add("a.column(0)", &a.column(0)).add("none", &empty);
        let text = report.to_string();
        let column = text.lines().find(|l| l.starts_with("a.column(0)")).unwrap();
        assert!(column.contains("5,000") && column.contains("8.00x") && column.contains("40000 B"), "{text}");
        assert!(text.lines().any(|l| l.starts_with("none") && l.contains("0.00x")), "{text}");
        assert!(text.contains("a.column(0): a new page for every element"));
        assert_eq!(report.verdicts()[2], Verdict::Single);
        assert!(report.to_html().contains("<code>a.row(0)</code>: contiguous"));
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn the_diagram_of_a_200_mb_buffer_stays_small() {
        let a = Array2::<f64>::zeros((5000, 5000));
        let report = Report::new().add("a.row(0)", &a.row(0)).add("a.column(0)", &a.column(0));
        let svg = report.to_svg();
        let rectangles = svg.matches("<rect").count();
        assert!(rectangles < 300, "{rectangles} rectangles");
        assert!(svg.contains("a.column(0): 5,000 of 3,1"), "{svg}");
        assert!(svg.contains("16 pages"), "a cell stands for many lines: {svg}");
        let html = report.to_html();
        assert!(html.contains("<svg"));
        let empty = a.slice(s![0..0, ..]);
        assert!(!Report::new().add("none", &empty).to_html().contains("<svg"));
    }
}
