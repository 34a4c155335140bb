//! QuickSight's call-rate limit: so many API calls per second per account,
//! more get `ThrottlingException`. Counted over a sliding one-second window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::state::Sim;
use crate::wire::{ApiError, ErrorKind};

/// Calls are counted over this window for the per-second limit.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// The calls an account made in the last second.
#[derive(Default)]
pub(crate) struct CallWindow {
    admitted: VecDeque<Instant>,
}

impl CallWindow {
    /// Admits a call made at `now` when fewer than `limit` were admitted in
    /// the second before it. A refused call does not count, so a client that
    /// backs off gets through once the window moves on.
    pub fn admit(&mut self, now: Instant, limit: usize) -> bool {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= RATE_WINDOW)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() >= limit {
            return false;
        }
        self.admitted.push_back(now);
        true
    }
}

impl Sim {
    /// Counts one call against the account's rate limit, or refuses it.
    pub(crate) fn admit(&self, account_id: &str) -> Result<(), ApiError> {
        let limit = self.config.calls_per_second;
        let mut state = self.state();
        state.stats.calls += 1;
        let account = state.accounts.entry(account_id.to_string()).or_default();
        if account.calls.admit(Instant::now(), limit) {
            Ok(())
        } else {
            state.stats.throttled += 1;
            Err(ApiError::new(ErrorKind::Throttling, "Rate exceeded"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_call_over_the_limit_waits_for_the_window_to_move() {
        let start = Instant::now();
        let mut window = CallWindow::default();
        for i in 0..10 {
            assert!(window.admit(start + Duration::from_millis(i * 10), 10));
        }
        assert!(!window.admit(start + Duration::from_millis(500), 10));
        // The refused call did not count: the first call leaves the window
        // one second after it was made, and makes room for exactly one.
        assert!(window.admit(start + RATE_WINDOW, 10));
        assert!(!window.admit(start + RATE_WINDOW, 10));
    }
}
