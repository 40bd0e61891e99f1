//! The daemon under measurement: the release binary run as `egov-desk run` with a config
//! file, watched from outside through a read-only connection to its database and through
//! `/proc` for its memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// A running `egov-desk run`.
pub struct Running {
    child: Child,
    /// When it was started.
    pub started: Instant,
}

impl Running {
    /// Starts the binary with `config`, its log appended to `log`.
    pub fn start(dir: &Path, config: &Path, log: &Path) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_egov-desk"))
            .current_dir(dir)
            .arg("--config")
            .arg(config)
            .arg("run")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting egov-desk");
        Self { child, started }
    }

    /// Peak resident memory so far (VmHWM), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// CPU time used so far (user + system), from `/proc/PID/stat`.
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name, which sits in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        // The kernel's USER_HZ is 100 on Linux.
        Duration::from_millis(ticks * 10)
    }

    /// Fails loudly if the daemon died.
    pub fn alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("egov-desk exited during the benchmark: {status}");
        }
    }

    /// Stops it as an administrator would (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A read-only view of the daemon's database.
pub struct Watch {
    pool: SqlitePool,
}

impl Watch {
    /// Opens `db` read-only once the daemon has created it.
    pub async fn open(db: &Path) -> Self {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !db.exists() {
            assert!(Instant::now() < deadline, "the daemon made no database");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let options = SqliteConnectOptions::new()
            .filename(db)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        Self { pool }
    }

    /// One number from the database; 0 while the tables are not there yet.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or(0)
    }

    /// Bound variant of [`Watch::count`].
    pub async fn count_for(&self, sql: &str, value: &str) -> i64 {
        sqlx::query_scalar(sql)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .unwrap_or(0)
    }

    /// Waits, polling every `every`, until `sql` counts `target` (or more); returns when.
    pub async fn until(
        &self,
        daemon: &mut Running,
        sql: &str,
        target: i64,
        every: Duration,
        limit: Duration,
    ) -> Instant {
        let deadline = Instant::now() + limit;
        loop {
            if self.count(sql).await >= target {
                return Instant::now();
            }
            daemon.alive();
            assert!(
                Instant::now() < deadline,
                "gave up after {limit:?} waiting for `{sql}` to reach {target} (now {})",
                self.count(sql).await
            );
            tokio::time::sleep(every).await;
        }
    }
}

/// The database file and its WAL, in bytes.
pub fn database_size(db: &Path) -> u64 {
    let mut wal = PathBuf::from(db);
    wal.set_extension("db-wal");
    [db.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
