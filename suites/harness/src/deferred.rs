//! Waiting for what the kernel does later: a domain is freed from a
//! workqueue after an RCU grace period, a task's credentials go when its
//! last reference does. A test waits for such a consequence up to a
//! deadline, long enough that a correct kernel always meets it, and fails
//! if it never comes: a liveness check, not a timing one.

use crate::runner::TIMEOUT_SCALE_ENV;
use std::time::{Duration, Instant};

/// How long the kernel may take to do what it defers: 10 s, stretched as
/// the runner stretches test timeouts on slow machines.
pub fn kernel_deadline() -> Duration {
    let scale: u32 = std::env::var(TIMEOUT_SCALE_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    Duration::from_secs(10) * scale.max(1)
}

/// Polls `done` every 10 ms until it returns `Some`, or `None` once
/// [`kernel_deadline`] has passed; an `Err` from it ends the wait.
pub fn within_deadline<T, E>(
    mut done: impl FnMut() -> Result<Option<T>, E>,
) -> Result<Option<T>, E> {
    let until = Instant::now() + kernel_deadline();
    loop {
        if let Some(v) = done()? {
            return Ok(Some(v));
        }
        if Instant::now() >= until {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
