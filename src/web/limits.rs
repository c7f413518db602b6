//! Request budgets of the public pages, which need no login: receipt checks (`/r/…`, where
//! guessing codes must stay slow), gateway orders from the pay page (each one costs a call to
//! the gateway) and the public village pages (each sums a village's year), per client address
//! and minute; and who the client is.

use std::time::Duration;

use crate::budget::Budget;

/// Receipt checks per client per minute.
pub const RECEIPT_CHECKS: usize = 60;
/// Gateway orders per client per minute.
pub const ORDERS: usize = 20;
/// Public village pages (村务公开) and chain checks per client per minute: each sums a
/// village's year, so a stranger may not make us do it without end.
pub const VILLAGE_PAGES: usize = 30;

/// What a public request may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    ReceiptCheck,
    Order,
    VillagePage,
}

impl Purpose {
    fn limit(self) -> usize {
        match self {
            Purpose::ReceiptCheck => RECEIPT_CHECKS,
            Purpose::Order => ORDERS,
            Purpose::VillagePage => VILLAGE_PAGES,
        }
    }
}

pub struct PublicLimiter {
    budget: Budget,
}

impl Default for PublicLimiter {
    fn default() -> Self {
        PublicLimiter::new(Duration::from_secs(60))
    }
}

impl PublicLimiter {
    pub fn new(window: Duration) -> PublicLimiter {
        PublicLimiter {
            budget: Budget::new(window),
        }
    }

    /// Counts one request for `purpose` from `client`; false when over its budget.
    pub fn allow(&self, purpose: Purpose, client: &str) -> bool {
        self.budget.allow(&format!("{purpose:?}|{client}"), purpose.limit())
    }
}

/// The client's address: the peer, or behind a trusted reverse proxy the address the proxy
/// added last to `X-Forwarded-For` (`trust_forwarded_for`).
pub fn client(req: &actix_web::HttpRequest) -> String {
    let trust = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .is_some_and(|s| s.config.trust_forwarded_for);
    if trust {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
            .last();
        if let Some(a) = forwarded {
            return a.to_string();
        }
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_has_its_own_budget_per_client() {
        let l = PublicLimiter::new(Duration::from_secs(60));
        assert!((0..ORDERS).all(|_| l.allow(Purpose::Order, "10.0.0.1")));
        assert!(!l.allow(Purpose::Order, "10.0.0.1"), "the 21st order in a minute");
        assert!(l.allow(Purpose::Order, "10.0.0.2"), "another client");
        assert!(l.allow(Purpose::ReceiptCheck, "10.0.0.1"), "another purpose");
    }
}
