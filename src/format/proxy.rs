//! Forwarded chains and trusted proxies (docs/contract.md §1, "Forwarded chains and trusted
//! proxies").
//!
//! Behind load balancers and CDNs a request's peer is a proxy and the client is in
//! `X-Forwarded-For`. A line's *chain* is that header's entries in order (split at `,`, each
//! trimmed of spaces, tabs and IIS's `+`, empty entries dropped; a value of `-` or nothing has
//! none), then the peer. With trusted proxies (`--trusted-proxy CIDR`) the client is the right-most entry that
//! is not a trusted address, as nginx's `set_real_ip_from` with `real_ip_recursive on` finds it;
//! when every entry is trusted, the left-most. Without any, each format keeps its own rule.

use std::net::IpAddr;

use super::client::{clean_address, client, Client};
use crate::keys::{leading_v4, parse_v4};

/// One trusted network: an address and a prefix length, IPv4 or IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Net {
    V4 { net: u32, len: u8 },
    V6 { net: u128, len: u8 },
}

impl Net {
    fn contains(self, addr: IpAddr) -> bool {
        match (self, addr) {
            (Net::V4 { net, len }, IpAddr::V4(a)) => u32::from(a) & mask32(len) == net,
            (Net::V4 { net, len }, IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a| u32::from(a) & mask32(len) == net),
            (Net::V6 { net, len }, IpAddr::V6(a)) => u128::from(a) & mask128(len) == net,
            (Net::V6 { .. }, IpAddr::V4(_)) => false,
        }
    }
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// The trusted proxies of a run (`--trusted-proxy`), in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Proxies {
    nets: Vec<Net>,
    /// The IPv4 networks as (network, mask), for the common entry: a dotted quad read once.
    v4: Vec<(u32, u32)>,
    /// The CIDRs as given, for plans, wire messages and messages.
    written: Vec<String>,
}

impl Proxies {
    /// Proxies from CIDRs as written (`10.0.0.0/8`, `2001:db8::/32`, or one address).
    pub(crate) fn parse<'a>(cidrs: impl IntoIterator<Item = &'a str>) -> Result<Proxies, String> {
        let mut proxies = Proxies::default();
        for cidr in cidrs {
            proxies.push(cidr)?;
        }
        Ok(proxies)
    }

    /// Trusts one more CIDR as written.
    pub fn push(&mut self, cidr: &str) -> Result<(), String> {
        let net = parse_cidr(cidr)?;
        if let Net::V4 { net, len } = net {
            self.v4.push((net, mask32(len)));
        }
        self.nets.push(net);
        self.written.push(cidr.to_string());
        Ok(())
    }

    /// Whether no proxy is trusted (then no chain is walked).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// The CIDRs as given.
    pub(crate) fn written(&self) -> &[String] {
        &self.written
    }

    /// Whether a chain entry (port and brackets already off) is a trusted address.
    #[inline]
    #[cfg(test)]
    pub(crate) fn trusts(&self, entry: &[u8]) -> bool {
        match parse_v4(entry) {
            Some(v4) => self.trusts_v4(v4),
            None => self.trusts_other(entry),
        }
    }

    #[inline]
    fn trusts_v4(&self, v4: u32) -> bool {
        self.v4.iter().any(|&(net, mask)| v4 & mask == net)
    }

    /// `Proxies::trusts` (the tests' reference) for what is not a canonical dotted quad.
    #[cold]
    fn trusts_other(&self, entry: &[u8]) -> bool {
        match std::str::from_utf8(entry)
            .ok()
            .and_then(|s| s.parse::<IpAddr>().ok())
        {
            Some(addr) => self.nets.iter().any(|n| n.contains(addr)),
            None => false,
        }
    }

    /// An entry of `forwarded` with its port and brackets off, and whether it is trusted: a
    /// plain dotted quad (the common entry) is read once for both, by [`leading_v4`] where the
    /// comma after it is in sight.
    #[inline]
    fn judge<'a>(&self, forwarded: &'a [u8], entry: &'a [u8]) -> (Found<'a>, bool) {
        let at = entry.as_ptr() as usize - forwarded.as_ptr() as usize;
        let v4 = match leading_v4(&forwarded[at..]) {
            Some((v4, end)) if end == entry.len() => Some(v4),
            _ => parse_v4(entry),
        };
        if let Some(v4) = v4 {
            return ((entry, Some(v4)), self.trusts_v4(v4));
        }
        let entry = clean_address(entry);
        let v4 = parse_v4(entry);
        let trusted = match v4 {
            Some(v4) => self.trusts_v4(v4),
            None => self.trusts_other(entry),
        };
        ((entry, v4), trusted)
    }

    /// The client of the chain `forwarded` (an `X-Forwarded-For` value) then `peer`: the
    /// right-most entry that is not trusted, else the left-most; `None` for an empty chain.
    /// Header entries come back with their port and brackets off ([`clean_address`]); the
    /// peer as its format writes it.
    #[cfg(test)]
    pub(crate) fn walk<'a>(&self, forwarded: &'a [u8], peer: Option<&'a [u8]>) -> Option<&'a [u8]> {
        self.walk_judged(forwarded, peer).map(|(bytes, _)| bytes)
    }

    /// `Proxies::walk` (the tests' reference), as a request's client: a dotted quad read once (while judging it),
    /// none for an empty chain or a `-`.
    #[inline]
    pub(crate) fn walk_client<'a>(
        &self,
        forwarded: &'a [u8],
        peer: Option<&'a [u8]>,
    ) -> Client<'a> {
        match self.walk_judged(forwarded, peer) {
            Some((_, Some(v4))) => Client::V4(v4),
            Some((bytes, None)) => client(bytes),
            None => Client::Absent,
        }
    }

    #[inline]
    fn walk_judged<'a>(&self, forwarded: &'a [u8], peer: Option<&'a [u8]>) -> Option<Found<'a>> {
        let peer = peer.map(|p| (p, parse_v4(p)));
        if let Some((p, v4)) = peer {
            let trusted = match v4 {
                Some(v4) => self.trusts_v4(v4),
                None => self.trusts_other(p),
            };
            if !trusted {
                return peer;
            }
        }
        let mut leftmost = peer;
        for entry in entries(forwarded).rev() {
            let (found, trusted) = self.judge(forwarded, entry);
            if !trusted {
                return Some(found);
            }
            leftmost = Some(found);
        }
        leftmost
    }
}

/// An entry, and the dotted quad it is, where it is one.
type Found<'a> = (&'a [u8], Option<u32>);

/// The entries of an `X-Forwarded-For` value, in order: split at `,`, trimmed of spaces,
/// tabs and `+`, empty ones dropped; a value of `-` has none.
pub(crate) fn entries(forwarded: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    let value = if forwarded == b"-" {
        &[][..]
    } else {
        forwarded
    };
    value
        .split(|&b| b == b',')
        .map(trim_blanks)
        .filter(|e| !e.is_empty())
}

/// An entry without surrounding spaces, tabs and `+` (IIS writes a space in a value as `+`:
/// `203.0.113.9,+10.0.0.2`), not the other ASCII whitespace.
fn trim_blanks(e: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'+');
    let start = e.iter().position(|b| !blank(b));
    let end = e.iter().rposition(|b| !blank(b));
    match (start, end) {
        (Some(s), Some(t)) => &e[s..=t],
        _ => &[],
    }
}

/// The first entry of a forwarded chain (`forwarded` then `peer`), with its port and
/// brackets off: the client where no proxy is trusted and the list itself is the client.
#[inline]
pub(crate) fn first<'a>(forwarded: &'a [u8], peer: Option<&'a [u8]>) -> Option<&'a [u8]> {
    entries(forwarded).next().or(peer).map(clean_address)
}

/// One CIDR: an IPv4 or IPv6 address, optionally `/LEN` (no length: that address alone; bits
/// past the length are ignored, as nginx's `set_real_ip_from` ignores them).
fn parse_cidr(cidr: &str) -> Result<Net, String> {
    let bad =
        |why: &str| format!("`{cidr}` is not a CIDR ({why}; e.g. 10.0.0.0/8 or 2001:db8::/32)");
    let (addr, len) = match cidr.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (cidr, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && l.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(bad(&format!("the length must be 0 to {max}"))),
        },
    };
    Ok(match addr {
        IpAddr::V4(a) => Net::V4 {
            net: u32::from(a) & mask32(len),
            len,
        },
        IpAddr::V6(a) => Net::V6 {
            net: u128::from(a) & mask128(len),
            len,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(cidrs: &[&str]) -> Proxies {
        Proxies::parse(cidrs.iter().copied()).unwrap()
    }

    fn walk<'a>(p: &Proxies, xff: &'a str, peer: Option<&'a str>) -> Option<&'a str> {
        p.walk(xff.as_bytes(), peer.map(str::as_bytes))
            .map(|c| std::str::from_utf8(c).unwrap())
    }

    #[test]
    fn cidrs_parse_strictly() {
        for ok in [
            "10.0.0.0/8",
            "10.1.2.3/8",
            "10.0.0.1",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::1",
            "::/0",
        ] {
            assert!(parse_cidr(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "01.2.3.4",
            "::1/129",
            "example.com",
            "10.0.0.0/8 ",
        ] {
            let e = parse_cidr(bad).unwrap_err();
            assert!(e.starts_with(&format!("`{bad}` is not a CIDR")), "{e}");
        }
        assert_eq!(parse_cidr("10.1.2.3/8"), parse_cidr("10.0.0.0/8"));
    }

    #[test]
    fn trust_is_membership_of_a_network() {
        let p = proxies(&["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]);
        assert!(p.trusts(b"10.200.0.1"));
        assert!(p.trusts(b"192.168.1.7"));
        assert!(!p.trusts(b"192.168.1.8"));
        assert!(p.trusts(b"2001:db8:ffff::1"));
        assert!(
            p.trusts(b"2001:DB8::1"),
            "any spelling of an address in the network"
        );
        assert!(
            p.trusts(b"::ffff:10.0.0.1"),
            "IPv4-mapped addresses match IPv4 networks"
        );
        assert!(!p.trusts(b"2001:db9::1"));
        assert!(!p.trusts(b"unknown"));
        assert!(!p.trusts(b"010.0.0.1"), "not an address as written");
        assert!(!p.trusts(b""));
        assert!(proxies(&["0.0.0.0/0"]).trusts(b"1.2.3.4"));
        assert!(!proxies(&["0.0.0.0/0"]).trusts(b"::1"));
    }

    #[test]
    fn chains_are_walked_right_to_left() {
        let p = proxies(&["10.0.0.0/8", "203.0.113.0/24"]);
        // the peer is a trusted load balancer, the CDN hop too: the client is left of them
        assert_eq!(
            walk(&p, "198.51.100.7, 203.0.113.5", Some("10.0.1.10")),
            Some("198.51.100.7")
        );
        // a forged entry left of the real client is never reached
        assert_eq!(
            walk(&p, "1.1.1.1, 198.51.100.7", Some("10.0.1.10")),
            Some("198.51.100.7")
        );
        // an untrusted peer is the client, whatever the header says
        assert_eq!(
            walk(&p, "1.1.1.1", Some("198.51.100.9")),
            Some("198.51.100.9")
        );
        // all trusted: the left-most
        assert_eq!(
            walk(&p, "10.9.9.9, 10.0.0.2", Some("10.0.1.10")),
            Some("10.9.9.9")
        );
        assert_eq!(walk(&p, "-", Some("10.0.1.10")), Some("10.0.1.10"));
        assert_eq!(walk(&p, "", Some("10.0.1.10")), Some("10.0.1.10"));
        // ports, brackets, spaces, tabs, empty entries, `unknown`
        assert_eq!(
            walk(
                &p,
                " [2001:db8::1]:443 ,\t10.0.0.3:80,, ",
                Some("10.0.1.10")
            ),
            Some("2001:db8::1")
        );
        assert_eq!(
            walk(&p, "unknown, 10.0.0.3", Some("10.0.1.10")),
            Some("unknown")
        );
        // no peer: the header alone
        assert_eq!(
            walk(&p, "198.51.100.7, 10.0.0.3", None),
            Some("198.51.100.7")
        );
        assert_eq!(walk(&p, "-", None), None);
        assert_eq!(walk(&p, " , ", None), None);
        // IPv6 proxies and clients
        let p6 = proxies(&["2001:db8::/32"]);
        assert_eq!(
            walk(&p6, "2a02:c7f::2, 2001:db8::10", Some("2001:db8::1")),
            Some("2a02:c7f::2")
        );
    }

    #[test]
    fn without_trust_the_first_entry() {
        assert_eq!(
            first(b"1.2.3.4:5, 10.0.0.1", Some(b"10.0.0.2")),
            Some(&b"1.2.3.4"[..])
        );
        assert_eq!(first(b"-", Some(b"10.0.0.2")), Some(&b"10.0.0.2"[..]));
        assert_eq!(first(b"", None), None);
        assert_eq!(
            entries(b"a,b , ,c").collect::<Vec<_>>(),
            [&b"a"[..], b"b", b"c"]
        );
        assert_eq!(entries(b"-").count(), 0);
        assert_eq!(entries(b"-, a").collect::<Vec<_>>(), [&b"-"[..], b"a"]);
    }
}
