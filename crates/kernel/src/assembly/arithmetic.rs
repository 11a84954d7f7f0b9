//! Which instructions do arithmetic on several elements at once (packed
//! SIMD) and which on one (scalar), and the widest vector register a
//! function uses: what tells whether the compiler vectorised a loop.
//!
//! The recipe says contiguous data lets the CPU use SSE and AVX; whether
//! the compiler did is in these names. SSE and AVX spell the element count
//! in the suffix: `addpd` adds packed doubles, `addsd` one scalar double,
//! `ps`/`ss` the same for `f32`; AVX prefixes a `v` (`vaddpd`) and uses
//! `ymm` (256-bit) or `zmm` (512-bit) registers besides SSE's 128-bit `xmm`.
//! Integer SIMD arithmetic is `p`-prefixed (`paddd`, `pmulld`) and packed
//! by nature.

use std::collections::BTreeMap;
use std::fmt;

use super::Function;

/// What an arithmetic instruction works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arithmetic {
    /// Several elements of a vector register at once.
    Packed,
    /// One element.
    Scalar,
}

/// Floating-point operations, as their mnemonics begin once AVX's `v` is
/// taken off (FMA's `fmadd231` and kin keep their digits).
const FLOAT_OPERATIONS: [&str; 15] = [
    "add", "sub", "mul", "div", "min", "max", "sqrt", "hadd", "hsub", "rcp", "rsqrt", "fmadd", "fmsub", "fnmadd",
    "fnmsub",
];

/// Integer SIMD operations, after the `p`.
const INTEGER_OPERATIONS: [&str; 8] = ["add", "sub", "mull", "mulh", "muludq", "madd", "min", "max"];

impl Arithmetic {
    /// The kind of arithmetic `mnemonic` does, if it does arithmetic on a
    /// vector register: `vaddpd` packed, `addsd` scalar, `movsd` none.
    pub fn of(mnemonic: &str) -> Option<Arithmetic> {
        let m = mnemonic.strip_prefix('v').unwrap_or(mnemonic);
        if let Some(operation) = m.strip_prefix('p') {
            if INTEGER_OPERATIONS.iter().any(|op| operation.starts_with(op)) {
                return Some(Arithmetic::Packed);
            }
        }
        let (stem, suffix) = m.split_at(m.len().checked_sub(2)?);
        let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit());
        if !FLOAT_OPERATIONS.contains(&stem) {
            return None;
        }
        match suffix {
            "pd" | "ps" | "ph" => Some(Arithmetic::Packed),
            "sd" | "ss" | "sh" => Some(Arithmetic::Scalar),
            _ => None,
        }
    }
}

/// A function's arithmetic, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Packed instructions, by mnemonic.
    pub packed: BTreeMap<String, usize>,
    /// Scalar instructions, by mnemonic.
    pub scalar: BTreeMap<String, usize>,
    /// The widest vector register named, in bits (0: none).
    pub widest_register: u32,
}

impl Summary {
    pub fn of(function: &Function) -> Summary {
        let mut summary = Summary::default();
        for instruction in function.instructions() {
            match Arithmetic::of(&instruction.mnemonic) {
                Some(Arithmetic::Packed) => *summary.packed.entry(instruction.mnemonic.clone()).or_default() += 1,
                Some(Arithmetic::Scalar) => *summary.scalar.entry(instruction.mnemonic.clone()).or_default() += 1,
                None => {}
            }
            let bits = [("zmm", 512), ("ymm", 256), ("xmm", 128)]
                .into_iter()
                .find(|(name, _)| instruction.operands.contains(name))
                .map_or(0, |(_, bits)| bits);
            summary.widest_register = summary.widest_register.max(bits);
        }
        summary
    }

    pub fn packed_count(&self) -> usize {
        self.packed.values().sum()
    }

    pub fn scalar_count(&self) -> usize {
        self.scalar.values().sum()
    }
}

/// `addpd ×4, mulpd ×2`
fn counts(by_mnemonic: &BTreeMap<String, usize>) -> String {
    let mut pairs: Vec<(&String, &usize)> = by_mnemonic.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    pairs.iter().map(|(m, n)| format!("{m} ×{n}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Summary {
    /// `4 packed (addpd ×4), 0 scalar; widest register xmm (128-bit)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} packed", self.packed_count())?;
        if !self.packed.is_empty() {
            write!(f, " ({})", counts(&self.packed))?;
        }
        write!(f, ", {} scalar", self.scalar_count())?;
        if !self.scalar.is_empty() {
            write!(f, " ({})", counts(&self.scalar))?;
        }
        match self.widest_register {
            0 => write!(f, "; no vector register"),
            bits => {
                let name = match bits {
                    512 => "zmm",
                    256 => "ymm",
                    _ => "xmm",
                };
                write!(f, "; widest register {name} ({bits}-bit)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Listing;
    use super::*;

    #[test]
    fn mnemonics_say_packed_or_scalar() {
        for packed in ["addpd", "vaddpd", "mulps", "vfmadd231pd", "paddq", "vpmulld", "sqrtpd", "maxps"] {
            assert_eq!(Arithmetic::of(packed), Some(Arithmetic::Packed), "{packed}");
        }
        for scalar in ["addsd", "vaddss", "mulsd", "vfmadd213sd", "divss", "sqrtsd"] {
            assert_eq!(Arithmetic::of(scalar), Some(Arithmetic::Scalar), "{scalar}");
        }
        for neither in ["movsd", "movapd", "add", "push", "pxor", "cvtsi2sd", "ret", "jmp", "pshufd", "xorps"] {
            assert_eq!(Arithmetic::of(neither), None, "{neither}");
        }
    }

    #[test]
    fn a_summary_counts_and_names_the_widest_register() {
        let listing = Listing::parse(super::super::tests::LISTING);
        let sum = Summary::of(&listing.functions[1]);
        assert_eq!(sum.to_string(), "1 packed (addpd ×1), 1 scalar (addsd ×1); widest register xmm (128-bit)");
        assert_eq!(Summary::of(&listing.functions[2]).to_string(), "0 packed, 0 scalar; no vector register");
    }
}
