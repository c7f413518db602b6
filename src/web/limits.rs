//! A per-client request budget for the public pages, which need no login: receipt checks
//! (`/r/…`, where guessing codes must stay slow) and gateway orders from the pay page (each one
//! costs a call to the gateway). A sliding window per client address and purpose; the map
//! forgets idle clients before it can grow large.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct PublicLimiter {
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    window: Duration,
}

const MAX_KEYS: usize = 50_000;

/// Receipt checks per client per window.
pub const RECEIPT_CHECKS: usize = 60;
/// Gateway orders per client per window.
pub const ORDERS: usize = 20;

impl Default for PublicLimiter {
    fn default() -> Self {
        PublicLimiter::new(Duration::from_secs(60))
    }
}

impl PublicLimiter {
    pub fn new(window: Duration) -> PublicLimiter {
        PublicLimiter {
            hits: Mutex::new(HashMap::new()),
            window,
        }
    }

    /// Counts one request of `purpose` from `client`; false when over `limit` in the window.
    pub fn allow(&self, purpose: &str, client: &str, limit: usize) -> bool {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let times = map.entry(format!("{purpose}|{client}")).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            times.pop_front();
        }
        if times.len() >= limit {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// The client's address as the server sees it (behind a proxy: the proxy's, so set the proxy's
/// own limits too).
pub fn client(req: &actix_web::HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_budget_waits_for_the_window_and_others_are_not_affected() {
        let l = PublicLimiter::new(Duration::from_millis(200));
        assert!((0..3).all(|_| l.allow("r", "10.0.0.1", 3)));
        assert!(!l.allow("r", "10.0.0.1", 3));
        assert!(l.allow("r", "10.0.0.2", 3), "another client");
        assert!(l.allow("order", "10.0.0.1", 3), "another purpose");
        std::thread::sleep(Duration::from_millis(220));
        assert!(l.allow("r", "10.0.0.1", 3), "the window passed");
    }
}
