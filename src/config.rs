//! Configuration, in layers: built-in defaults, then a TOML file (`qingzhang.toml` in the
//! working directory, or `--config PATH`), then `QINGZHANG_*` environment variables
//! (`QINGZHANG_BIND`, `QINGZHANG_DATA_DIR`, …) and finally `DATABASE_URL`.
//!
//! An empty `database_url` means the embedded default: a SQLite file in the data directory.
//! The server key (HMAC for chain heads, later receipts and QR tokens) is a [`Secret`]; when none
//! is configured, one is generated once into `<data_dir>/server.key` (mode 0600).

use bank_adapters::Secret;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The CJK font embedded in receipt PDFs: Debian's fonts-wqy-microhei (Latin and CJK in one face).
pub const DEFAULT_PDF_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Where the SQLite file, the generated server key and other local state live.
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; empty for the SQLite file in `data_dir`.
    pub database_url: String,
    /// Database connections in the pool.
    pub pool_size: u32,
    /// Hours an API token from `/api/v1/auth/login` stays valid.
    pub token_ttl_hours: i64,
    /// Log as JSON lines (production) rather than human-readable text.
    pub log_json: bool,
    /// The public base URL QR codes point to (`https://…` in production).
    pub public_url: String,
    /// Seconds between rounds of querying gateway orders that got no notification (0: never).
    pub order_query_secs: u64,
    /// A TrueType font (or collection) with Latin and CJK glyphs, embedded in receipt PDFs.
    pub pdf_font: PathBuf,
    /// Behind a reverse proxy: take the client's address from the last `X-Forwarded-For` entry
    /// (the one the proxy added) for the request budgets, instead of the proxy's own address.
    /// Only set it when every request reaches the service through that proxy.
    pub trust_forwarded_for: bool,
    /// Days a stranger's refused callback (kept as a digest) stays in the inbox.
    pub inbox_digest_days: i64,
    /// Seconds a request body may take to arrive in full.
    pub body_deadline_secs: u64,
    /// A directory of statement layouts (`*.toml` or `*.json`) an admin adds to the built-in
    /// ones; read and checked at start-up.
    pub statement_profiles_dir: Option<PathBuf>,
    /// Beijing time (HH:MM) after which the service fetches yesterday's statement of every
    /// account whose bank binding has a statement API, and reconciles it; empty: never.
    pub statement_fetch_at: String,
    /// The inspection rules' thresholds (`[inspection.thresholds]`), rules switched off
    /// (`rules_off`) and per-village overrides (`[inspection.villages."<code>"]`); checked at
    /// start-up.
    pub inspection: crate::inspect::thresholds::InspectionConfig,
    /// Beijing time (HH:MM) after which the service runs every rule over each county, over
    /// the last twelve months; empty: never.
    pub inspect_at: String,
    /// Hex HMAC key; generated into the data directory when absent.
    #[serde(skip_serializing, default)]
    pub server_key: Option<Secret<String>>,
    /// Hex AES-256 key that seals provider secrets at rest (`QINGZHANG_SECRETS_KEY`); generated
    /// into the data directory when absent.
    #[serde(skip_serializing, default)]
    pub secrets_key: Option<Secret<String>>,
    /// The previous secrets key during a rotation: it still opens, the new one seals.
    #[serde(skip_serializing, default)]
    pub secrets_key_previous: Option<Secret<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            pool_size: 16,
            token_ttl_hours: 12,
            log_json: false,
            public_url: "http://127.0.0.1:8080".into(),
            order_query_secs: 30,
            pdf_font: PathBuf::from(DEFAULT_PDF_FONT),
            trust_forwarded_for: false,
            inbox_digest_days: 30,
            body_deadline_secs: 15,
            statement_profiles_dir: None,
            statement_fetch_at: "06:00".into(),
            inspection: Default::default(),
            inspect_at: "02:00".into(),
            server_key: None,
            secrets_key: None,
            secrets_key_previous: None,
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        let file = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("qingzhang.toml"));
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("QINGZHANG_"))
            .extract()
            .map_err(Box::new)?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                config.database_url = url;
            }
        }
        Ok(config)
    }

    /// The database to connect to: the configured URL, or the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            self.data_dir.join("qingzhang.db").to_string_lossy().into_owned()
        } else {
            self.database_url.clone()
        }
    }

    /// The statement layouts: the built-in ones and those in `statement_profiles_dir`. A file
    /// that does not read as a valid profile stops the start, naming the file.
    pub fn statement_profiles(&self) -> Result<crate::reconcile::profile::Profiles, String> {
        use crate::reconcile::profile::{Profile, Profiles};
        let mut extra = Vec::new();
        if let Some(dir) = &self.statement_profiles_dir {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| format!("statement_profiles_dir {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml" || x == "json"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
                extra.push(Profile::from_text(&text).map_err(|e| format!("{}: {e}", f.display()))?);
            }
        }
        Profiles::with(extra).map_err(|e| e.to_string())
    }

    /// When the nightly statement fetch may run (Beijing time), or None when it is off.
    pub fn statement_fetch_time(&self) -> Result<Option<chrono::NaiveTime>, String> {
        daily_time("statement_fetch_at", &self.statement_fetch_at)
    }

    /// When the nightly inspection may run (Beijing time), or None when it is off.
    pub fn inspect_time(&self) -> Result<Option<chrono::NaiveTime>, String> {
        daily_time("inspect_at", &self.inspect_at)
    }

    /// The server's HMAC key: configured, or read from (and if need be created in) the data dir.
    pub fn server_key(&self) -> std::io::Result<Secret<Vec<u8>>> {
        self.key_or_file(self.server_key.as_ref(), "server_key", "server.key")
    }

    /// The keys that seal provider secrets: the configured (or generated) key seals, the
    /// previous one, if any, still opens.
    pub fn sealing_keys(&self) -> std::io::Result<crate::payments::sealing::SealingKeys> {
        let mut keys = Vec::new();
        let current = self.key_or_file(self.secrets_key.as_ref(), "secrets_key", "secrets.key")?;
        keys.push(sealing_entry(current.expose())?);
        if let Some(prev) = &self.secrets_key_previous {
            let k = hex::decode(prev.expose().trim())
                .map_err(|e| invalid(format!("secrets_key_previous is not hex: {e}")))?;
            keys.push(sealing_entry(&k)?);
        }
        Ok(crate::payments::sealing::SealingKeys::new(keys))
    }

    fn key_or_file(
        &self,
        configured: Option<&Secret<String>>,
        name: &str,
        file: &str,
    ) -> std::io::Result<Secret<Vec<u8>>> {
        if let Some(k) = configured {
            return hex::decode(k.expose().trim())
                .map(Secret::new)
                .map_err(|e| invalid(format!("{name} is not hex: {e}")));
        }
        let path = self.data_dir.join(file);
        if let Ok(text) = std::fs::read_to_string(&path) {
            return hex::decode(text.trim())
                .map(Secret::new)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display())));
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let key: [u8; 32] = rand::random();
        bank_adapters::secret::create_private(&path, hex::encode(key).as_bytes())?;
        tracing::warn!(path = %path.display(), "generated a new {name}; back it up with the database");
        Ok(Secret::new(key.to_vec()))
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// A sealing key and its id (the first eight hex digits of its SHA-256, so ids need no naming).
/// A time of day in Beijing time (HH:MM), or None when the setting is empty.
fn daily_time(key: &str, value: &str) -> Result<Option<chrono::NaiveTime>, String> {
    match value.trim() {
        "" => Ok(None),
        t => chrono::NaiveTime::parse_from_str(t, "%H:%M")
            .map(Some)
            .map_err(|_| format!("{key} must be HH:MM (Beijing time), not '{t}'")),
    }
}

fn sealing_entry(key: &[u8]) -> std::io::Result<(String, [u8; 32])> {
    use sha2::Digest;
    let k: [u8; 32] = key
        .try_into()
        .map_err(|_| invalid("a secrets key is 32 bytes (64 hex digits)".into()))?;
    let id = hex::encode(sha2::Sha256::digest(k))[..8].to_string();
    Ok((id, k))
}
