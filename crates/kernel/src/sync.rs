//! Locks that outlive a panicked holder.
//!
//! The kernel's shared state (the session process handle, the output sink)
//! stays meaningful after a thread that held it panicked, and the kernel
//! must keep serving, so a poisoned lock is taken over rather than
//! propagated.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking it over if a holder panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
