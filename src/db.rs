//! The SQLite database: opened in WAL mode with a busy timeout, migrated on start. Owns the
//! installation's own rows (`instance`, `secrets`) and the one way a stored enum is named.

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
    let pool = connect(options, &file).await?;
    // sqlx takes no lock while migrating SQLite: two processes opening a new database at
    // once (the daemon and a `case` command) would both create the tables. A file lock
    // beside the database makes the second wait for the first.
    let migrator = sqlx::migrate!("./migrations");
    let latest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    // A database already up to date is not touched: migrating writes (sqlx makes its own
    // table), and a reader such as `case list` must never contend with the daemon's writes.
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(&pool)
            .await
            .unwrap_or(None);
    if applied.unwrap_or(0) < latest {
        let lock = migration_lock(&file)?;
        let migrated = migrator.run(&pool).await;
        drop(lock);
        migrated.context("migrating the database")?;
    }
    Ok(pool)
}

/// Connects, waiting out another process's lock: setting up a connection can meet a lock
/// before SQLite's busy timeout applies (WAL set-up, recovery after a crash), and a
/// `case list` next to a busy daemon must wait, not fail.
async fn connect(options: SqliteConnectOptions, file: &std::path::Path) -> Result<SqlitePool> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("5") && std::time::Instant::now() < deadline =>
            {
                tracing::debug!("database busy while connecting; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                return Err(e).with_context(|| format!("opening the database {}", file.display()))
            }
        }
    }
}

fn migration_lock(db_file: &std::path::Path) -> Result<Option<std::fs::File>> {
    if db_file.as_os_str().is_empty() || db_file == std::path::Path::new(":memory:") {
        return Ok(None);
    }
    let mut name = db_file.as_os_str().to_owned();
    name.push(".migrate-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)
        .with_context(|| format!("opening {}", std::path::Path::new(&name).display()))?;
    file.lock().context("locking the database for migration")?;
    Ok(Some(file))
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
    stamp(crate::clock::now())
}

/// A time as stored in the database.
pub fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads a stored time.
pub fn parse_stamp(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
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

/// The secret kept under `name`: `fresh` on first use, the kept one ever after (first
/// writer wins, so two processes starting at once agree).
pub async fn kept_secret(pool: &SqlitePool, name: &str, fresh: &str) -> Result<String> {
    sqlx::query("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(pool)
        .await
        .with_context(|| format!("keeping the secret {name}"))?;
    sqlx::query_scalar("SELECT value FROM secrets WHERE name = ?")
        .bind(name)
        .fetch_one(pool)
        .await
        .with_context(|| format!("reading the secret {name}"))
}

/// Names the values of a stored enum, once: `as_str`, `FromStr`, `Display`, `Serialize` and
/// the sqlx mapping to a TEXT column all read this one list, so the name written to the
/// database, shown to people and given to templates cannot drift apart. The names are
/// stable: rows written years ago are read with them.
macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable name stored in the database (also shown to people and templates).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = ::anyhow::Error;

            fn from_str(s: &str) -> ::anyhow::Result<Self> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => ::anyhow::bail!("unknown {} '{other}'", stringify!($ty)),
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl ::sqlx::Type<::sqlx::Sqlite> for $ty {
            fn type_info() -> ::sqlx::sqlite::SqliteTypeInfo {
                <str as ::sqlx::Type<::sqlx::Sqlite>>::type_info()
            }

            fn compatible(ty: &::sqlx::sqlite::SqliteTypeInfo) -> bool {
                <&str as ::sqlx::Type<::sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Sqlite as ::sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'q, ::sqlx::Sqlite>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Sqlite> for $ty {
            fn decode(
                value: ::sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                Ok(<&str as ::sqlx::Decode<'r, ::sqlx::Sqlite>>::decode(value)?.parse()?)
            }
        }
    };
}
pub(crate) use stored_names;

/// Lets a value with rules be read straight from its TEXT column: the column is parsed with
/// the type's `FromStr`, so a row holding something the type refuses fails to read instead
/// of building an invalid value.
macro_rules! read_by_parsing {
    ($($ty:ty),+ $(,)?) => {$(
        impl ::sqlx::Type<::sqlx::Sqlite> for $ty {
            fn type_info() -> ::sqlx::sqlite::SqliteTypeInfo {
                <str as ::sqlx::Type<::sqlx::Sqlite>>::type_info()
            }

            fn compatible(ty: &::sqlx::sqlite::SqliteTypeInfo) -> bool {
                <&str as ::sqlx::Type<::sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Sqlite> for $ty {
            fn decode(
                value: ::sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                Ok(<&str as ::sqlx::Decode<'r, ::sqlx::Sqlite>>::decode(value)?.parse::<$ty>()?)
            }
        }
    )+};
}

read_by_parsing!(
    crate::domain::CaseRef,
    crate::domain::EmailAddress,
    crate::domain::Language,
    crate::domain::Service,
    crate::workflow::step::Step,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn several_processes_may_open_a_new_database_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("new.db").display());
        let opens: Vec<_> = (0..4)
            .map(|_| tokio::spawn(open_owned(url.clone())))
            .collect();
        for open in opens {
            open.await.unwrap().unwrap();
        }
    }

    async fn open_owned(url: String) -> Result<()> {
        open(&url).await.map(|_| ())
    }
}
