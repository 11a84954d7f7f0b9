//! Times as IPython prints them, character for character: `%timeit`'s
//! result line and caching warning, and the durations in it and in `%time`'s
//! `Wall time:` line.
//!
//! ```text
//! 6.76 ms ± 623 μs per loop (mean ± std. dev. of 7 runs, 100 loops each)
//! ```

/// The measurements one `%timeit` made.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeitResult {
    pub loops: u64,
    /// Seconds per run (of `loops` loops).
    pub runs: Vec<f64>,
}

impl TimeitResult {
    /// Seconds per loop, run by run.
    pub fn per_loop(&self) -> Vec<f64> {
        self.runs.iter().map(|t| t / self.loops as f64).collect()
    }

    pub fn mean(&self) -> f64 {
        let per_loop = self.per_loop();
        per_loop.iter().sum::<f64>() / per_loop.len() as f64
    }

    /// The population standard deviation, as IPython computes it.
    pub fn stdev(&self) -> f64 {
        let mean = self.mean();
        let per_loop = self.per_loop();
        (per_loop.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / per_loop.len() as f64).sqrt()
    }

    /// IPython's line:
    /// `6.76 ms ± 623 μs per loop (mean ± std. dev. of 7 runs, 100 loops each)`.
    pub fn summary(&self) -> String {
        let runs = self.runs.len();
        format!(
            "{} ± {} per loop (mean ± std. dev. of {runs} run{}, {} loop{} each)",
            format_time(self.mean()),
            format_time(self.stdev()),
            if runs == 1 { "" } else { "s" },
            thousands(self.loops),
            if self.loops == 1 { "" } else { "s" },
        )
    }

    /// IPython's caching warning, when the slowest run took over four times
    /// the fastest.
    pub fn warning(&self) -> Option<String> {
        let per_loop = self.per_loop();
        let best = per_loop.iter().cloned().fold(f64::INFINITY, f64::min);
        let worst = per_loop.iter().cloned().fold(0.0, f64::max);
        (worst > 4.0 * best && best > 0.0 && worst > 1e-6).then(|| {
            format!(
                "The slowest run took {:.2} times longer than the fastest. \
                 This could mean that an intermediate result is being cached.",
                worst / best
            )
        })
    }

    /// What `-o` returns, as IPython's `TimeitResult` repr.
    pub fn repr(&self) -> String {
        format!("<TimeitResult : {}>", self.summary())
    }

    /// Reads the JSON the generated timing code prints.
    pub fn from_json(text: &str) -> Option<TimeitResult> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let loops = value["loops"].as_u64()?;
        let runs = value["runs"].as_array()?.iter().map(|v| v.as_f64()).collect::<Option<Vec<f64>>>()?;
        (!runs.is_empty()).then_some(TimeitResult { loops, runs })
    }
}

/// IPython's `_format_time` with three significant digits.
pub fn format_time(seconds: f64) -> String {
    if seconds >= 60.0 {
        let mut parts = Vec::new();
        let mut leftover = seconds;
        for (suffix, length) in [("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)] {
            let value = (leftover / length).trunc();
            if value > 0.0 {
                leftover %= length;
                parts.push(format!("{value}{suffix}"));
            }
            if leftover < 1.0 {
                break;
            }
        }
        return parts.join(" ");
    }
    // IPython writes GREEK SMALL LETTER MU (U+03BC), not MICRO SIGN (U+00B5).
    const UNITS: [(&str, f64); 4] = [("s", 1.0), ("ms", 1e3), ("\u{3bc}s", 1e6), ("ns", 1e9)];
    let (unit, scale) = UNITS[unit_order(seconds)];
    format!("{} {unit}", general_format(seconds * scale, 3))
}

/// IPython's `min(-int(math.floor(math.log10(t)) // 3), 3)`; Python's `//`
/// rounds toward negative infinity, as `div_euclid` does for a positive
/// divisor, so 0.9996 s reads "1e+03 ms" there and here.
fn unit_order(seconds: f64) -> usize {
    if seconds <= 0.0 {
        return 3;
    }
    let exponent = seconds.log10().floor() as i64;
    (-exponent.div_euclid(3)).clamp(0, 3) as usize
}

/// C's `%.*g`: `precision` significant digits, trailing zeros dropped,
/// exponent notation for very large or small numbers.
pub fn general_format(value: f64, precision: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let exponent = value.abs().log10().floor() as i32;
    // Rounding can carry into the next power of ten (999.7 → 1e+03).
    let rounded: f64 = format!("{value:.*e}", precision - 1).parse().unwrap_or(value);
    let exponent = if rounded.abs() >= 10f64.powi(exponent + 1) { exponent + 1 } else { exponent };
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = format!("{value:.*e}", precision - 1);
        let (digits, exp) = mantissa.split_once('e').unwrap_or((&mantissa, "0"));
        let digits = trim_zeros(digits);
        let exp: i32 = exp.parse().unwrap_or(0);
        format!("{digits}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn trim_zeros(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

/// Python's `{:,}`: `1000000` → `1,000,000`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_like_ipython() {
        // Each pair was printed by IPython 9's _format_time.
        assert_eq!(format_time(0.00676), "6.76 ms");
        assert_eq!(format_time(0.000623), "623 μs");
        assert_eq!(format_time(3.3e-7), "330 ns");
        assert_eq!(format_time(5e-6), "5 μs");
        assert_eq!(format_time(1.999e-7), "200 ns");
        assert_eq!(format_time(0.0), "0 ns");
        assert_eq!(format_time(1.5), "1.5 s");
        assert_eq!(format_time(2.5e-10), "0.25 ns");
        assert_eq!(format_time(0.9996), "1e+03 ms");
        assert_eq!(format_time(75.0), "1min 15s");
    }

    #[test]
    fn the_result_line_is_ipythons() {
        let r = TimeitResult { loops: 100, runs: vec![0.485; 7] };
        assert_eq!(r.summary(), "4.85 ms ± 0 ns per loop (mean ± std. dev. of 7 runs, 100 loops each)");
        let r = TimeitResult { loops: 1_000_000, runs: vec![0.33] };
        assert_eq!(r.summary(), "330 ns ± 0 ns per loop (mean ± std. dev. of 1 run, 1,000,000 loops each)");
        let r = TimeitResult { loops: 1, runs: vec![1.0, 3.0] };
        assert_eq!(r.summary(), "2 s ± 1 s per loop (mean ± std. dev. of 2 runs, 1 loop each)");
        assert_eq!(r.repr(), "<TimeitResult : 2 s ± 1 s per loop (mean ± std. dev. of 2 runs, 1 loop each)>");
    }

    #[test]
    fn a_slow_run_warns_of_caching() {
        let r = TimeitResult { loops: 1, runs: vec![1e-3, 5e-3] };
        assert_eq!(
            r.warning().unwrap(),
            "The slowest run took 5.00 times longer than the fastest. This could mean that an intermediate result is being cached."
        );
        assert_eq!(TimeitResult { loops: 1, runs: vec![1e-3, 2e-3] }.warning(), None);
    }

    #[test]
    fn results_round_trip_through_json() {
        let r = TimeitResult::from_json(r#"{"loops": 10, "runs": [0.1, 0.2]}"#).unwrap();
        assert_eq!(r, TimeitResult { loops: 10, runs: vec![0.1, 0.2] });
        assert_eq!(TimeitResult::from_json(r#"{"loops": 10, "runs": []}"#), None);
    }
}
