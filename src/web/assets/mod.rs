//! Files the pages load, served by the service itself (no CDN: a township office may have no
//! route to one, and what the inspector's browser runs must be what we ship).
//!
//! - `echarts-6.1.0.min.js`: Apache ECharts 6.1.0, `dist/echarts.min.js` of the npm package
//!   `echarts@6.1.0` as published, unchanged (Apache-2.0; `ECHARTS-LICENSE`, `ECHARTS-NOTICE`
//!   beside it). The test below pins its SHA-256: replacing it means a new file name and a new
//!   pin, so a browser never keeps an old copy under the new name.

use actix_web::HttpResponse;

/// Where the pages load ECharts from.
pub const ECHARTS_PATH: &str = "/assets/echarts-6.1.0.min.js";
const ECHARTS: &[u8] = include_bytes!("echarts-6.1.0.min.js");
const ECHARTS_LICENSE: &str = concat!(include_str!("ECHARTS-NOTICE"), "\n", include_str!("ECHARTS-LICENSE"));

/// The vendored ECharts, cached for a year (the name changes with the version).
pub async fn echarts() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(ECHARTS)
}

/// ECharts' notice and licence, as the Apache licence asks of a redistribution.
pub async fn echarts_license() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(ECHARTS_LICENSE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_vendored_echarts_is_the_pinned_release() {
        let digest = Sha256::digest(ECHARTS);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0");
        assert!(ECHARTS_LICENSE.contains("Apache ECharts") && ECHARTS_LICENSE.contains("Apache License"));
    }
}
