//! IP addresses told apart: public ones the agency can allow-list, and everything else.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// Where an address lives, for the purpose of registering it with the agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// Routable on the internet: the only kind the agency can allow-list.
    Public,
    /// RFC 1918 / RFC 4193 private ranges and carrier-grade NAT (RFC 6598).
    Private,
    /// 127.0.0.0/8 and ::1.
    Loopback,
    /// 169.254.0.0/16 and fe80::/10.
    LinkLocal,
    /// RFC 5737 / RFC 3849 documentation ranges.
    Documentation,
    /// Unspecified, multicast, broadcast, benchmarking and other reserved space.
    Reserved,
}

impl IpClass {
    /// Classifies an address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => classify_v4(v4),
            IpAddr::V6(v6) => classify_v6(v6),
        }
    }

    /// The stable name stored in item details.
    pub fn name(self) -> &'static str {
        match self {
            IpClass::Public => "public",
            IpClass::Private => "private",
            IpClass::Loopback => "loopback",
            IpClass::LinkLocal => "link_local",
            IpClass::Documentation => "documentation",
            IpClass::Reserved => "reserved",
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> IpClass {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (127, _, _) => IpClass::Loopback,
        (10, _, _) | (192, 168, _) => IpClass::Private,
        (172, 16..=31, _) | (100, 64..=127, _) => IpClass::Private,
        (169, 254, _) => IpClass::LinkLocal,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => IpClass::Documentation,
        (0, _, _) | (192, 0, 0) | (198, 18..=19, _) | (224..=255, _, _) => IpClass::Reserved,
        _ => IpClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> IpClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if ip.is_loopback() {
        IpClass::Loopback
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        IpClass::Documentation
    } else if s[0] & 0xfe00 == 0xfc00 {
        IpClass::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        IpClass::LinkLocal
    } else if s[0] & 0xe000 == 0x2000 {
        // 2000::/3 is the only global unicast space allocated today.
        IpClass::Public
    } else {
        IpClass::Reserved
    }
}

/// An address that is routable on the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicIp(IpAddr);

impl PublicIp {
    /// Accepts `ip` only if it is public; otherwise returns its class.
    pub fn new(ip: IpAddr) -> Result<Self, IpClass> {
        match IpClass::of(ip) {
            IpClass::Public => Ok(Self(ip)),
            other => Err(other),
        }
    }

    /// The address.
    pub fn addr(self) -> IpAddr {
        self.0
    }
}

impl fmt::Display for PublicIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> IpClass {
        IpClass::of(s.parse().unwrap())
    }

    #[test]
    fn ranges_are_told_apart() {
        assert_eq!(class("194.0.2.10"), IpClass::Public);
        assert_eq!(class("10.1.2.3"), IpClass::Private);
        assert_eq!(class("172.20.0.1"), IpClass::Private);
        assert_eq!(class("172.32.0.1"), IpClass::Public);
        assert_eq!(class("192.168.1.1"), IpClass::Private);
        assert_eq!(class("100.70.0.1"), IpClass::Private);
        assert_eq!(class("127.0.0.1"), IpClass::Loopback);
        assert_eq!(class("169.254.1.1"), IpClass::LinkLocal);
        assert_eq!(class("192.0.2.5"), IpClass::Documentation);
        assert_eq!(class("198.51.100.5"), IpClass::Documentation);
        assert_eq!(class("203.0.113.5"), IpClass::Documentation);
        assert_eq!(class("0.0.0.0"), IpClass::Reserved);
        assert_eq!(class("255.255.255.255"), IpClass::Reserved);
        assert_eq!(class("2a02:2f0c::1"), IpClass::Public);
        assert_eq!(class("2001:db8::1"), IpClass::Documentation);
        assert_eq!(class("fd00::1"), IpClass::Private);
        assert_eq!(class("fe80::1"), IpClass::LinkLocal);
        assert_eq!(class("::1"), IpClass::Loopback);
        assert_eq!(class("::ffff:10.0.0.1"), IpClass::Private);
    }

    #[test]
    fn only_public_addresses_become_public_ips() {
        assert!(PublicIp::new("85.120.1.1".parse().unwrap()).is_ok());
        assert_eq!(
            PublicIp::new("192.168.0.1".parse().unwrap()),
            Err(IpClass::Private)
        );
    }
}
