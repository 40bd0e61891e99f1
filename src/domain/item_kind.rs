//! What an item filed on a case is: a domain value, named once for the database, the
//! templates and the operators' `SET` command.

/// The kind of an item filed on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A certificate read from an attachment (value: its serial in hex).
    Certificate,
    /// A serial number written in the text (value: hex).
    SerialNumber,
    /// The information system's name.
    SystemName,
    /// A public IP address.
    PublicIp,
    /// An endpoint URL.
    Url,
    /// An MPass authentication attribute.
    Attribute,
    /// An MLog event type.
    EventType,
    /// An MNotify notification channel.
    Channel,
    /// An MDocs document type.
    DocumentType,
    /// How MPower will be used: `api` or `agency`.
    Mode,
}

crate::db::stored_names!(ItemKind {
    Certificate => "certificate",
    SerialNumber => "serial_number",
    SystemName => "system_name",
    PublicIp => "public_ip",
    Url => "url",
    Attribute => "attribute",
    EventType => "event_type",
    Channel => "channel",
    DocumentType => "document_type",
    Mode => "mode",
});

impl ItemKind {
    /// Every kind, in display order.
    pub const ALL: [ItemKind; 10] = [
        ItemKind::Certificate,
        ItemKind::SerialNumber,
        ItemKind::SystemName,
        ItemKind::PublicIp,
        ItemKind::Url,
        ItemKind::Attribute,
        ItemKind::EventType,
        ItemKind::Channel,
        ItemKind::DocumentType,
        ItemKind::Mode,
    ];

    /// Kinds a case holds one of: a correction replaces the old value.
    pub fn is_single(self) -> bool {
        matches!(self, ItemKind::SystemName | ItemKind::Mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_stored_name() {
        for kind in ItemKind::ALL {
            assert_eq!(kind.as_str().parse::<ItemKind>().unwrap(), kind);
        }
        assert!("certificates".parse::<ItemKind>().is_err());
    }
}
