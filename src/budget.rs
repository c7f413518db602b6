//! Budgets for what strangers can make the service do: sliding windows per key, in maps that
//! forget idle keys before they can grow large (a stranger chooses the keys).
//!
//! Used by the public pages (receipt checks, gateway orders), the login (failures per client and
//! per username) and the callback inbox (refusals a stranger can make us store). In memory and
//! per process: a budget slows one process's stranger; it is not bookkeeping, and losing it at a
//! restart loses nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys a budget remembers at most; beyond, idle keys are forgotten first, then the oldest.
const MAX_KEYS: usize = 50_000;

/// At most `limit` events per key in a sliding `window`.
pub struct Budget {
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
    window: Duration,
}

impl Budget {
    pub fn new(window: Duration) -> Budget {
        Budget {
            hits: Mutex::new(HashMap::new()),
            window,
        }
    }

    /// Counts one event for `key`; false (and not counted) when `limit` were already seen in
    /// the window.
    pub fn allow(&self, key: &str, limit: usize) -> bool {
        let now = Instant::now();
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let window = self.window;
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < window));
            if map.len() >= MAX_KEYS {
                // Still full of live keys: an attack with many keys; the newest key waits.
                return false;
            }
        }
        let times = map.entry(key.to_string()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            times.pop_front();
        }
        if times.len() >= limit {
            return false;
        }
        times.push_back(now);
        true
    }

    /// How many events `key` has in the window, without counting one.
    pub fn count(&self, key: &str) -> usize {
        let now = Instant::now();
        let map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .map(|times| times.iter().filter(|t| now.duration_since(**t) < self.window).count())
            .unwrap_or(0)
    }

    /// When `key`'s last counted event was, if it has one in the window.
    pub fn last(&self, key: &str) -> Option<Instant> {
        let map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .and_then(|times| times.back().copied())
            .filter(|t| t.elapsed() < self.window)
    }

    /// Forgets `key` (a success clears a run of failures).
    pub fn forget(&self, key: &str) {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// Keys seen within a window: "have we stored this very request a moment ago?".
pub struct Recent {
    seen: Mutex<HashMap<String, Instant>>,
    window: Duration,
}

impl Recent {
    pub fn new(window: Duration) -> Recent {
        Recent {
            seen: Mutex::new(HashMap::new()),
            window,
        }
    }

    /// True if `key` was seen within the window; remembers it either way.
    pub fn seen(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut map = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, t| now.duration_since(*t) < window);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        match map.insert(key.to_string(), now) {
            Some(t) => now.duration_since(t) < self.window,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_budget_waits_for_the_window_and_others_are_not_affected() {
        let b = Budget::new(Duration::from_millis(200));
        assert!((0..3).all(|_| b.allow("10.0.0.1", 3)));
        assert!(!b.allow("10.0.0.1", 3));
        assert_eq!(b.count("10.0.0.1"), 3);
        assert!(b.allow("10.0.0.2", 3), "another key");
        std::thread::sleep(Duration::from_millis(220));
        assert!(b.allow("10.0.0.1", 3), "the window passed");
        b.forget("10.0.0.1");
        assert_eq!(b.count("10.0.0.1"), 0);
    }

    #[test]
    fn a_flood_of_keys_never_grows_the_map_past_its_bound() {
        let b = Budget::new(Duration::from_secs(60));
        for i in 0..(MAX_KEYS + 100) {
            b.allow(&format!("k{i}"), 5);
        }
        assert!(b.hits.lock().unwrap().len() <= MAX_KEYS);
        let r = Recent::new(Duration::from_secs(60));
        for i in 0..(MAX_KEYS + 100) {
            r.seen(&format!("k{i}"));
        }
        assert!(r.seen.lock().unwrap().len() <= MAX_KEYS);
    }

    #[test]
    fn a_repeat_is_seen_within_its_window_only() {
        let r = Recent::new(Duration::from_millis(100));
        assert!(!r.seen("a"));
        assert!(r.seen("a"));
        std::thread::sleep(Duration::from_millis(120));
        assert!(!r.seen("a"));
    }
}
