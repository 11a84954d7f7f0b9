//! Counting exactly what a statement allocates: did that copy?
//!
//! A session's process puts its own `malloc`, `calloc`, `realloc`, `free`
//! and aligned allocators in front of the C library's, so that every heap
//! allocation of the process (the cell's code, ndarray, the lens, std, any
//! thread) passes through one [`Ledger`]. Outside a count the ledger costs
//! each call one relaxed load; during one it records each block the
//! statement makes, with its size, in a table of live blocks, so that a
//! free is matched with what it releases and the bytes held are exact.
//!
//! Cells find the process's ledger the way they find the interrupt flag:
//! by its address, published in the environment ([`Ledger::publish`]),
//! because each compiled cell has its own copy of this crate's statics.
//!
//! ```
//! // Outside a session's process nothing counts, and `count` says so.
//! assert!(ndlens_runtime::allocs::count(|| vec![0u8; 10]).is_err());
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::content;

/// The environment variable that holds the ledger's address.
const LEDGER_VARIABLE: &str = "NDLENS_ALLOCS_LEDGER";

/// How many blocks the table can follow at once: a statement that keeps
/// more live at one time gets counts that say held and peak are bounds.
const SLOTS: usize = 1 << 20;
const MOST_LIVE: u64 = (SLOTS as u64 / 4) * 3;

/// What a statement allocated, counted at the allocator.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocs {
    /// Blocks made (`malloc`, `calloc`, aligned allocations).
    pub allocations: u64,
    /// Blocks resized (`realloc` of a live block).
    pub reallocations: u64,
    /// Blocks the statement made and freed before it ended.
    pub frees: u64,
    /// Bytes asked for by every allocation and reallocation.
    pub bytes: u64,
    /// The most bytes the statement's blocks held at one time.
    pub peak: u64,
    /// Bytes the statement's blocks still hold at its end.
    pub held: u64,
    /// The largest single request.
    pub largest: u64,
    /// Blocks made before the statement and freed (or moved) during it.
    pub earlier_frees: u64,
    /// Their size as the allocator holds it (at least what was asked).
    pub earlier_bytes: u64,
    /// Requests the allocator could not meet.
    pub failed: u64,
    /// The largest of those.
    pub failed_bytes: u64,
    /// More blocks were live at once than the table follows: `held` and
    /// `peak` are then upper bounds.
    pub overflowed: bool,
}

/// What `%allocs` reads from a cell, as one [`content::ALLOCS_MIME`] block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    /// The figures, and their `Debug` form: what `%allocs -o` shows, as
    /// code would see them.
    Counted { figures: Allocs, shown: String },
    /// Why nothing was counted.
    NotCounting(String),
}

impl Report {
    pub fn counted(figures: Allocs) -> Report {
        Report::Counted { figures, shown: format!("{figures:?}") }
    }

    /// Sends the report to the kernel.
    pub fn emit(&self) {
        content::emit(content::ALLOCS_MIME, &serde_json::to_string(self).expect("figures serialize"));
    }
}

/// Why nothing could be counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotCounting {
    /// The process has no counting allocator: it is not an ndlens session
    /// on Linux with glibc.
    NoLedger,
    /// Another count is running (counts are of the whole process).
    Busy,
}

impl fmt::Display for NotCounting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotCounting::NoLedger => write!(
                f,
                "this process does not count allocations: only an ndlens session's process on Linux with glibc does"
            ),
            NotCounting::Busy => write!(f, "another count is running in this process"),
        }
    }
}

impl std::error::Error for NotCounting {}

/// One live block: its address and size, valid in the count `generation`.
#[derive(Clone, Copy)]
#[repr(C)]
struct Slot {
    address: usize,
    size: usize,
    generation: u64,
}

/// The process's count: one per process, in the session's binary.
#[repr(C)]
pub struct Ledger {
    counting: AtomicBool,
    /// The count is `%allocs`'s, to be reported when it ends.
    reporting: AtomicBool,
    lock: AtomicBool,
    /// The count a slot belongs to; a new count empties the table by
    /// moving on, without touching its pages.
    generation: AtomicU64,
    live: UnsafeCell<u64>,
    tally: UnsafeCell<Allocs>,
    slots: UnsafeCell<[Slot; SLOTS]>,
}

// SAFETY: every field behind an `UnsafeCell` is read and written only with
// `lock` held.
unsafe impl Sync for Ledger {}

impl Default for Ledger {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger {
    /// An idle ledger; all zeros, so that a static one takes no pages until
    /// a count uses them.
    pub const fn new() -> Ledger {
        Ledger {
            counting: AtomicBool::new(false),
            reporting: AtomicBool::new(false),
            lock: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            live: UnsafeCell::new(0),
            tally: UnsafeCell::new(Allocs {
                allocations: 0,
                reallocations: 0,
                frees: 0,
                bytes: 0,
                peak: 0,
                held: 0,
                largest: 0,
                earlier_frees: 0,
                earlier_bytes: 0,
                failed: 0,
                failed_bytes: 0,
                overflowed: false,
            }),
            slots: UnsafeCell::new([Slot { address: 0, size: 0, generation: 0 }; SLOTS]),
        }
    }

    /// Makes this ledger the one the process's cells find. Call it once,
    /// before any thread starts.
    pub fn publish(&'static self) {
        let address = self as *const Ledger as usize;
        // SAFETY: the caller runs this before the process starts threads.
        unsafe { std::env::set_var(LEDGER_VARIABLE, address.to_string()) };
    }

    /// Whether a count is running: the allocator's fast path.
    #[inline]
    pub fn counting(&self) -> bool {
        self.counting.load(Ordering::Relaxed)
    }

    /// A block of `size` bytes was made at `address` (null: the request
    /// failed).
    pub fn allocated(&self, address: usize, size: usize) {
        self.locked(|state| {
            if address == 0 {
                state.failed(size);
            } else {
                state.tally.allocations += 1;
                state.made(address, size);
            }
        });
    }

    /// The block at `old` was resized to `size` bytes at `new`;
    /// `earlier_size` tells the size of a block made before the count.
    pub fn reallocated(&self, old: usize, new: usize, size: usize, earlier_size: impl FnOnce() -> usize) {
        self.locked(|state| {
            if new == 0 {
                state.failed(size);
                return;
            }
            state.tally.reallocations += 1;
            state.released(old, earlier_size, false);
            state.made(new, size);
        });
    }

    /// The block at `address` was freed.
    pub fn freed(&self, address: usize, earlier_size: impl FnOnce() -> usize) {
        self.locked(|state| state.released(address, earlier_size, true));
    }

    fn locked(&self, record: impl FnOnce(&mut State<'_>)) {
        while self.lock.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        // A count may have ended while this call waited.
        if self.counting() {
            // SAFETY: the lock is held.
            let mut state = unsafe {
                State {
                    tally: &mut *self.tally.get(),
                    live: &mut *self.live.get(),
                    slots: &mut *self.slots.get(),
                    generation: self.generation.load(Ordering::Relaxed),
                }
            };
            record(&mut state);
        }
        self.lock.store(false, Ordering::Release);
    }

    fn start(&self) -> Result<(), NotCounting> {
        while self.lock.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        let started = !self.counting();
        if started {
            self.generation.fetch_add(1, Ordering::Relaxed);
            // SAFETY: the lock is held.
            unsafe {
                *self.tally.get() = Allocs::default();
                *self.live.get() = 0;
            }
            self.counting.store(true, Ordering::Relaxed);
        }
        self.lock.store(false, Ordering::Release);
        if started {
            Ok(())
        } else {
            Err(NotCounting::Busy)
        }
    }

    /// The figures so far.
    pub fn tally(&self) -> Allocs {
        while self.lock.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held.
        let tally = unsafe { *self.tally.get() };
        self.lock.store(false, Ordering::Release);
        tally
    }

    /// Ends the count, if one is running, and returns its figures.
    fn stop(&self) -> Allocs {
        while self.lock.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            std::hint::spin_loop();
        }
        self.counting.store(false, Ordering::Relaxed);
        // SAFETY: the lock is held.
        let tally = unsafe { *self.tally.get() };
        self.lock.store(false, Ordering::Release);
        tally
    }
}

/// The ledger's mutable parts, while the lock is held.
struct State<'a> {
    tally: &'a mut Allocs,
    live: &'a mut u64,
    slots: &'a mut [Slot; SLOTS],
    generation: u64,
}

impl State<'_> {
    fn failed(&mut self, size: usize) {
        self.tally.failed += 1;
        self.tally.failed_bytes = self.tally.failed_bytes.max(size as u64);
    }

    fn made(&mut self, address: usize, size: usize) {
        let size64 = size as u64;
        self.tally.bytes += size64;
        self.tally.largest = self.tally.largest.max(size64);
        self.tally.held += size64;
        self.tally.peak = self.tally.peak.max(self.tally.held);
        if *self.live >= MOST_LIVE {
            self.tally.overflowed = true;
            return;
        }
        let mut i = home(address);
        while self.slots[i].generation == self.generation {
            i = (i + 1) % SLOTS;
        }
        self.slots[i] = Slot { address, size, generation: self.generation };
        *self.live += 1;
    }

    /// `address` no longer holds its block: a free when `freed`, or the old
    /// place of a reallocation.
    fn released(&mut self, address: usize, earlier_size: impl FnOnce() -> usize, freed: bool) {
        match self.find(address) {
            Some(i) => {
                self.tally.held -= self.slots[i].size as u64;
                if freed {
                    self.tally.frees += 1;
                }
                self.remove(i);
            }
            None => {
                self.tally.earlier_frees += 1;
                self.tally.earlier_bytes += earlier_size() as u64;
            }
        }
    }

    fn find(&self, address: usize) -> Option<usize> {
        let mut i = home(address);
        while self.slots[i].generation == self.generation {
            if self.slots[i].address == address {
                return Some(i);
            }
            i = (i + 1) % SLOTS;
        }
        None
    }

    /// Removes slot `i`, moving later slots of its run back so that every
    /// block stays reachable from its home slot (linear probing's deletion,
    /// Knuth's algorithm R): no tombstones pile up in a long count.
    fn remove(&mut self, mut i: usize) {
        let mut j = i;
        loop {
            j = (j + 1) % SLOTS;
            if self.slots[j].generation != self.generation {
                break;
            }
            let k = home(self.slots[j].address);
            let stays = if i <= j { i < k && k <= j } else { i < k || k <= j };
            if !stays {
                self.slots[i] = self.slots[j];
                i = j;
            }
        }
        self.slots[i].generation = 0;
        *self.live -= 1;
    }
}

fn home(address: usize) -> usize {
    // Blocks are 16-byte aligned: the low bits say nothing.
    // Fibonacci hashing: the top bits of the product, as many as index a slot.
    ((address >> 4).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) % SLOTS
}

/// Finds the process's ledger for this copy of the crate (reading the
/// environment allocates), so that a later use during a count does not.
pub(crate) fn find_ledger() {
    ledger();
}

/// The process's ledger, when it has one.
fn ledger() -> Option<&'static Ledger> {
    static ADDRESS: OnceLock<usize> = OnceLock::new();
    let address =
        *ADDRESS.get_or_init(|| std::env::var(LEDGER_VARIABLE).ok().and_then(|a| a.parse().ok()).unwrap_or(0));
    // SAFETY: the address is of the session binary's static ledger.
    (address != 0).then(|| unsafe { &*(address as *const Ledger) })
}

/// Runs `f` and returns its value with what it allocated, in the whole
/// process while it ran.
///
/// ```
/// # use ndlens_runtime::allocs::{count, NotCounting};
/// match count(|| vec![0u8; 1000]) {
///     Ok((v, allocs)) => assert_eq!((allocs.allocations, allocs.held), (1, 1000)),
///     Err(e) => assert_eq!(e, NotCounting::NoLedger),
/// }
/// ```
pub fn count<R>(f: impl FnOnce() -> R) -> Result<(R, Allocs), NotCounting> {
    let ledger = ledger().ok_or(NotCounting::NoLedger)?;
    ledger.start()?;
    let guard = Stop(ledger);
    let value = f();
    drop(guard);
    Ok((value, ledger.stop()))
}

struct Stop(&'static Ledger);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Starts `%allocs`'s count, which [`end`] (or a panic) reports as an
/// [`content::ALLOCS_MIME`] block; without a ledger, or with a count
/// running, the block says why nothing is counted.
///
/// `%allocs` runs the statement between the two at the top of the cell,
/// so that its `let`s stay in the session: a guard would be one more
/// binding to store.
pub fn begin() {
    match ledger().ok_or(NotCounting::NoLedger).and_then(|l| l.start().map(|()| l)) {
        Ok(ledger) => ledger.reporting.store(true, Ordering::Relaxed),
        Err(why) => Report::NotCounting(why.to_string()).emit(),
    }
}

/// Ends `%allocs`'s count and reports it.
pub fn end() {
    report();
}

/// Ends any count as a panic starts, so that what the panic allocates to
/// report itself is not counted, and reports `%allocs`'s count as ended
/// early. The panic hook calls it.
pub fn end_by_panic() {
    report();
}

fn report() {
    let Some(ledger) = ledger() else { return };
    let reporting = ledger.reporting.swap(false, Ordering::Relaxed);
    let allocs = ledger.stop();
    if reporting {
        Report::counted(allocs).emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting_ledger() -> &'static Ledger {
        // All zeros is an idle ledger, and too large to build on the stack.
        let layout = std::alloc::Layout::new::<Ledger>();
        // SAFETY: the layout is not empty; the block is leaked, so 'static.
        let ledger: &'static Ledger = unsafe { &*(std::alloc::alloc_zeroed(layout) as *const Ledger) };
        ledger.start().unwrap();
        ledger
    }

    #[test]
    fn frees_match_the_blocks_they_release() {
        let ledger = counting_ledger();
        ledger.allocated(0x1000, 80);
        ledger.allocated(0x2000, 20);
        ledger.freed(0x1000, || unreachable!());
        ledger.freed(0x9000, || 48);
        let tally = ledger.stop();
        assert_eq!((tally.allocations, tally.frees, tally.bytes), (2, 1, 100));
        assert_eq!((tally.peak, tally.held), (100, 20));
        assert_eq!((tally.earlier_frees, tally.earlier_bytes), (1, 48));
        // A stopped count records nothing more.
        ledger.allocated(0x3000, 1);
        assert_eq!(ledger.stop(), tally);
    }

    #[test]
    fn reallocations_move_what_is_held() {
        let ledger = counting_ledger();
        ledger.allocated(0x1000, 8);
        ledger.reallocated(0x1000, 0x5000, 16, || unreachable!());
        ledger.reallocated(0x7000, 0x8000, 32, || 24);
        let tally = ledger.stop();
        assert_eq!((tally.allocations, tally.reallocations, tally.frees), (1, 2, 0));
        assert_eq!((tally.bytes, tally.held, tally.peak, tally.earlier_frees), (56, 48, 48, 1));
    }

    #[test]
    fn colliding_blocks_stay_findable_after_removals() {
        let ledger = counting_ledger();
        // Many blocks, freed in an order unlike their making.
        let addresses: Vec<usize> = (1..5000).map(|i| i * 0x10_0000).collect();
        for &a in &addresses {
            ledger.allocated(a, 1);
        }
        for &a in addresses.iter().step_by(2).chain(addresses.iter().skip(1).step_by(2)) {
            ledger.freed(a, || panic!("block {a:#x} lost"));
        }
        let tally = ledger.stop();
        assert_eq!((tally.frees, tally.held, tally.peak, tally.earlier_frees), (4999, 0, 4999, 0));
    }

    #[test]
    fn a_new_count_starts_empty_and_counts_do_not_nest() {
        let ledger = counting_ledger();
        ledger.allocated(0x1000, 8);
        assert_eq!(ledger.start(), Err(NotCounting::Busy));
        ledger.stop();
        ledger.start().unwrap();
        ledger.freed(0x1000, || 8);
        let tally = ledger.stop();
        assert_eq!((tally.allocations, tally.frees, tally.earlier_frees), (0, 0, 1));
    }

    #[test]
    fn failures_are_counted_apart() {
        let ledger = counting_ledger();
        ledger.allocated(0, 1 << 40);
        let tally = ledger.stop();
        assert_eq!((tally.allocations, tally.failed, tally.failed_bytes), (0, 1, 1 << 40));
    }
}
