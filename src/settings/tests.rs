use secrecy::SecretString;

use super::*;

/// The embedded default with `overlay` (TOML) laid over it.
fn load(overlay: &str) -> Result<Settings> {
    let config = Config::builder()
        .add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml))
        .add_source(File::from_str(overlay, FileFormat::Toml))
        .build()
        .unwrap();
    Settings::from_config(&config)
}

fn error_of(overlay: &str) -> String {
    format!("{:#}", load(overlay).unwrap_err())
}

#[test]
fn the_embedded_default_is_valid_and_local() {
    let s = load("").unwrap();
    assert!(matches!(s.mailbox.source, Mailbox::Maildir { .. }));
    assert!(matches!(s.outbound.transport, Outbound::Directory { .. }));
    assert_eq!(s.agency.address.as_str(), "servicii@egov.md");
    assert!(s.database.url.starts_with("sqlite:"));
}

#[test]
fn the_production_example_is_valid_once_passwords_come_from_the_environment() {
    let example = include_str!("../../config/production.example.toml");
    let passwords = "[mailbox]\npassword = \"from-env\"\n[outbound]\npassword = \"from-env\"\n";
    let config = Config::builder()
        .add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml))
        .add_source(File::from_str(example, FileFormat::Toml))
        .add_source(File::from_str(passwords, FileFormat::Toml))
        .build()
        .unwrap();
    let s = Settings::from_config(&config).unwrap();
    let Mailbox::Imap(imap) = &s.mailbox.source else {
        panic!("the example reads IMAP")
    };
    assert_eq!(imap.endpoint.tls, TlsMode::Tls);
    assert!(matches!(s.outbound.transport, Outbound::Smtp(_)));
    assert!(s.mailbox.idle_secs <= 300);
    assert_eq!(s.agency.authserv_id.as_deref(), Some("mx.egov.md"));
}

#[test]
fn idle_longer_than_five_minutes_is_refused() {
    let err = error_of("[mailbox]\nidle_secs = 600\n");
    assert!(err.contains("mailbox.idle_secs"), "{err}");
}

#[test]
fn the_verp_delimiter_is_one_safe_character_or_nothing() {
    assert_eq!(load("").unwrap().outbound.verp_delimiter, Some('+'));
    assert_eq!(
        load("[outbound]\nverp_delimiter = \"\"\n")
            .unwrap()
            .outbound
            .verp_delimiter,
        None
    );
    for bad in ["@", "++", " ", "a"] {
        let err = error_of(&format!("[outbound]\nverp_delimiter = \"{bad}\"\n"));
        assert!(err.contains("outbound.verp_delimiter"), "{err}");
    }
}

#[test]
fn a_bad_kind_names_its_key() {
    let err = error_of("[mailbox]\nkind = \"pop3\"\n");
    assert!(err.contains("mailbox.kind"), "{err}");
}

#[test]
fn a_bad_operator_address_names_its_key() {
    let err = error_of("[agency]\noperators = [\"ops@egov.md\", \"not-an-address\"]\n");
    assert!(err.contains("agency.operators[1]"), "{err}");
}

#[test]
fn imap_without_a_host_is_refused() {
    let err = error_of("[mailbox]\nkind = \"imap\"\n");
    assert!(err.contains("mailbox.host"), "{err}");
}

#[test]
fn passwords_do_not_show_in_debug_output() {
    let s = load("[mailbox]\npassword = \"hunter2-secret\"\n").unwrap();
    assert!(!format!("{s:?}").contains("hunter2-secret"));
    let _: SecretString = s.workflow.command_key;
}

#[test]
fn a_bad_port_names_its_key_in_full() {
    let err = error_of("[outbound]\nkind = \"smtp\"\nhost = \"smtp.egov.md\"\nport = 99999\n");
    assert!(
        err.starts_with("outbound.port: 99999 is not a port number"),
        "{err}"
    );
}

#[test]
fn smtp_has_its_own_timeout() {
    let s = load(
        "[mailbox]\ntimeout_secs = 5\n[outbound]\nkind = \"smtp\"\nhost = \"smtp.egov.md\"\ntimeout_secs = 7\n",
    )
    .unwrap();
    let Outbound::Smtp(smtp) = &s.outbound.transport else {
        panic!("smtp was asked for")
    };
    assert_eq!(smtp.timeout_secs.get(), 7);
}

#[test]
fn the_sla_warning_must_come_before_the_deadline() {
    let err = error_of("[time]\nsla_working_days = 3\nsla_warning_days = 3\n");
    assert!(err.contains("time.sla_warning_days"), "{err}");
}
