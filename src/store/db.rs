//! Connections, the pool, migrations and the one transaction helper.
//!
//! One code base, two databases: `DbConnection` is diesel's `MultiConnection` over PostgreSQL
//! (production) and SQLite (the embedded default, one file in WAL mode). Every use case runs
//! in exactly one transaction through [`Db::write`] or [`Db::read`], on the blocking pool, with
//! the caller's tracing span carried in.

use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

use super::StoreError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Settings every SQLite connection gets: WAL so readers never block the writer, foreign keys
/// enforced, a busy timeout so concurrent writers wait instead of failing, and FULL sync so an
/// acknowledged write survives a power cut, not only a crash. The page cache stays SQLite's
/// default (2 MiB a connection): bulk work asks for more while it runs ([`with_large_cache`]).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// Runs bulk work (a year of statement lines imported, matched or reported) with more memory
/// than a request gets, and gives it back afterwards, however the work ends.
///
/// - SQLite: a 32 MiB page cache on the connection. With the default 2 MiB a year's
///   reconciliation read the same pages from the OS again and again, while sixteen pooled
///   connections each keeping 32 MiB would be half a gigabyte.
/// - PostgreSQL: 64 MiB of `work_mem` for the caller's transaction (`SET LOCAL`, gone at its
///   end). With the default 4 MiB, sorting two months of an account's lines and credits into
///   booking order spilled to temporary files (EXPLAIN); the year's benchmark showed no time
///   gained by keeping them in memory, only the disk writes saved.
pub fn with_large_cache<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let c = match conn {
        DbConnection::Pg(c) => {
            c.batch_execute("SET LOCAL work_mem = '64MB'")?;
            return f(conn);
        }
        DbConnection::Sqlite(c) => c,
    };
    c.batch_execute("PRAGMA cache_size = -32768")?;
    let result = f(conn);
    if let DbConnection::Sqlite(c) = conn {
        // Shrinking the cache frees the pages above the new size.
        c.batch_execute("PRAGMA cache_size = -2000")?;
    }
    result
}

#[derive(Debug)]
struct Pragmas;

/// A writer that waits this long for a village's lock (see `store::lock`) gives up; its
/// transaction is retried, then refused as a conflict: nothing waits forever.
const PG_SETTINGS: &str = "SET lock_timeout = '10s'";

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        match conn {
            DbConnection::Sqlite(c) => c.batch_execute(SQLITE_PRAGMAS),
            DbConnection::Pg(c) => c.batch_execute(PG_SETTINGS),
        }
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

/// The database: a pool and which backend is behind it.
///
/// On SQLite, which allows one writer at a time, write transactions take their connection from
/// a separate one-connection pool: writers then queue in the process instead of polling SQLite's
/// lock with its busy handler's sleeps. Other processes still coordinate through the lock.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConnection>>,
    writer: Pool<ConnectionManager<DbConnection>>,
    backend: Backend,
    /// Inside [`Db::all_or_nothing`]: the one connection, in its open transaction, that every
    /// use case's transaction nests in (as a savepoint).
    pinned: Option<std::sync::Arc<std::sync::Mutex<PooledConn>>>,
}

impl Db {
    /// Connects a pool to `url` (`postgres://…` or a SQLite file path / `sqlite://path`).
    pub fn connect(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        let backend = backend_of(url);
        let url = match backend {
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_string(),
            Backend::Postgres => url.to_string(),
        };
        if backend == Backend::Sqlite {
            create_private(&url)?;
        }
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                // No connection is opened ahead of demand: with min_idle > 0, r2d2 opens a
                // replacement in the background as soon as the last idle one is checked out,
                // and a process that exits during that TLS handshake can die in libpq's and
                // OpenSSL's exit-time cleanup (seen once in CI as `verify` killed by a signal
                // after its report). Opened connections stay idle for reuse either way.
                .min_idle(Some(0))
                .connection_timeout(Duration::from_secs(5))
                .connection_customizer(Box::new(Pragmas))
                .build(ConnectionManager::<DbConnection>::new(url.clone()))
                .map_err(|e| StoreError::Unavailable(e.to_string()))
        };
        let pool = build(max_connections)?;
        let writer = match backend {
            Backend::Sqlite => build(1)?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Db {
            pool,
            writer,
            backend,
            pinned: None,
        })
    }

    /// How many connections the read pool holds: the most work that can read at once.
    pub fn readers(&self) -> usize {
        self.pool.max_size() as usize
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection of its own, outside any transaction; never inside [`Db::all_or_nothing`],
    /// whose work must all go through the pinned connection.
    pub fn conn(&self) -> Result<PooledConn, StoreError> {
        debug_assert!(
            self.pinned.is_none(),
            "Db::conn inside all_or_nothing escapes its transaction"
        );
        self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Applies every pending migration of this backend.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        run_migrations(&mut conn)
    }

    /// Runs `f` in one write transaction. On SQLite the transaction starts with
    /// `BEGIN IMMEDIATE`, taking the write lock up front: two deferred transactions that both
    /// read and then write would otherwise deadlock, and SQLite answers that with an error
    /// instead of waiting.
    ///
    /// A transaction that fails with a retryable error (see [`Retryable`]) is rolled back and
    /// run again, up to five times: the closure must therefore be safe to repeat, which it is
    /// when all its effects are in the transaction.
    pub fn write<T, E>(&self, mut f: impl FnMut(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error> + Retryable,
    {
        if let Some(pinned) = &self.pinned {
            let mut conn = pinned.lock().unwrap_or_else(|e| e.into_inner());
            let conn: &mut DbConnection = &mut conn;
            return conn.transaction(f);
        }
        let mut conn = self.writer.get().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut attempt = 1;
        loop {
            match write_tx(&mut conn, &mut f) {
                Err(e) if e.is_retryable() && attempt < 5 => {
                    tracing::debug!(attempt, "retrying transaction");
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(2 * attempt as u64));
                }
                other => return other,
            }
        }
    }

    /// Runs `f` on a connection without a transaction: for a single read statement, where a
    /// transaction would only add round trips.
    pub fn once<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if let Some(pinned) = &self.pinned {
            return f(&mut pinned.lock().unwrap_or_else(|e| e.into_inner()));
        }
        let mut pooled = self.conn()?;
        f(&mut pooled)
    }

    /// Runs `f` with a `Db` whose every transaction nests, as a savepoint, in one transaction on
    /// one connection: when `f` fails, nothing it did through the use cases is kept (a history
    /// file is refused whole). On SQLite that transaction holds the write lock from the start.
    pub fn all_or_nothing<T, E>(&self, f: impl FnOnce(&Db) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        if self.pinned.is_some() {
            // Already inside one: the outer transaction decides.
            return f(self);
        }
        let conn = self.writer.get().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let shared = std::sync::Arc::new(std::sync::Mutex::new(conn));
        {
            let mut c = shared.lock().unwrap_or_else(|e| e.into_inner());
            match &mut **c {
                DbConnection::Sqlite(inner) => {
                    diesel::connection::AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
                }
                other => <DbConnection as Connection>::TransactionManager::begin_transaction(other)?,
            }
        }
        let pinned = Db {
            pinned: Some(shared.clone()),
            ..self.clone()
        };
        let result = f(&pinned);
        drop(pinned);
        let mut c = shared.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(v) => {
                <DbConnection as Connection>::TransactionManager::commit_transaction(&mut c)?;
                Ok(v)
            }
            Err(e) => {
                <DbConnection as Connection>::TransactionManager::rollback_transaction(&mut c)?;
                Err(e)
            }
        }
    }

    /// Runs `f` in one read transaction (a consistent snapshot on PostgreSQL).
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        if let Some(pinned) = &self.pinned {
            let mut conn = pinned.lock().unwrap_or_else(|e| e.into_inner());
            let conn: &mut DbConnection = &mut conn;
            return conn.transaction(f);
        }
        let mut pooled = self.conn()?;
        let conn: &mut DbConnection = &mut pooled;
        conn.transaction(f)
    }

    /// A read that sees one snapshot of the database throughout: on PostgreSQL a REPEATABLE READ,
    /// READ ONLY transaction (its default, READ COMMITTED, gives each query its own snapshot);
    /// SQLite's read transaction is one snapshot already. For reports of several queries that a
    /// concurrent write must not split. Inside a pinned connection's transaction the
    /// surrounding transaction decides.
    pub fn snapshot<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError> + From<diesel::result::Error>,
    {
        let pinned = self.pinned.is_some();
        self.read(|conn| {
            if let (DbConnection::Pg(pg), false) = (&mut *conn, pinned) {
                use diesel::connection::SimpleConnection;
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
            }
            f(conn)
        })
    }

    /// Runs a blocking database closure on actix's blocking pool, inside the caller's span.
    pub async fn run<T, E>(&self, f: impl FnOnce(&Db) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || span.in_scope(|| f(&db)))
            .await
            .map_err(|e| E::from(StoreError::Unavailable(format!("blocking pool: {e}"))))?
    }
}

/// Creates the SQLite file readable by its owner only, before SQLite does (it would create it
/// with the process's default, often world-readable, and gives its WAL and shared-memory files
/// the same permissions as the database file).
fn create_private(path: &str) -> Result<(), StoreError> {
    if path == ":memory:" || path.is_empty() || std::path::Path::new(path).exists() {
        return Ok(());
    }
    match bank_adapters::secret::create_private(std::path::Path::new(path), b"") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(format!("{path}: {e}"))),
    }
}

/// An error after which running the whole transaction again may succeed.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for StoreError {
    fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Retry(_))
    }
}

pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let source = match conn {
        DbConnection::Pg(_) => PG_MIGRATIONS,
        DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    };
    let applied = match conn {
        DbConnection::Pg(c) => c
            .run_pending_migrations(source)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(source)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Applies the next pending migration only; None when none is pending (reversibility tests).
pub fn run_next_migration(conn: &mut DbConnection) -> Result<Option<String>, StoreError> {
    let pending = match conn {
        DbConnection::Pg(c) => c.pending_migrations(PG_MIGRATIONS).map(|v| v.len()),
        DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    if pending == 0 {
        return Ok(None);
    }
    let applied = match conn {
        DbConnection::Pg(c) => {
            let next = c
                .pending_migrations(PG_MIGRATIONS)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            c.run_migration(&*next[0]).map(|v| v.to_string())
        }
        DbConnection::Sqlite(c) => {
            let next = c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            c.run_migration(&*next[0]).map(|v| v.to_string())
        }
    };
    applied.map(Some).map_err(|e| StoreError::Migration(e.to_string()))
}

/// Reverts the newest applied migration (reversibility tests).
pub fn revert_last_migration(conn: &mut DbConnection) -> Result<String, StoreError> {
    let reverted = match conn {
        DbConnection::Pg(c) => c.revert_last_migration(PG_MIGRATIONS).map(|v| v.to_string()),
        DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS).map(|v| v.to_string()),
    };
    reverted.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Reverts every applied migration, newest first (used by the reversibility test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let reverted = match conn {
        DbConnection::Pg(c) => c
            .revert_all_migrations(PG_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Sqlite(c) => c
            .revert_all_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    reverted.map_err(|e| StoreError::Migration(e.to_string()))
}

/// The write transaction used by [`Db::write`]; see there.
pub fn write_tx<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(inner) = conn else {
        return conn.transaction(f);
    };
    diesel::connection::AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}
