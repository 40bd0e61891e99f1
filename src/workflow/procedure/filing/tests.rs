//! The filing decision, without a database: a snapshot and an extraction in, a plan out.

use serde_json::{json, Value};

use super::serials::{Confirmed, Doubt, SerialLookup};
use super::{decide, Brought, Decided};
use crate::domain::{CertSerial, IpClass, ItemKind, Language, Service};
use crate::extract::{CertificateInfo, Extraction, FoundIp, FoundSerial, Problem};
use crate::workflow::audit::EventKind;
use crate::workflow::cases::{Item, ItemStatus};
use crate::workflow::plan::{Change, Snapshot};
use crate::workflow::requirements::Requirements;
use crate::workflow::step::Step;

fn requirements() -> Requirements {
    Requirements::parse(include_str!("../../../../config/services.toml")).unwrap()
}

/// A case of `service` awaiting materials, written in Romanian, holding `items`.
fn snapshot(service: Service, items: Vec<Item>) -> Snapshot {
    let mut before = Snapshot::sample(service, Step::AwaitingMaterials);
    before.case.language = Some(Language::Ro);
    before.items = items;
    before
}

fn held(kind: ItemKind, value: &str, detail: Value) -> Item {
    Item {
        id: 1,
        kind,
        value: value.into(),
        status: ItemStatus::Parsed,
        detail,
        created_at: String::new(),
    }
}

fn certificate(serial: &str, key: &str) -> CertificateInfo {
    CertificateInfo {
        serial: CertSerial::from_hex(serial).unwrap(),
        subject: "CN=Registru".into(),
        issuer: "CN=STISC CA".into(),
        not_before: chrono::Utc::now(),
        not_after: chrono::Utc::now() + chrono::Duration::days(365),
        sha256: "00".into(),
        public_key_sha256: key.into(),
        file_name: format!("{serial}.cer"),
        key: "RSA 2048".into(),
        key_bits: 2048,
        key_is_rsa: true,
        self_signed: false,
        environment: None,
    }
}

fn public_ip(addr: &str) -> FoundIp {
    FoundIp {
        addr: addr.parse().unwrap(),
        prefix: None,
        class: IpClass::Public,
        environment: None,
        line: 0,
    }
}

fn decided(before: Snapshot, ex: &Extraction, lookups: Vec<(String, SerialLookup)>) -> Decided {
    let brought = Brought {
        ledger_id: 42,
        sender: "ion@asp.gov.md",
        received_at: "2026-12-01T09:00:00Z".into(),
        ex,
        lookups,
    };
    decide(&requirements(), before, &brought, false).unwrap()
}

fn filed(plan: &[Change]) -> Vec<(ItemKind, &str)> {
    plan.iter()
        .filter_map(|c| match c {
            Change::File { kind, value, .. } => Some((*kind, value.as_str())),
            _ => None,
        })
        .collect()
}

fn events(plan: &[Change]) -> Vec<EventKind> {
    plan.iter()
        .filter_map(|c| match c {
            Change::Event { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect()
}

#[test]
fn only_what_the_case_does_not_hold_is_filed() {
    let before = snapshot(
        Service::MSign,
        vec![held(ItemKind::PublicIp, "194.0.2.10", json!({}))],
    );
    let ex = Extraction {
        public_ips: vec![public_ip("194.0.2.10"), public_ip("194.0.2.11")],
        system_name: Some("Registru".into()),
        ..Extraction::default()
    };
    let Decided { plan, filing } = decided(before, &ex, Vec::new());
    assert_eq!(
        filed(&plan.changes),
        [
            (ItemKind::SystemName, "Registru"),
            (ItemKind::PublicIp, "194.0.2.11")
        ]
    );
    assert_eq!(
        events(&plan.changes),
        [EventKind::ItemFiled, EventKind::ItemFiled]
    );
    assert!(plan.changes.contains(&Change::MailReceived {
        at: "2026-12-01T09:00:00Z".into()
    }));
    let new: Vec<&str> = filing.new_items.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(new, ["Registru", "194.0.2.11"]);
    assert_eq!(filing.items.len(), 3);
    assert_eq!(filing.case.system_name.as_deref(), Some("Registru"));
    assert_eq!(
        filing.case.step,
        Step::AwaitingMaterials,
        "a certificate is still missing"
    );
}

#[test]
fn complete_materials_move_the_case_to_review() {
    let before = snapshot(
        Service::MSign,
        vec![
            held(ItemKind::Certificate, "0A0B", json!({})),
            held(ItemKind::SystemName, "Registru", json!({})),
        ],
    );
    let ex = Extraction {
        public_ips: vec![public_ip("194.0.2.10")],
        ..Extraction::default()
    };
    let Decided { plan, filing } = decided(before, &ex, Vec::new());
    assert!(plan.changes.contains(&Change::Step {
        from: Step::AwaitingMaterials,
        to: Step::MaterialsReview
    }));
    assert_eq!(
        events(&plan.changes),
        [EventKind::ItemFiled, EventKind::Step]
    );
    assert!(filing.missing.is_empty());
    assert_eq!(filing.case.step, Step::MaterialsReview);
    assert_eq!(filing.case.version, 5, "both events change the case's data");
}

#[test]
fn a_mode_counts_for_mpower_only() {
    let ex = Extraction {
        mpower_mode: Some("agency"),
        ..Extraction::default()
    };
    let mpower = decided(snapshot(Service::MPower, Vec::new()), &ex, Vec::new());
    assert_eq!(filed(&mpower.plan.changes), [(ItemKind::Mode, "agency")]);
    assert_eq!(mpower.filing.case.step, Step::MaterialsReview);
    let msign = decided(snapshot(Service::MSign, Vec::new()), &ex, Vec::new());
    assert!(filed(&msign.plan.changes).is_empty());
}

#[test]
fn the_case_follows_the_language_its_beneficiary_writes_in() {
    let russian = Extraction {
        language: Some(Language::Ru),
        ..Extraction::default()
    };
    let moved = decided(snapshot(Service::MSign, Vec::new()), &russian, Vec::new());
    assert!(moved.plan.changes.contains(&Change::Language(Language::Ru)));
    assert_eq!(events(&moved.plan.changes), [EventKind::Language]);
    assert_eq!(
        moved.filing.case.version, 3,
        "a language is noted, not recorded"
    );
    let romanian = Extraction {
        language: Some(Language::Ro),
        ..Extraction::default()
    };
    let same = decided(snapshot(Service::MSign, Vec::new()), &romanian, Vec::new());
    assert!(events(&same.plan.changes).is_empty());
}

#[test]
fn a_serial_the_records_do_not_vouch_for_is_questioned() {
    let serial = |hex: &str| FoundSerial {
        serial: CertSerial::from_hex(hex).unwrap(),
        environment: None,
    };
    let ex = Extraction {
        serials: vec![serial("0A0B0C"), serial("0D0E0F")],
        ..Extraction::default()
    };
    let found = Confirmed {
        case: "EGOV-2026-0001".into(),
        not_after: json!("2026-01-01T00:00:00Z"),
    };
    let lookups = vec![
        (
            "0A0B0C".to_string(),
            SerialLookup::Accepted {
                found: found.clone(),
            },
        ),
        (
            "0D0E0F".to_string(),
            SerialLookup::Questioned {
                reason: Doubt::Expired,
                found: Some(found),
            },
        ),
    ];
    let Decided { plan, filing } = decided(snapshot(Service::MSign, Vec::new()), &ex, lookups);
    assert_eq!(
        filing.problems,
        [Problem::QuestionedSerial {
            serial: "0D0E0F".into(),
            reason: "expired".into()
        }]
    );
    let Some(Change::File { detail, .. }) = plan
        .changes
        .iter()
        .find(|c| matches!(c, Change::File { value, .. } if value == "0D0E0F"))
    else {
        panic!("the serial is filed all the same");
    };
    assert_eq!(detail["lookup"]["reason"], "expired");
}

#[test]
fn test_and_prod_certificates_with_one_key_are_a_problem() {
    let before = snapshot(
        Service::MPass,
        vec![held(
            ItemKind::Certificate,
            "0A0B",
            json!({ "public_key_sha256": "K" }),
        )],
    );
    let ex = Extraction {
        certificates: vec![certificate("0C0D", "K")],
        ..Extraction::default()
    };
    let Decided { filing, .. } = decided(before, &ex, Vec::new());
    assert_eq!(
        filing.problems,
        [Problem::SameKeyTestAndProd {
            serials: vec!["0A0B".into(), "0C0D".into()]
        }]
    );
}

#[test]
fn a_new_case_opens_its_timeline() {
    let brought = Brought {
        ledger_id: 1,
        sender: "ion@asp.gov.md",
        received_at: String::new(),
        ex: &Extraction::default(),
        lookups: Vec::new(),
    };
    let before = snapshot(Service::MSign, Vec::new());
    let Decided { plan, filing } = decide(&requirements(), before, &brought, true).unwrap();
    assert_eq!(events(&plan.changes), [EventKind::Opened]);
    assert!(filing.new_case);
}
