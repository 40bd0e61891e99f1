//! The SQLite database: opened in WAL mode with a busy timeout, migrated on start.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// A transaction on the database, as passed between stages.
pub type Tx = Transaction<'static, Sqlite>;

/// Opens (creating if missing) and migrates the database at `url`.
pub async fn open(url: &str) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database.url: cannot read '{url}'"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed ledger row or outbox change survives power loss, not only kill -9.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let file: PathBuf = options.get_filename().to_path_buf();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .with_context(|| format!("opening the database {}", file.display()))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("migrating the database")?;
    Ok(pool)
}

/// Starts a write transaction that takes the write lock at once, so two writers never
/// deadlock upgrading a read lock (SQLite has no row locks).
pub async fn begin_write(pool: &SqlitePool) -> Result<Tx> {
    pool.begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting a database transaction")
}

/// The current time, as stored in the database (RFC 3339, UTC, seconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// This installation's random token, made on first use and kept in the database.
pub async fn instance_token(pool: &SqlitePool) -> Result<String> {
    use rand::Rng;
    let fresh: String = hex::encode(rand::thread_rng().gen::<[u8; 16]>());
    sqlx::query("INSERT INTO instance (id, token) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")
        .bind(&fresh)
        .execute(pool)
        .await
        .context("recording the installation token")?;
    sqlx::query_scalar("SELECT token FROM instance WHERE id = 1")
        .fetch_one(pool)
        .await
        .context("reading the installation token")
}
