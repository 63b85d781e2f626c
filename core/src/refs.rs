//! Validated references. Every ID, name or image reference that arrives from outside (IPC, the
//! command line) is parsed into one of these before it reaches bollard. Parsing is validation:
//! bollard builds URLs with `Url::join`, which collapses `..`, so `../images/x` used as a
//! container ID would otherwise reach another endpoint of the engine.

use crate::error::{Error, Result};
use std::fmt;

/// A container, by full ID, unique ID prefix (4 characters are usually enough) or name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef(String);

impl ContainerRef {
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.strip_prefix('/').unwrap_or(input);
        if s.is_empty() {
            return Err(Error::invalid("A container ID or name is required."));
        }
        if s.len() > 255 {
            return Err(Error::invalid("A container ID or name is at most 255 characters."));
        }
        // Docker's own name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*. Hex IDs and ID prefixes fit it too.
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok {
            return Err(Error::invalid(format!(
                "{:?} is not a container ID or name: use letters, digits, '_', '.' and '-', starting with a letter or digit.",
                crate::text::neutralise(input)
            )));
        }
        Ok(ContainerRef(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name for a new container: Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerName(String);

impl ContainerName {
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.strip_prefix('/').unwrap_or(input);
        let mut chars = s.chars();
        let ok = s.len() >= 2
            && s.len() <= 255
            && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(Error::invalid(
                "A container name is 2 to 255 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            ));
        }
        Ok(ContainerName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An image: `[registry[:port]/]path[:tag][@sha256:…]`, a full `sha256:` ID, or an ID prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef(String);

impl ImageRef {
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid(format!(
                "{:?} is not an image reference ({why}). Expected e.g. debian:12, registry.local:5000/team/app:1.0 or an image ID.",
                crate::text::neutralise(input)
            ))
        };
        if input.is_empty() {
            return Err(Error::invalid("An image reference is required."));
        }
        if input.len() > 512 {
            return Err(bad("too long"));
        }
        if let Some(hex) = input.strip_prefix("sha256:") {
            if is_hex(hex) && hex.len() <= 64 {
                return Ok(ImageRef(input.to_owned()));
            }
            return Err(bad("an image ID is sha256: followed by hexadecimal digits"));
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (input, None),
        };
        if let Some(d) = digest {
            let (algo, hex) = d.split_once(':').ok_or_else(|| bad("a digest is algorithm:hex"))?;
            let algo_ok = !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '_' | '-'));
            if !algo_ok || hex.len() < 32 || !is_hex(hex) {
                return Err(bad("the digest is malformed"));
            }
        }
        // A tag is what follows the last ':' after the last '/'.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], Some(&name_tag[last_slash + i + 1..])),
            None => (name_tag, None),
        };
        if let Some(t) = tag {
            let mut cs = t.chars();
            let ok = t.len() <= 128
                && cs.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok {
                return Err(bad("a tag is up to 128 letters, digits, '_', '.' and '-'"));
            }
        }
        if name.is_empty() || name.len() > 255 {
            return Err(bad("the name must be 1 to 255 characters"));
        }
        let mut parts: Vec<&str> = name.split('/').collect();
        if parts.len() > 1 && looks_like_domain(parts[0]) {
            if !valid_domain(parts[0]) {
                return Err(bad("the registry host is malformed"));
            }
            parts.remove(0);
        }
        if parts.iter().any(|p| !valid_path_component(p)) {
            return Err(bad("name parts are lowercase letters and digits, joined by '.', '_', '__' or '-'"));
        }
        Ok(ImageRef(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

fn looks_like_domain(s: &str) -> bool {
    s.contains('.') || s.contains(':') || s == "localhost" || s.chars().any(|c| c.is_ascii_uppercase())
}

fn valid_domain(s: &str) -> bool {
    let (host, port) = if s.starts_with('[') {
        match s.find(']') {
            Some(i) => (&s[..=i], s[i + 1..].strip_prefix(':')),
            None => return false,
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if let Some(v6) = host.strip_prefix('[') {
        let v6 = v6.strip_suffix(']').unwrap_or("");
        return !v6.is_empty()
            && v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
            && (port.is_some() || host.len() == s.len());
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
fn valid_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
            return false;
        }
    }
    true
}

/// Docker's name rule for what a user names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 255 long.
fn docker_name(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A volume, by name (volumes have no other ID; an anonymous one's name is 64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VolumeRef(String);

impl VolumeRef {
    pub fn parse(input: &str) -> Result<Self> {
        if input.is_empty() {
            return Err(Error::invalid("A volume name is required."));
        }
        if !docker_name(input) {
            return Err(Error::invalid(format!(
                "{:?} is not a volume name: use letters, digits, '_', '.' and '-', starting with a letter or digit.",
                crate::text::neutralise(input)
            )));
        }
        Ok(VolumeRef(input.to_owned()))
    }

    /// A name for a new volume: the local driver's rule, at least 2 characters.
    pub fn parse_new(input: &str) -> Result<Self> {
        if input.len() < 2 || !docker_name(input) {
            return Err(Error::invalid(
                "A volume name is 2 to 255 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            ));
        }
        Ok(VolumeRef(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A network, by full ID, unique ID prefix or name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkRef(String);

impl NetworkRef {
    pub fn parse(input: &str) -> Result<Self> {
        if input.is_empty() {
            return Err(Error::invalid("A network ID or name is required."));
        }
        if !docker_name(input) {
            return Err(Error::invalid(format!(
                "{:?} is not a network ID or name: use letters, digits, '_', '.' and '-', starting with a letter or digit.",
                crate::text::neutralise(input)
            )));
        }
        Ok(NetworkRef(input.to_owned()))
    }

    /// A name for a new network.
    pub fn parse_new(input: &str) -> Result<Self> {
        if input.is_empty() || !docker_name(input) {
            return Err(Error::invalid(
                "A network name is 1 to 255 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            ));
        }
        Ok(NetworkRef(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn volume_and_network_refs() {
        assert!(VolumeRef::parse(&"ab".repeat(32)).is_ok(), "an anonymous volume's name");
        assert!(VolumeRef::parse("data_1.v-2").is_ok());
        for bad in ["", "../x", "a/b", "-x", "a b", "x\u{0}", "é"] {
            assert!(VolumeRef::parse(bad).is_err(), "{bad:?}");
            assert!(NetworkRef::parse(bad).is_err(), "{bad:?}");
        }
        assert!(VolumeRef::parse_new("a").is_err(), "a new volume's name is at least 2 long");
        assert!(NetworkRef::parse_new("a").is_ok());
        assert!(NetworkRef::parse("a90b7abdb3f6").is_ok(), "an ID prefix");
        assert!(VolumeRef::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn container_refs() {
        for ok in ["web", "/web", "a1b2", "0123456789ab", "my_app.v2-1", &"f".repeat(64), "a..b"] {
            assert!(ContainerRef::parse(ok).is_ok(), "{ok} should parse");
        }
        assert_eq!(ContainerRef::parse("/web").unwrap().as_str(), "web");
        for bad in ["", "/", "../images/x", "..", ".", "a/b", "a b", "-x", "x?y", "x%2F..", "x#y", "ä", "a\u{0}"] {
            let e = ContainerRef::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
        assert!(ContainerRef::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn container_names() {
        for ok in ["web", "/web", "a1", "my_app.v2-1"] {
            assert!(ContainerName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "-x", "a b", "../x", "a/b", "_x", "ä1"] {
            assert_eq!(ContainerName::parse(bad).unwrap_err().kind, ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn image_refs() {
        for ok in [
            "busybox",
            "busybox:latest",
            "library/debian:12",
            "registry.local:5000/team/app:1.0",
            "127.0.0.1:5000/x",
            "localhost/x",
            "[::1]:5000/app:v1",
            "[::1]/app",
            "ghcr.io/o/r@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "a__b/c-d/e.f",
            "sha256:0123456789ab",
            "0123456789ab",
        ] {
            assert!(ImageRef::parse(ok).is_ok(), "{ok} should parse");
        }
        for bad in [
            "",
            "../images/x",
            "a/../b",
            "x/..",
            "./x",
            "UPPER",
            "a:b:c",
            "app:-tag",
            "a//b",
            "a/",
            "/a",
            "a@sha256:xyz",
            "sha256:XYZ",
            "a b",
            "a?b",
            "a#b",
            "a%2e%2e",
            "evil.com:/x",
            "a--",
        ] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
