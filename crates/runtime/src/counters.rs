//! The processor's own counts of a walk over memory, for `%traffic -m`:
//! L1 data cache read misses and data TLB read misses, where Linux's
//! `perf_event_open` exposes them.
//!
//! Most virtual machines hide these counters, and a kernel may forbid them
//! (`/proc/sys/kernel/perf_event_paranoid`): then the walk still runs and
//! the answer says why nothing was counted, so that the model is shown
//! alone rather than a number pretending to be measured.

/// What the counters saw during a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// L1 data cache read misses.
    pub l1d_misses: u64,
    /// Data TLB read misses.
    pub dtlb_misses: u64,
}

/// Reads every element once, in the iterator's order, as `sum()` would.
///
/// Each read is volatile, so that the optimizer keeps every load; the
/// copies are forgotten, not dropped, so any element type can be walked.
pub fn walk<'a, T: 'a>(elements: impl Iterator<Item = &'a T>) {
    for element in elements {
        // SAFETY: `element` is a valid reference; the bitwise copy is
        // forgotten, so nothing it owns is dropped twice.
        std::mem::forget(unsafe { std::ptr::read_volatile(element) });
    }
}

/// Runs `f` with the counters on; `f` runs whether or not they could be.
pub fn count(f: impl FnOnce()) -> Result<Counts, String> {
    imp::count(f)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;

    use perf_event::events::{Cache, CacheId, CacheOp, CacheResult};
    use perf_event::{Builder, Group};

    use super::Counts;

    const fn read_misses(which: CacheId) -> Cache {
        Cache { which, operation: CacheOp::READ, result: CacheResult::MISS }
    }

    pub fn count(f: impl FnOnce()) -> Result<Counts, String> {
        let opened = (|| -> io::Result<_> {
            let mut group = Group::new()?;
            let l1d = group.add(&Builder::new(read_misses(CacheId::L1D)))?;
            let dtlb = group.add(&Builder::new(read_misses(CacheId::DTLB)))?;
            Ok((group, l1d, dtlb))
        })();
        let (mut group, l1d, dtlb) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                f();
                return Err(unavailable(&e));
            }
        };
        let counted = (|| -> io::Result<_> {
            group.enable()?;
            f();
            group.disable()?;
            group.read()
        })();
        let counts = counted.map_err(|e| unavailable(&e))?;
        Ok(Counts { l1d_misses: counts[&l1d], dtlb_misses: counts[&dtlb] })
    }

    /// Why the counters could not be opened, in a sentence.
    fn unavailable(e: &io::Error) -> String {
        match e.raw_os_error() {
            Some(libc_errno) if libc_errno == 1 || libc_errno == 13 => {
                let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid").unwrap_or_default();
                format!(
                    "the operating system forbids reading the processor's counters here \
                     (perf_event_paranoid is {}; 2 or less lets a user count their own process)",
                    paranoid.trim()
                )
            }
            Some(2 | 19 | 95) => "this machine exposes no processor counters for caches and TLBs \
                                  (virtual machines usually hide them)"
                .into(),
            _ => format!("the processor's counters could not be read: {e}"),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Counts;

    pub fn count(f: impl FnOnce()) -> Result<Counts, String> {
        f();
        Err("processor counters are read through Linux's perf_event_open; this system is not Linux".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_runs_whether_or_not_anything_is_counted() {
        let values = vec![String::from("a"), String::from("b")];
        let mut ran = false;
        match count(|| {
            walk(values.iter());
            ran = true;
        }) {
            Ok(counts) => assert!(counts.l1d_misses < 1_000_000),
            Err(why) => assert!(!why.is_empty()),
        }
        assert!(ran);
        assert_eq!(values, ["a", "b"]);
    }
}
