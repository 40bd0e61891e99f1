//! The labels a beneficiary writes before a value or a list, in one table: per item kind, per
//! language, singular and plural. Variants are written folded (lower-case, no diacritics, as
//! [`fold`](super::text::fold) writes them), so "Denumirea sistemului" matches with or without
//! its diacritics; the table is compiled once into one regex per kind.

use std::cmp::Reverse;
use std::sync::LazyLock;

use regex::Regex;

/// What a label introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The information system's name.
    SystemName,
    /// The institution's name.
    Institution,
    /// A list of MPass attributes.
    Attribute,
    /// A list of MLog event types.
    EventType,
    /// A list of MNotify channels.
    Channel,
    /// A list of MDocs document types.
    DocumentType,
}

impl Kind {
    /// Every kind, in the order of the compiled regexes.
    pub const ALL: [Kind; 6] = [
        Kind::SystemName,
        Kind::Institution,
        Kind::Attribute,
        Kind::EventType,
        Kind::Channel,
        Kind::DocumentType,
    ];
}

/// Where a label may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A descriptive label ("denumirea sistemului"): anywhere in a line, followed by a
    /// separator, a connecting word ("este", "is"), an opening quote or the line's end.
    Anywhere,
    /// A short bare label ("sistemul", "si", "canal"): such words run through ordinary
    /// sentences, so only at a line's start and followed by a separator.
    Head,
}

/// One row of the table: the variants of a label for one kind, language and place.
#[derive(Debug)]
pub struct Row {
    /// What the label introduces.
    pub kind: Kind,
    /// `ro`, `ru` or `en`.
    #[cfg_attr(
        not(test),
        allow(dead_code, reason = "the table's own record, checked by its tests")
    )]
    pub language: &'static str,
    /// Where it may stand.
    pub place: Place,
    /// Singular variants, folded.
    pub singular: &'static [&'static str],
    /// Plural variants, folded.
    pub plural: &'static [&'static str],
}

use Kind::*;
use Place::*;

/// Every label variant the extractors know.
#[rustfmt::skip]
pub const TABLE: &[Row] = &[
    // The information system's name.
    Row { kind: SystemName, language: "ro", place: Anywhere,
        singular: &["denumirea sistemului", "denumirea sistemului informational", "denumire sistem", "denumirea si", "denumire si", "numele sistemului", "numele sistemului informational"],
        plural: &["denumirea sistemelor", "denumirile sistemelor", "denumirile sistemelor informationale", "numele sistemelor"] },
    Row { kind: SystemName, language: "ro", place: Head,
        singular: &["sistemul", "sistemul informational", "sistem", "sistem informational", "si"],
        plural: &["sistemele", "sistemele informationale", "sisteme"] },
    Row { kind: SystemName, language: "ru", place: Anywhere,
        singular: &["название информационной системы", "наименование информационной системы", "название системы", "наименование системы", "название ис", "наименование ис"],
        plural: &["названия информационных систем", "наименования информационных систем", "названия систем", "наименования систем", "названия ис", "наименования ис"] },
    Row { kind: SystemName, language: "ru", place: Head,
        singular: &["ис", "информационная система", "система"],
        plural: &["информационные системы", "системы"] },
    Row { kind: SystemName, language: "en", place: Anywhere,
        singular: &["information system name", "system name", "system's name", "name of the information system", "name of the system"],
        plural: &["information system names", "system names", "names of the information systems", "names of the systems"] },
    Row { kind: SystemName, language: "en", place: Head,
        singular: &["information system", "system", "is"],
        plural: &["information systems", "systems"] },
    // The institution's name.
    Row { kind: Institution, language: "ro", place: Anywhere,
        singular: &["denumirea institutiei", "numele institutiei", "denumirea organizatiei", "denumirea beneficiarului"],
        plural: &["denumirile institutiilor", "denumirea institutiilor"] },
    Row { kind: Institution, language: "ro", place: Head,
        singular: &["institutia", "institutie", "beneficiarul", "beneficiar", "organizatia"],
        plural: &["institutiile", "beneficiarii", "organizatiile"] },
    Row { kind: Institution, language: "ru", place: Anywhere,
        singular: &["название учреждения", "наименование учреждения", "название организации", "наименование организации"],
        plural: &["названия учреждений", "наименования учреждений", "наименования организаций"] },
    Row { kind: Institution, language: "ru", place: Head,
        singular: &["учреждение", "организация", "бенефициар"],
        plural: &["учреждения", "организации", "бенефициары"] },
    Row { kind: Institution, language: "en", place: Anywhere,
        singular: &["institution name", "name of the institution", "organization name", "organisation name", "name of the organization"],
        plural: &["institution names", "names of the institutions"] },
    Row { kind: Institution, language: "en", place: Head,
        singular: &["institution", "organization", "organisation", "beneficiary"],
        plural: &["institutions", "organizations", "organisations", "beneficiaries"] },
    // MPass attributes.
    Row { kind: Attribute, language: "ro", place: Anywhere,
        singular: &["atributul de autentificare", "atribut mpass"],
        plural: &["atributele de autentificare", "atribute de autentificare", "atributele mpass", "atribute mpass", "lista atributelor", "lista de atribute"] },
    Row { kind: Attribute, language: "ro", place: Head,
        singular: &["atribut", "atributul"],
        plural: &["atribute", "atributele", "atributelor"] },
    Row { kind: Attribute, language: "ru", place: Anywhere,
        singular: &["атрибут mpass", "атрибут аутентификации"],
        plural: &["атрибуты mpass", "атрибуты аутентификации", "список атрибутов", "необходимые атрибуты", "запрашиваемые атрибуты"] },
    Row { kind: Attribute, language: "ru", place: Head,
        singular: &["атрибут"],
        plural: &["атрибуты", "атрибутов"] },
    Row { kind: Attribute, language: "en", place: Anywhere,
        singular: &["mpass attribute", "authentication attribute"],
        plural: &["mpass attributes", "authentication attributes", "required attributes", "requested attributes", "list of attributes", "attribute list"] },
    Row { kind: Attribute, language: "en", place: Head,
        singular: &["attribute"],
        plural: &["attributes"] },
    // MLog event types.
    Row { kind: EventType, language: "ro", place: Anywhere,
        singular: &["tip de eveniment", "tipul de eveniment", "tip eveniment", "tipul evenimentului"],
        plural: &["tipuri de evenimente", "tipurile de evenimente", "tipuri evenimente", "tipurile evenimentelor", "lista evenimentelor", "lista de evenimente"] },
    Row { kind: EventType, language: "ro", place: Head,
        singular: &["eveniment", "evenimentul"],
        plural: &["evenimente", "evenimentele"] },
    Row { kind: EventType, language: "ru", place: Anywhere,
        singular: &["тип события", "вид события"],
        plural: &["типы событий", "виды событий", "список событий"] },
    Row { kind: EventType, language: "ru", place: Head,
        singular: &["событие"],
        plural: &["события"] },
    Row { kind: EventType, language: "en", place: Anywhere,
        singular: &["event type", "type of event"],
        plural: &["event types", "types of events", "list of events"] },
    Row { kind: EventType, language: "en", place: Head,
        singular: &["event"],
        plural: &["events"] },
    // MNotify channels.
    Row { kind: Channel, language: "ro", place: Anywhere,
        singular: &["canal de notificare", "canalul de notificare", "canal de notificari", "canal de comunicare"],
        plural: &["canale de notificare", "canalele de notificare", "canale de notificari", "canale de comunicare"] },
    Row { kind: Channel, language: "ro", place: Head,
        singular: &["canal", "canalul"],
        plural: &["canale", "canalele"] },
    Row { kind: Channel, language: "ru", place: Anywhere,
        singular: &["канал уведомлений", "канал уведомления", "канал оповещения"],
        plural: &["каналы уведомлений", "каналы уведомления", "каналы оповещения"] },
    Row { kind: Channel, language: "ru", place: Head,
        singular: &["канал"],
        plural: &["каналы"] },
    Row { kind: Channel, language: "en", place: Anywhere,
        singular: &["notification channel", "channel of notification"],
        plural: &["notification channels", "channels of notification"] },
    Row { kind: Channel, language: "en", place: Head,
        singular: &["channel"],
        plural: &["channels"] },
    // MDocs document types.
    Row { kind: DocumentType, language: "ro", place: Anywhere,
        singular: &["tip de document", "tipul de document", "tip document", "tipul documentului"],
        plural: &["tipuri de documente", "tipurile de documente", "tipuri documente", "tipurile documentelor"] },
    Row { kind: DocumentType, language: "ru", place: Anywhere,
        singular: &["тип документа", "вид документа"],
        plural: &["типы документов", "виды документов"] },
    Row { kind: DocumentType, language: "en", place: Anywhere,
        singular: &["document type", "type of document"],
        plural: &["document types", "types of documents"] },
];

/// Words that may stand between a label and its separator ("Atributele necesare:"), folded.
#[rustfmt::skip]
pub const QUALIFIERS: &[&str] = &[
    "necesare", "solicitate", "cerute", "dorite", "utilizate", "folosite", "propuse",
    "required", "requested", "needed", "used", "proposed",
    "необходимые", "запрашиваемые", "используемые",
    "mpass", "mlog", "mnotify", "mdocs",
];

/// Words that join a descriptive label to its value ("… este X", "… is called X"), folded.
#[rustfmt::skip]
pub const CONNECTING: &[&str] = &[
    "is called", "will be called", "will be", "is", "are",
    "se numeste", "va fi", "vor fi", "este", "sunt", "e",
    "называется", "будет", "будут", "это", "является", "являются",
];

/// Every variant of `kind` at `place`, longest first so the regex prefers it.
fn variants(kind: Kind, place: Place) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = TABLE
        .iter()
        .filter(|r| r.kind == kind && r.place == place)
        .flat_map(|r| r.singular.iter().chain(r.plural.iter()).copied())
        .collect();
    all.sort_by_key(|v| Reverse(v.len()));
    all.dedup();
    all
}

/// An alternation of folded phrases, any run of blanks between their words.
fn alternation(phrases: &[&str]) -> String {
    let mut sorted = phrases.to_vec();
    sorted.sort_by_key(|v| Reverse(v.len()));
    sorted
        .iter()
        .map(|p| regex::escape(p).replace(' ', r"[ \t]+"))
        .collect::<Vec<_>>()
        .join("|")
}

/// The regex of one kind. The empty group `h` (a head label) or `a` (a descriptive one)
/// marks where the value part begins: after the label, its qualifiers and a remark in
/// parentheses, before the separator. Whatever may follow a label starts with a non-letter,
/// so no `\b` is needed — and none is wanted: a Unicode word boundary keeps the fast
/// engines off Cyrillic text.
/// A word of a label's own lead-in (conjunctions are refused after matching, by
/// [`lead_is_own`]).
const LEAD_WORD: &str = r"[\p{L}-]+";

/// Conjunctions that, in a label's lead-in, join a second subject to it.
const LEAD_CONJUNCTIONS: &[&str] = &["si", "sau", "and", "or", "и", "или"];

/// Whether the words of a lead-in label (folded, up to its colon) are the label's own: no
/// conjunction joins another subject to it.
pub fn lead_is_own(folded_label: &str) -> bool {
    !folded_label
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| LEAD_CONJUNCTIONS.contains(&w))
}

fn compile(kind: Kind) -> Regex {
    let qualifier = format!(r"(?:[ \t]+(?:{})){{0,2}}", alternation(QUALIFIERS));
    let remark = r"(?:[ \t]*\([^()\n]{0,120}\))?";
    let separator = r"[ \t]*[*_]*[ \t]*(?::|=|[-–—](?:[ \t]|$))";
    let connecting = format!(r"[ \t]+(?:{})(?:[ \t:]|$)", alternation(CONNECTING));
    let quote = r#"[ \t]*["„«“]"#;
    let end = r"[ \t]*[*_]*[ \t]*$";
    let mut parts = Vec::new();
    let heads = variants(kind, Head);
    if !heads.is_empty() {
        parts.push(format!(
            r"^[ \t*•_-]*(?:{}){qualifier}{remark}(?P<h>){separator}",
            alternation(&heads)
        ));
    }
    let anywhere = alternation(&variants(kind, Anywhere));
    parts.push(format!(
        r"(?:^|[^\p{{L}}\p{{N}}])(?:{anywhere}){qualifier}{remark}(?P<a>)(?:{separator}|{connecting}|{quote}|{end})",
    ));
    // A descriptive label opening its line (after at most two words: "The event types…",
    // "Our system name…") may be followed by a few words of its own before the colon ("Tipurile de evenimente care vor fi logate:", "The event types we need:",
    // "Типы событий, которые нужно логировать:"). Never by a conjunction: "denumirea
    // sistemului și tipurile de evenimente:" introduces the events, not the name.
    parts.push(format!(
        r"^[ \t*•_-]*(?:{LEAD_WORD}[ \t]+){{0,2}}(?:{anywhere})(?:[ \t]*,?[ \t]+(?:{LEAD_WORD})){{1,8}}{remark}(?P<l>)[ \t]*[*_]*[ \t]*:",
    ));
    Regex::new(&format!("(?m){}", parts.join("|"))).expect("the label table compiles")
}

static COMPILED: LazyLock<Vec<Regex>> =
    LazyLock::new(|| Kind::ALL.iter().map(|k| compile(*k)).collect());

/// The compiled labels of `kind`, to run over folded text; group `h` or `a` marks the value.
pub fn regex(kind: Kind) -> &'static Regex {
    let at = Kind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind is compiled");
    &COMPILED[at]
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;
