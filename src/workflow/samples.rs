//! A plausible context for every template in every branch it has, rendered at start-up so a
//! broken template stops the daemon before a beneficiary ever sees it.

use serde_json::{json, Value};

use crate::domain::Redirect;

/// A plausible context for every template, used to check templates at start-up.
pub fn sample_contexts() -> Vec<(&'static str, Value)> {
    let case = json!({
        "reference": "EGOV-2026-0001", "service": "MDocs", "institution": "Agenția Servicii Publice",
        "contact": "ion@asp.gov.md", "system_name": "Registrul", "step": "awaiting_materials",
        "waiting_on": "beneficiary",
    });
    let items = json!([
        { "kind": "certificate", "value": "4F3A", "status": "parsed", "detail": {
            "subject": "CN=SIA", "issuer": "CN=STISC", "not_before": "2026-01-01T00:00:00+00:00",
            "not_after": "2027-01-01T00:00:00+00:00", "sha256": "00", "file": "sia.cer" } },
        { "kind": "serial_number", "value": "4F3B", "status": "parsed", "detail": {} },
        { "kind": "system_name", "value": "Registrul", "status": "parsed", "detail": {} },
        { "kind": "public_ip", "value": "194.0.2.10", "status": "parsed", "detail": { "class": "public" } },
        { "kind": "url", "value": "https://si.md/logout", "status": "parsed", "detail": { "https": true } },
        { "kind": "attribute", "value": "Patronimic", "status": "parsed", "detail": { "standard": false } },
        { "kind": "attribute", "value": "FirstName", "status": "parsed", "detail": { "standard": true, "written": "prenume" } },
        { "kind": "attribute", "value": "NumarCadastral", "status": "parsed", "detail": { "standard": false, "remark": "atribut nestandard" } },
        { "kind": "event_type", "value": "autentificare", "status": "parsed", "detail": {} },
        { "kind": "channel", "value": "sms", "status": "parsed", "detail": {} },
        { "kind": "channel", "value": "cabinet", "status": "parsed", "detail": { "written": "notificare în cabinet", "remark": "opțional" } },
        { "kind": "document_type", "value": "contract", "status": "parsed", "detail": {} },
        { "kind": "mode", "value": "api", "status": "parsed", "detail": {} },
    ]);
    let missing = json!([
        { "item": "certificate", "needed": 2, "have": 1, "note": "test_and_prod" },
        { "item": "public_ip", "needed": 1, "have": 0, "note": null },
        { "item": "url", "needed": 2, "have": 0, "note": "logout_urls" },
        { "item": "system_name", "needed": 1, "have": 0, "note": null },
        { "item": "attribute", "needed": 1, "have": 0, "note": null },
        { "item": "event_type", "needed": 1, "have": 0, "note": null },
        { "item": "channel", "needed": 1, "have": 0, "note": null },
        { "item": "document_type", "needed": 1, "have": 0, "note": null },
        { "item": "mode", "needed": 1, "have": 0, "note": null },
    ]);
    let also = json!([
        "authentication_attributes",
        "notification_channels",
        "event_types",
        "mpower_mode",
        "authorization_forms",
        "contract"
    ]);
    let problems = json!([
        { "kind": "unreadable_certificate", "file": "x.cer" },
        { "kind": "private_key", "file": "x.pfx" },
        { "kind": "expired_certificate", "file": "old.cer", "serial": "01", "not_after": "2020-01-01" },
        { "kind": "not_yet_valid_certificate", "file": "new.cer", "serial": "02", "not_before": "2030-01-01" },
        { "kind": "non_public_ip", "address": "10.0.0.1", "class": "private" },
        { "kind": "expiring_certificate", "file": "soon.cer", "serial": "03", "not_after": "2026-12-05" },
        { "kind": "weak_key", "file": "weak.cer", "serial": "04", "key": "RSA 1024" },
        { "kind": "insecure_url", "url": "http://si.md/logout" },
        { "kind": "archive_refused", "file": "a.zip", "reason": "ratio" },
        { "kind": "archive_refused", "file": "b.zip", "reason": "too_many_entries" },
        { "kind": "archive_refused", "file": "c.zip", "reason": "unreadable" },
        { "kind": "archive_refused", "file": "d.zip/e.zip/f.zip/g.zip", "reason": "too_deep" },
        { "kind": "unreadable_certificate", "file": "message text" },
        { "kind": "untrusted_issuer", "file": "le.cer", "serial": "05", "issuer": "CN=R3" },
        { "kind": "questioned_serial", "serial": "06", "reason": "unknown" },
        { "kind": "questioned_serial", "serial": "07", "reason": "expired" },
        { "kind": "questioned_serial", "serial": "08", "reason": "other_system" },
        { "kind": "questioned_serial", "serial": "09", "reason": "other_environment" },
        { "kind": "same_key_test_and_prod", "serials": ["0A", "0B"] },
        { "kind": "too_many_certificates", "found": 400, "limit": 10 },
    ]);
    let ack = |case: Value, complete: bool| {
        json!({
            "case": case, "new_case": true, "new_items": items, "items": items, "missing": if complete { json!([]) } else { missing.clone() },
            "also_needed": also, "complete": complete, "problems": problems, "private_key": true,
            "original_subject": "Conectare MDocs",
        })
    };
    let mut out = vec![
        ("acknowledgement", ack(case.clone(), false)),
        ("acknowledgement", ack(case.clone(), true)),
        ("acknowledgement", ack(Value::Null, false)),
        (
            "acknowledgement",
            json!({
                "cases": [
                    { "case": case, "new_case": true, "new_items": items, "missing": missing,
                      "also_needed": also, "complete": false },
                    { "case": case, "new_case": false, "new_items": [], "missing": [],
                      "also_needed": also, "complete": true },
                ],
                "problems": problems, "private_key": false, "original_subject": "MPass și MSign",
            }),
        ),
        (
            "case_opened",
            json!({ "case": case, "missing": missing, "also_needed": also }),
        ),
        (
            "operator_update",
            json!({
                "case": case, "new_case": true, "matched_by": "reference", "sender": "ion@asp.gov.md",
                "subject": "MDocs", "new_items": items, "items": items, "missing": missing,
                "problems": problems, "private_key": true, "excerpt": "Bună ziua",
                "token": "egov-token:1:00112233445566778899aabbccddeeff", "replied": false,
            }),
        ),
        (
            "operator_quarantine",
            json!({ "reason": "not a mail message", "ledger_id": 7, "sender": null, "subject": null, "size": 10 }),
        ),
        (
            "operator_delivery_problem",
            json!({ "state": "failed", "error": "550", "subject": "x", "recipients": ["a@b.md"], "message_id": "m@egov.md", "attempts": 3 }),
        ),
    ];
    let token = "egov-token:1:00112233445566778899aabbccddeeff";
    for step in [
        "awaiting_materials",
        "materials_review",
        "contract",
        "staging",
        "testing",
        "validation",
        "activation",
    ] {
        let mut at = case.clone();
        at["step"] = json!(step);
        for annex_only in [true, false] {
            out.push(("progress", json!({ "case": at, "annex_only": annex_only, "contract_case": "EGOV-2025-0007", "also_needed": also })));
        }
        out.push(("reminder", json!({ "case": at, "number": 1, "of": 2, "days": 5, "missing": missing, "also_needed": also })));
        for state in ["near", "overdue"] {
            out.push(("operator_sla", json!({ "case": at, "state": state, "due": "2026-12-01", "days": 6, "limit": 7, "token": token })));
        }
    }
    for by in crate::matching::MatchedBy::ALL {
        out.push((
            "operator_update",
            json!({
                "case": case, "new_case": false, "matched_by": by.as_str(), "sender": "ion@asp.gov.md",
                "subject": "MDocs", "new_items": [], "items": items, "missing": [],
                "problems": [], "private_key": false, "excerpt": "Bună ziua",
                "token": token, "replied": true,
            }),
        ));
    }
    out.extend([
        ("rejection", json!({ "case": case, "reason": "Certificatul nu este emis de STISC", "missing": missing, "also_needed": also })),
        ("rejection", json!({ "case": case, "reason": "x", "missing": [], "also_needed": [] })),
        ("completion", json!({ "case": case, "items": items })),
        ("operator_ack", json!({ "case": case, "done": ["CONFIRM", "DONE staging"], "items": items, "missing": missing, "token": token })),
        ("operator_escalation", json!({ "case": case, "reminders": 2, "days": 15, "missing": missing, "token": token })),
        ("operator_digest", json!({
            "date": "2026-11-23", "open": 3, "limit": 7,
            "by_step": [{ "step": "staging", "count": 2 }, { "step": "awaiting_materials", "count": 1 }],
            "overdue": [{ "reference": "EGOV-2026-0001", "service": "MDocs", "institution": "ASP", "step": "staging", "days": 9 }],
            "waiting": [{ "reference": "EGOV-2026-0002", "service": "MPass", "institution": "CNAM", "step": "awaiting_materials", "days": 6 }],
        })),
        ("operator_digest", json!({ "date": "2026-11-23", "open": 0, "limit": 7, "by_step": [], "overdue": [], "waiting": [] })),
        ("expiry_notice", json!({ "case": case, "previous": case, "serial": "4F3A", "not_after": "2027-01-01", "subject": "CN=SIA", "days_left": 30 })),
        ("operator_bounce", json!({ "case": case, "subject": "[EGOV-2026-0001] x", "recipients": ["ion@asp.gov.md"], "recipient": "ion@asp.gov.md", "action": "failed", "status": "5.1.1", "diagnostic": "550 no such user" })),
        ("operator_bounce", json!({ "case": null, "subject": "x", "recipients": [], "recipient": null, "action": null, "status": null, "diagnostic": null })),
    ]);
    for reason in [
        "missing_token",
        "unknown_token",
        "altered_token",
        "used_token",
        "expired_token",
        "wrong_sender",
        "stale_token",
        "unauthenticated",
        "several_authors",
        "no_command",
        "bad_command",
    ] {
        out.push(("operator_refused", json!({ "case": case, "sender": "x@evil.md", "subject": "Re: x", "reason": reason, "detail": "d", "ledger_id": 9 })));
    }
    out.push(("operator_refused", json!({ "case": null, "sender": "x@evil.md", "subject": "x", "reason": "unknown_token", "detail": "", "ledger_id": 9 })));
    for private_key in [true, false] {
        out.push(("receipt", json!({ "private_key": private_key })));
    }
    for (matched_by, same_domain, name) in [
        ("reference", true, json!("Ion Rău")),
        ("thread", false, Value::Null),
        ("sender", true, Value::Null),
    ] {
        out.push(("operator_held", json!({
            "case": case, "sender": "eve@evil.example", "sender_name": name, "same_domain": same_domain, "disowned": same_domain,
            "matched_by": matched_by, "subject": "[EGOV-2026-0001] IP", "found": [{ "kind": "public_ip", "value": "203.0.113.66" }],
            "problems": problems, "private_key": same_domain, "excerpt": "> IP: 203.0.113.66", "token": token,
            "replied": same_domain,
        })));
    }
    out.push((
        "operator_reply_limit",
        json!({ "address": "victim@example.md", "limit": 10, "sent": 10, "ledger_id": 42 }),
    ));
    out.push((
        "operator_reused_id",
        json!({ "ledger_id": 43, "earlier": 12, "sender": "eve@evil.example", "subject": "MDocs" }),
    ));
    out.push((
        "operator_reused_id",
        json!({ "ledger_id": 43, "earlier": 12, "sender": null, "subject": "" }),
    ));
    for platform in [Redirect::MPay, Redirect::MConnect] {
        out.push(("redirect", json!({ "platform": platform.key(), "platform_name": platform.display_name(), "contact": platform.contact(), "original_subject": "MPay" })));
    }
    for reason in [
        "unknown_reference",
        "closed_case",
        "ambiguous",
        "no_service",
        "many_services",
        "automated",
    ] {
        out.push(("operator_forward", json!({
            "reason": reason, "detail": "x", "sender": "ion@asp.gov.md", "subject": "?", "services": ["MPass"],
            "found": [{ "kind": "public_ip", "value": "194.0.2.10" }], "problems": problems, "private_key": true,
            "excerpt": "text",
        })));
    }
    out
}
