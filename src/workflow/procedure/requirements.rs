//! What each platform needs by mail: the table in `config/services.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::super::step::Step;
use crate::domain::ItemKind;
use crate::domain::Service;

/// Whether an item of `kind` counts towards a requirement for `need`: a certificate is met
/// by its file or by the serial number of one the agency registered.
fn counts(need: ItemKind, kind: ItemKind) -> bool {
    need == kind || (need == ItemKind::Certificate && kind == ItemKind::SerialNumber)
}

/// Reads what a requirement asks for: an item kind, by its stored name. A serial number is
/// not a requirement of its own; it meets `certificate`.
fn need<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ItemKind, D::Error> {
    let name = String::deserialize(d)?;
    match name.parse::<ItemKind>() {
        Ok(ItemKind::SerialNumber) => Err(serde::de::Error::custom(
            "serial_number is not required on its own: require certificate",
        )),
        Ok(kind) => Ok(kind),
        Err(e) => Err(serde::de::Error::custom(e)),
    }
}

/// One line of a service's requirements.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// What is needed.
    #[serde(deserialize_with = "need")]
    pub item: ItemKind,
    /// How many distinct ones.
    #[serde(default = "one")]
    pub count: usize,
    /// A template key that words the detail (e.g. `test_and_prod`).
    #[serde(default)]
    pub note: Option<String>,
}

fn one() -> usize {
    1
}

/// A platform's requirements.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRules {
    /// Items the daemon reads from mail and counts.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Materials checked by the operators (template keys), listed to the beneficiary.
    #[serde(default)]
    pub also_needed: Vec<String>,
    /// Whether self-signed certificates are accepted (MPass).
    #[serde(default)]
    pub accepts_self_signed: bool,
    /// Accepted issuers: a certificate's issuer name must contain one of them.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// The steps a case of this service goes through, in order.
    #[serde(default = "standard_steps")]
    pub steps: Vec<Step>,
    /// Services used in several ways (MPower): the steps of each mode, by the `mode` item.
    #[serde(default)]
    pub steps_by_mode: BTreeMap<String, Vec<Step>>,
    /// The TEST and PROD certificates must be different keys (MPass).
    #[serde(default)]
    pub distinct_test_and_prod: bool,
}

fn standard_steps() -> Vec<Step> {
    vec![
        Step::AwaitingMaterials,
        Step::MaterialsReview,
        Step::Contract,
        Step::Staging,
        Step::Testing,
        Step::Activation,
        Step::Completed,
    ]
}

impl ServiceRules {
    /// Whether the platform asks for items of `kind` (MPower's mode picks its steps).
    pub fn uses(&self, kind: ItemKind) -> bool {
        self.requires.iter().any(|r| counts(r.item, kind))
            || (kind == ItemKind::Mode && !self.steps_by_mode.is_empty())
    }

    /// The steps of a case in `mode` (MPower), or the service's own.
    pub fn steps_for(&self, mode: Option<&str>) -> &[Step] {
        mode.and_then(|m| self.steps_by_mode.get(m))
            .unwrap_or(&self.steps)
    }

    fn check_steps(steps: &[Step]) -> Result<()> {
        let starts = [Step::AwaitingMaterials, Step::MaterialsReview];
        if !steps.starts_with(&starts) || steps.last() != Some(&Step::Completed) {
            bail!(
                "steps must begin with awaiting_materials, materials_review and end with completed"
            );
        }
        for (i, s) in steps.iter().enumerate() {
            if steps[..i].contains(s) || *s == Step::Closed || *s == Step::RequestReceived {
                bail!("steps: '{s}' cannot appear there");
            }
        }
        Ok(())
    }

    /// Whether a certificate with this issuer (and self-signedness) is acceptable.
    pub fn accepts_issuer(&self, issuer: &str, self_signed: bool) -> bool {
        if self_signed {
            return self.accepts_self_signed;
        }
        let issuer = issuer.to_lowercase();
        self.issuers.is_empty()
            || self
                .issuers
                .iter()
                .any(|i| issuer.contains(&i.to_lowercase()))
    }
}

/// A requirement not yet met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// What is needed.
    pub item: &'static str,
    /// How many in all.
    pub needed: usize,
    /// How many are on the case.
    pub have: usize,
    /// Template key for the detail.
    pub note: Option<String>,
}

/// The whole table.
#[derive(Debug, Clone)]
pub struct Requirements {
    services: BTreeMap<Service, ServiceRules>,
}

impl Requirements {
    /// Loads and checks the table; every service must be listed.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("workflow.services: cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("workflow.services: in {}", path.display()))
    }

    /// Parses the table from TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let raw: BTreeMap<String, ServiceRules> = toml::from_str(text)?;
        let mut services = BTreeMap::new();
        for (key, rules) in raw {
            let service: Service = key.parse()?;
            if let Some(r) = rules.requires.iter().find(|r| r.count == 0) {
                bail!("{key}: {} has count 0", r.item.as_str());
            }
            ServiceRules::check_steps(&rules.steps).with_context(|| key.clone())?;
            for (mode, steps) in &rules.steps_by_mode {
                ServiceRules::check_steps(steps)
                    .with_context(|| format!("{key}.steps_by_mode.{mode}"))?;
            }
            services.insert(service, rules);
        }
        if let Some(missing) = Service::ALL.iter().find(|s| !services.contains_key(s)) {
            bail!("no entry for {}", missing.key());
        }
        Ok(Self { services })
    }

    /// The rules of one service.
    pub fn of(&self, service: Service) -> &ServiceRules {
        // `load` refuses a table without every service, so the fallback is never used.
        static NONE: ServiceRules = ServiceRules {
            requires: Vec::new(),
            also_needed: Vec::new(),
            accepts_self_signed: false,
            issuers: Vec::new(),
            steps: Vec::new(),
            steps_by_mode: BTreeMap::new(),
            distinct_test_and_prod: false,
        };
        self.services.get(&service).unwrap_or(&NONE)
    }

    /// What `service` still needs, given the usable (not rejected) items filed as
    /// (kind, value). Values are counted once: a certificate and its serial written in a
    /// later mail are one certificate.
    pub fn missing(&self, service: Service, filed: &[(ItemKind, &str)]) -> Vec<Missing> {
        self.of(service)
            .requires
            .iter()
            .filter_map(|r| {
                let mut values: Vec<&str> = filed
                    .iter()
                    .filter(|(kind, _)| counts(r.item, *kind))
                    .map(|(_, value)| *value)
                    .collect();
                values.sort_unstable();
                values.dedup();
                let have = values.len();
                (have < r.count).then(|| Missing {
                    item: r.item.as_str(),
                    needed: r.count,
                    have,
                    note: r.note.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Requirements {
        Requirements::parse(include_str!("../../../config/services.toml")).unwrap()
    }

    #[test]
    fn the_shipped_table_covers_every_service() {
        let t = table();
        assert_eq!(t.of(Service::MPass).requires[0].count, 2);
        assert!(t.of(Service::MPass).accepts_self_signed);
        assert_eq!(t.of(Service::MPower).requires[0].item, ItemKind::Mode);
        assert!(t.of(Service::MDelivery).requires.is_empty());
    }

    #[test]
    fn mdocs_needs_a_certificate_a_name_a_public_ip_and_document_types() {
        let t = table();
        let missing = t.missing(Service::MDocs, &[(ItemKind::SerialNumber, "01")]);
        let names: Vec<&str> = missing.iter().map(|m| m.item).collect();
        assert_eq!(names, vec!["system_name", "public_ip", "document_type"]);
        assert!(t
            .missing(
                Service::MDocs,
                &[
                    (ItemKind::Certificate, "01"),
                    (ItemKind::SystemName, "SIA"),
                    (ItemKind::PublicIp, "194.0.2.10"),
                    (ItemKind::DocumentType, "contract")
                ]
            )
            .is_empty());
    }

    #[test]
    fn mpass_needs_two_different_certificates() {
        let t = table();
        let same = [
            (ItemKind::Certificate, "0A"),
            (ItemKind::SerialNumber, "0A"),
        ];
        let missing = t.missing(Service::MPass, &same);
        assert_eq!(missing[0].item, "certificate");
        assert_eq!((missing[0].needed, missing[0].have), (2, 1));
    }

    #[test]
    fn mpass_takes_self_signed_certificates_and_mdocs_only_stisc() {
        let t = table();
        assert!(t.of(Service::MPass).accepts_issuer("CN=SIA", true));
        assert!(!t.of(Service::MDocs).accepts_issuer("CN=SIA", true));
        assert!(t
            .of(Service::MDocs)
            .accepts_issuer("C=MD, O=STISC, CN=STISC CA", false));
        assert!(!t
            .of(Service::MDocs)
            .accepts_issuer("CN=Let's Encrypt R3", false));
    }

    #[test]
    fn every_service_has_its_steps_and_mpower_two_modes() {
        let t = table();
        let mpass = t.of(Service::MPass).steps_for(None);
        assert!(mpass.contains(&Step::Validation));
        assert!(!t
            .of(Service::MDocs)
            .steps_for(None)
            .contains(&Step::Validation));
        let mpower = t.of(Service::MPower);
        assert!(mpower.steps_for(Some("api")).contains(&Step::Testing));
        assert!(!mpower.steps_for(Some("agency")).contains(&Step::Testing));
        assert!(
            Requirements::parse(&include_str!("../../../config/services.toml").replace(
                "[mdelivery]",
                "[mdelivery]\nsteps = [\"staging\", \"completed\"]"
            ))
            .is_err()
        );
    }

    #[test]
    fn a_table_missing_a_service_is_refused() {
        assert!(Requirements::parse("[mpass]\nrequires = []\n").is_err());
    }

    #[test]
    fn a_serial_number_is_no_requirement_of_its_own() {
        let table = include_str!("../../../config/services.toml").replacen(
            "item = \"certificate\"",
            "item = \"serial_number\"",
            1,
        );
        let error = Requirements::parse(&table).unwrap_err();
        assert!(
            format!("{error:#}").contains("require certificate"),
            "{error:#}"
        );
    }
}
