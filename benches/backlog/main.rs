//! The backlog benchmark: the daemon against the raw limits of the loopback Dovecot and
//! Postfix the integration tests start (README, "Performance").
//!
//! ```text
//! cargo bench --bench backlog -- [--messages 5000[,N...]] [--cases 300] [--latency 200]
//!                                [--seed 1] [--out FILE] [--logs DIR]
//! ```
//!
//! For each N: fresh servers; `case open` for the cases; N generated messages written into the
//! agency's inbox; the raw limits (one `UID FETCH 1:* BODY.PEEK[]`, `smtp-source`); then the
//! daemon: ingest with `outbound.hold` (every message recorded, filed, answered in the
//! outbox, committed), drain with the hold lifted (every reply accepted by Postfix), and
//! arrival-to-reply latency over IDLE (after the first N only: it does not depend on N). Needs root and the servers of
//! `scripts/mail-servers.sh install`, like the integration tests.

#[path = "../../tests/common/mod.rs"]
mod common;
mod daemon;
mod generate;
mod limits;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::servers::MailServers;
use daemon::{database_size, Running, Watch};
use generate::{Backlog, BenchCase, Mix};

const AGENCY: &str = "servicii@egov.md";
/// Where `smtp-source` sends, so its mail lands apart from everyone else's.
const SINK: &str = "smtp-source@sink.example.md";

struct Args {
    sizes: Vec<usize>,
    cases: usize,
    latency: usize,
    seed: u64,
    out: Option<std::path::PathBuf>,
    logs: Option<std::path::PathBuf>,
}

fn args() -> Args {
    let mut args = Args {
        sizes: vec![5000],
        cases: 300,
        latency: 200,
        seed: 1,
        out: None,
        logs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            // cargo bench passes this to every bench binary.
            "--bench" => {}
            "--messages" => {
                args.sizes = value()
                    .split(',')
                    .map(|n| n.trim().parse().expect("--messages: numbers"))
                    .collect()
            }
            "--cases" => args.cases = value().parse().expect("--cases: a number"),
            "--latency" => args.latency = value().parse().expect("--latency: a number"),
            "--seed" => args.seed = value().parse().expect("--seed: a number"),
            "--out" => args.out = Some(value().into()),
            "--logs" => args.logs = Some(value().into()),
            other => panic!(
                "unknown argument {other}; use --messages N[,N...] --cases N --latency N --seed N --out FILE --logs DIR"
            ),
        }
    }
    assert!(args.cases > 0, "--cases must be positive");
    args
}

/// Everything measured for one backlog size.
struct Run {
    n: usize,
    mix: Mix,
    raw: limits::RawFetch,
    source: limits::SourceRun,
    ingest: Duration,
    moved: Duration,
    drain: Duration,
    replies: usize,
    reply_bytes: usize,
    peak_rss: u64,
    db_bytes: u64,
    latency: Vec<Duration>,
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runs = Vec::new();
    for (i, &n) in args.sizes.iter().enumerate() {
        // Latency depends on the servers, not on N: it is measured after the first backlog.
        let latency = if i == 0 { args.latency } else { 0 };
        runs.push(runtime.block_on(one_size(n, latency, &args)));
    }
    let table = table(&runs, &args);
    println!("\n{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).unwrap();
        eprintln!("bench: table written to {}", out.display());
    }
}

fn step(what: &str) {
    eprintln!("bench: {what}");
}

async fn one_size(n: usize, latency_messages: usize, args: &Args) -> Run {
    step(&format!("N = {n}: starting Dovecot and Postfix"));
    let servers = MailServers::start().expect("the benchmark needs Dovecot and Postfix");
    let desk = common::Desk::with_config(
        &servers.imap_section(),
        &format!("{}hold = true\n", servers.smtp_section()),
        "",
        // Beneficiaries here write many times a day; the daily cap on automatic replies
        // would otherwise hold most answers back.
        "max_replies_per_day = 1000000\n",
    );
    let config = desk.path("config.toml");
    let db = desk.path("desk.db");
    let log = desk.path("daemon.log");

    step(&format!(
        "opening {} cases with `egov-desk case open`",
        args.cases
    ));
    let cases: Vec<BenchCase> = (0..args.cases).map(|i| open_case(&desk, i)).collect();

    step(&format!("writing {n} messages into the agency's inbox"));
    // Log in once so Dovecot makes the Maildir with its own owner.
    limits::index(servers.imap_port()).await;
    let maildir = servers.maildir(AGENCY);
    let started = Instant::now();
    let mix =
        Backlog::new(args.seed, &common::repo().join("tests/fixtures")).write(n, &cases, &maildir);
    let status = std::process::Command::new("chown")
        .args(["-R", "mail:mail"])
        .arg(&maildir)
        .status()
        .unwrap();
    assert!(status.success(), "chown of the Maildir failed");
    let indexed = limits::index(servers.imap_port()).await;
    assert_eq!(indexed, n, "Dovecot lists {indexed} of {n} messages");
    step(&format!(
        "{n} messages, {:.0} MiB, written and indexed in {:.1} s",
        mib(mix.bytes),
        started.elapsed().as_secs_f64()
    ));

    step("raw limit: one UID FETCH 1:* BODY.PEEK[] (best of two)");
    let first = limits::raw_fetch(servers.imap_port()).await;
    let second = limits::raw_fetch(servers.imap_port()).await;
    let raw = if first.elapsed <= second.elapsed {
        first
    } else {
        second
    };
    assert_eq!(raw.messages, n, "the raw fetch got {} of {n}", raw.messages);
    step(&format!(
        "raw fetch: {:.0} MiB in {:.2} s",
        mib(raw.bytes),
        raw.elapsed.as_secs_f64()
    ));

    step("daemon: ingest with outbound.hold (nothing sent)");
    let mut running = Running::start(desk.dir.path(), &config, &log);
    let watch = Watch::open(&db).await;
    let poll = Duration::from_millis(10);
    let hour = Duration::from_secs(3600);
    let done = watch
        .until(
            &mut running,
            "SELECT COUNT(*) FROM messages WHERE state != 'received'",
            n as i64,
            poll,
            hour,
        )
        .await;
    let ingest = done - running.started;
    let moved_at = watch
        .until(
            &mut running,
            "SELECT COUNT(*) FROM messages WHERE settled_at IS NOT NULL",
            n as i64,
            poll,
            hour,
        )
        .await;
    let moved = moved_at - running.started;
    let mut peak_rss = running.peak_rss();
    let ingest_cpu = running.cpu();
    running.stop();
    step(&format!(
        "ingest: {:.2} s, moved out of INBOX after {:.2} s, daemon CPU {:.2} s",
        ingest.as_secs_f64(),
        moved.as_secs_f64(),
        ingest_cpu.as_secs_f64()
    ));
    let replies = watch
        .count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        .await as usize;
    let reply_bytes = watch
        .count(
            "SELECT COALESCE(SUM(LENGTH(b.raw)), 0) FROM outbox o
             JOIN outbox_bodies b ON b.outbox_id = o.id WHERE o.state = 'pending'",
        )
        .await as usize;
    assert!(replies > 0, "the backlog queued no replies");
    let mean_reply = reply_bytes / replies;

    step(&format!(
        "raw limit: smtp-source -s 1 -d, {replies} messages of {mean_reply} bytes"
    ));
    let source = limits::smtp_source(servers.smtp_port(), replies, mean_reply, SINK);
    assert!(
        servers.wait_for(SINK, "", replies, 600),
        "Postfix did not deliver smtp-source's mail"
    );
    step(&format!(
        "smtp-source: {:.2} s",
        source.elapsed.as_secs_f64()
    ));

    step("daemon: drain (hold lifted)");
    let held = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, held.replace("hold = true", "hold = false")).unwrap();
    let mut running = Running::start(desk.dir.path(), &config, &log);
    let sent_sql = "SELECT COUNT(*) FROM outbox WHERE state = 'sent'";
    let done = watch
        .until(&mut running, sent_sql, replies as i64, poll, hour)
        .await;
    let drain = done - running.started;
    step(&format!(
        "drain: {:.2} s, daemon CPU {:.2} s",
        drain.as_secs_f64(),
        running.cpu().as_secs_f64()
    ));
    let db_bytes = database_size(&db);

    let mut latency = Vec::with_capacity(latency_messages);
    if latency_messages > 0 {
        step("waiting for Postfix to deliver the drained replies");
        wait_for_quiet_queue(&servers);
        step(&format!(
            "latency: {latency_messages} messages through Postfix, one at a time, IDLE"
        ));
        let mut backlog = Backlog::new(args.seed + 1, &common::repo().join("tests/fixtures"));
        let mut unused = Mix::default();
        for k in 0..latency_messages {
            let case = &cases[k % cases.len()];
            let raw = backlog.small_message(n + k, case, &mut unused);
            let id = format!(
                "bench-{}-{}@{}",
                args.seed + 1,
                n + k,
                domain(&case.contact)
            );
            servers.send(&case.contact, &[AGENCY], &raw);
            let accepted = Instant::now();
            loop {
                let made = watch
                    .count_for(
                        "SELECT COUNT(*) FROM outbox o JOIN messages m ON o.cause_message = m.id
                         WHERE m.message_id = ?",
                        &id,
                    )
                    .await;
                let waiting = watch
                    .count_for(
                        "SELECT COUNT(*) FROM outbox o JOIN messages m ON o.cause_message = m.id
                         WHERE m.message_id = ? AND o.state != 'sent'",
                        &id,
                    )
                    .await;
                if made > 0 && waiting == 0 {
                    break;
                }
                running.alive();
                assert!(
                    accepted.elapsed() < Duration::from_secs(60),
                    "no reply to {id} within 60 s"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            latency.push(accepted.elapsed());
        }
    }
    peak_rss = peak_rss.max(running.peak_rss());
    running.stop();
    if let Some(dir) = &args.logs {
        // The daemon's log and Postfix's, for looking into a surprising figure.
        std::fs::create_dir_all(dir).unwrap();
        std::fs::copy(&log, dir.join(format!("daemon-{n}.log"))).unwrap();
        std::fs::write(dir.join(format!("maillog-{n}")), servers.maillog()).unwrap();
    }
    drop(servers);
    Run {
        n,
        mix,
        raw,
        source,
        ingest,
        moved,
        drain,
        replies,
        reply_bytes,
        peak_rss,
        db_bytes,
        latency,
    }
}

fn open_case(desk: &common::Desk, i: usize) -> BenchCase {
    let (contact, service, language, institution, system) = generate::case_spec(i);
    let out = desk.run(&[
        "case",
        "open",
        "--service",
        service,
        "--institution",
        &institution,
        "--contact",
        &contact,
        "--system",
        &system,
        "--language",
        language,
    ]);
    let reference = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        reference.starts_with("EGOV-"),
        "case open printed {reference:?}"
    );
    BenchCase {
        reference,
        contact,
        language,
        service,
        system,
    }
}

fn domain(address: &str) -> &str {
    address.split('@').nth(1).unwrap_or("example.md")
}

/// Waits until Postfix's queue is empty, so its deliveries do not compete with what is
/// measured next.
fn wait_for_quiet_queue(servers: &MailServers) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let out = std::process::Command::new("postqueue")
            .arg("-c")
            .arg(servers.path().join("postfix"))
            .arg("-j")
            .output()
            .unwrap();
        if out.status.success() && out.stdout.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("Postfix's queue did not empty within 10 minutes");
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn table(runs: &[Run], args: &Args) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "egov-desk backlog benchmark: {} cases, seed {}, plain IMAP + SMTP on loopback, {} cores",
        args.cases,
        args.seed,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "| N | MiB in | raw fetch s | ingest s | ingest msgs/s | ingest / raw fetch | moved out s | replies | smtp-source/s | drain/s | drain / smtp-source | peak RSS MiB | latency p50 ms | latency p99 ms | DB KiB/msg |"
    );
    let _ = writeln!(t, "|{}", "---:|".repeat(15));
    for r in runs {
        let mut sorted = r.latency.clone();
        sorted.sort();
        let source_rate = r.source.messages as f64 / r.source.elapsed.as_secs_f64();
        let drain_rate = r.replies as f64 / r.drain.as_secs_f64();
        let (p50, p99) = if sorted.is_empty() {
            ("-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.0}", percentile(&sorted, 50.0).as_secs_f64() * 1e3),
                format!("{:.0}", percentile(&sorted, 99.0).as_secs_f64() * 1e3),
            )
        };
        let _ = writeln!(
            t,
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.2} | {:.0} | {} | {} | {:.1} |",
            r.n,
            mib(r.mix.bytes),
            r.raw.elapsed.as_secs_f64(),
            r.ingest.as_secs_f64(),
            r.n as f64 / r.ingest.as_secs_f64(),
            r.ingest.as_secs_f64() / r.raw.elapsed.as_secs_f64(),
            r.moved.as_secs_f64(),
            r.replies,
            source_rate,
            drain_rate,
            drain_rate / source_rate,
            mib(r.peak_rss),
            p50,
            p99,
            r.db_bytes as f64 / 1024.0 / r.n as f64,
        );
    }
    let _ = writeln!(t);
    for r in runs {
        let _ = writeln!(
            t,
            "N = {}: {} with a certificate ({} zipped), {} with three or more attachments, \
             sizes {} B to {} B; replies average {} B; database {:.0} MiB",
            r.n,
            r.mix.with_certificate,
            r.mix.with_zip,
            r.mix.several_attachments,
            r.mix.smallest,
            r.mix.largest,
            r.reply_bytes / r.replies.max(1),
            mib(r.db_bytes),
        );
    }
    t
}
