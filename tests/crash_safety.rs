//! Nothing lost, nothing twice: the daemon is killed with SIGKILL again and again while it
//! works a backlog, then finishes with one clean pass.

mod common;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use common::{message, Desk};

const BACKLOG: usize = 150;

#[test]
fn sigkill_during_a_backlog_loses_no_message_and_answers_none_twice() {
    let desk = Desk::new();
    for i in 0..BACKLOG {
        let raw = message(
            &format!("beneficiar{i}@inst{i}.gov.md"),
            "Conectare MDocs",
            &format!("backlog-{i}@inst{i}.gov.md"),
            "",
            &format!(
                "Buna ziua,\r\nDenumirea sistemului: SIA {i}\r\nIP public: 85.120.{}.{}\r\n",
                i / 200,
                i % 200 + 1
            ),
        );
        desk.deliver(&format!("{i:04}.eml"), &raw);
    }

    // Kill at varied moments: during start-up, intake, processing and delivery.
    for (round, delay_ms) in [150u64, 300, 80, 450, 220, 600, 120, 350]
        .into_iter()
        .enumerate()
    {
        let mut child = desk
            .command(&["run"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        eprintln!(
            "round {round}: killed after {delay_ms} ms, {} mails out",
            desk.sent().len()
        );
    }
    desk.run(&["once"]);

    let cases = desk.cases();
    assert_eq!(cases.len(), BACKLOG, "every message opens exactly one case");
    let sent = desk.sent();
    let mut replies_per_message: HashMap<String, usize> = HashMap::new();
    for m in sent
        .iter()
        .filter(|m| !m.to.contains(&"operator@egov.md".to_string()))
    {
        *replies_per_message
            .entry(m.in_reply_to.join(","))
            .or_default() += 1;
    }
    assert_eq!(replies_per_message.len(), BACKLOG, "every message answered");
    let twice: Vec<_> = replies_per_message
        .iter()
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "answered twice: {twice:?}");
    let to_operators = sent.iter().filter(|m| m.to == ["operator@egov.md"]).count();
    assert_eq!(to_operators, BACKLOG, "one operator update per message");
    assert!(desk.maildir_files("new").is_empty());
    assert!(desk.maildir_files("cur").is_empty());
    assert_eq!(desk.maildir_files(".Processed/cur").len(), BACKLOG);
}
