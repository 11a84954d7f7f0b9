//! Transparent huge pages for the session's large arrays, as NumPy has.
//!
//! glibc's tunable `glibc.malloc.hugetlb=1` has malloc ask for transparent
//! huge pages (`madvise(MADV_HUGEPAGE)`) for the memory it maps: a fresh
//! 80 MB buffer then faults in 2 MiB at a time rather than 4 KiB. Where the
//! system refuses (THP off, an older glibc), malloc carries on with normal
//! pages and nothing is said. The tunable is read when a process starts, so
//! it goes into the environment of the process that runs the cells.

const HUGE_PAGES_TUNABLE: &str = "glibc.malloc.hugetlb=1";

/// `GLIBC_TUNABLES` for the session's process, with huge pages asked for;
/// `None` when the environment already says what it wants.
pub fn tunables() -> Option<(String, String)> {
    let value = match std::env::var("GLIBC_TUNABLES") {
        Ok(existing) if existing.contains("glibc.malloc.hugetlb") => return None,
        Ok(existing) if !existing.is_empty() => format!("{existing}:{HUGE_PAGES_TUNABLE}"),
        _ => HUGE_PAGES_TUNABLE.to_string(),
    };
    Some(("GLIBC_TUNABLES".to_string(), value))
}
