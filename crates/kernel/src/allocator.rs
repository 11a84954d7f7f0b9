//! The session process's allocator: the C library's, counted.
//!
//! `%allocs` must see every buffer a statement makes, whoever makes it: the
//! cell's code, ndarray, the lens, std, C code, other threads. All of them
//! allocate through `malloc` and its family in the end, and a symbol the
//! executable defines comes before the C library's for every library the
//! process loads (the dynamic linker searches the executable first; the
//! linker exports these because the C library defines them too). So this
//! binary defines the family, records into one [`Ledger`] and hands each
//! call to glibc's own entry points (`__libc_malloc`, …), as heaptrack and
//! bytehound do from a preloaded library. The kernel's own process has
//! them too and never counts; then each call costs one relaxed load.
//!
//! Nothing here may allocate: the ledger lives in a static and its table
//! in zeroed pages that are only touched while a count runs.

use ndlens_runtime::allocs::Ledger;

static LEDGER: Ledger = Ledger::new();

/// Makes the ledger the one this process's cells count with. Call it
/// first in `main`, before any thread starts.
pub fn publish() {
    LEDGER.publish();
}

const EINVAL: i32 = 22;
const ENOMEM: i32 = 12;

extern "C" {
    fn __libc_malloc(size: usize) -> *mut u8;
    fn __libc_calloc(count: usize, size: usize) -> *mut u8;
    fn __libc_realloc(block: *mut u8, size: usize) -> *mut u8;
    fn __libc_free(block: *mut u8);
    fn __libc_memalign(alignment: usize, size: usize) -> *mut u8;
    fn malloc_usable_size(block: *mut u8) -> usize;
}

extern "C" {
    fn write(fd: i32, bytes: *const u8, count: usize) -> isize;
}

/// Records `block` of `size` bytes; a failed request during a count is
/// also told on standard error, with the counts so far, because std then
/// ends the process (a failed allocation aborts) and the count with it.
fn allocated(block: *mut u8, size: usize) {
    LEDGER.allocated(block as usize, size);
    if block.is_null() {
        tell_failure(size);
    }
}

fn tell_failure(size: usize) {
    use std::io::Write;
    let tally = LEDGER.tally();
    let mut buffer = [0u8; 256];
    let mut line = &mut buffer[..];
    // Writing into a slice allocates nothing.
    let _ = writeln!(
        line,
        "%allocs: a request for {size} bytes failed (more than the machine could give), after {} allocations of {} bytes",
        tally.allocations, tally.bytes
    );
    let written = 256 - line.len();
    // SAFETY: the buffer holds `written` initialised bytes.
    unsafe { write(2, buffer.as_ptr(), written) };
}

fn usable_size(block: *mut u8) -> impl FnOnce() -> usize {
    // SAFETY: called before the block is freed, on a live block.
    move || unsafe { malloc_usable_size(block) }
}

/// # Safety
/// As C's `malloc`.
#[no_mangle]
pub unsafe extern "C" fn malloc(size: usize) -> *mut u8 {
    let block = __libc_malloc(size);
    if LEDGER.counting() {
        allocated(block, size);
    }
    block
}

/// # Safety
/// As C's `calloc`.
#[no_mangle]
pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut u8 {
    let block = __libc_calloc(count, size);
    if LEDGER.counting() {
        allocated(block, count.saturating_mul(size));
    }
    block
}

/// # Safety
/// As C's `realloc`.
#[no_mangle]
pub unsafe extern "C" fn realloc(block: *mut u8, size: usize) -> *mut u8 {
    if !LEDGER.counting() {
        return __libc_realloc(block, size);
    }
    if block.is_null() {
        return malloc(size);
    }
    if size == 0 {
        free(block);
        return std::ptr::null_mut();
    }
    // The old block's size must be read before glibc may release it.
    let old_size = malloc_usable_size(block);
    let moved = __libc_realloc(block, size);
    LEDGER.reallocated(block as usize, moved as usize, size, || old_size);
    if moved.is_null() {
        tell_failure(size);
    }
    moved
}

/// # Safety
/// As C's `free`.
#[no_mangle]
pub unsafe extern "C" fn free(block: *mut u8) {
    if !block.is_null() && LEDGER.counting() {
        LEDGER.freed(block as usize, usable_size(block));
    }
    __libc_free(block)
}

/// # Safety
/// As C's `memalign`.
#[no_mangle]
pub unsafe extern "C" fn memalign(alignment: usize, size: usize) -> *mut u8 {
    let block = __libc_memalign(alignment, size);
    if LEDGER.counting() {
        allocated(block, size);
    }
    block
}

/// # Safety
/// As C's `aligned_alloc`.
#[no_mangle]
pub unsafe extern "C" fn aligned_alloc(alignment: usize, size: usize) -> *mut u8 {
    memalign(alignment, size)
}

/// # Safety
/// As C's `posix_memalign`; std asks it for blocks aligned beyond 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut u8, alignment: usize, size: usize) -> i32 {
    if !alignment.is_power_of_two() || !alignment.is_multiple_of(size_of::<usize>()) {
        return EINVAL;
    }
    let block = memalign(alignment, size);
    if block.is_null() {
        return ENOMEM;
    }
    *out = block;
    0
}
