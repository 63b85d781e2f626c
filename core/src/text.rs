//! Text that comes from the engine, an image or a container is hostile. Outside the terminal
//! it is shown only after control characters and invisible direction overrides are neutralised.

/// Replaces C0/C1 control characters (except none) and bidirectional overrides with U+FFFD,
/// so a container name cannot move the cursor, ring bells or reorder what the user reads.
pub fn neutralise(s: &str) -> String {
    // Printable ASCII (almost every name, ID and path) is checked a byte at a time.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(is_dangerous) {
        return s.to_owned();
    }
    s.chars().map(|c| if is_dangerous(c) { '\u{FFFD}' } else { c }).collect()
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Neutralises every string of a list.
pub fn neutralise_all<I: IntoIterator<Item = String>>(items: I) -> Vec<String> {
    items.into_iter().map(|s| neutralise(&s)).collect()
}

/// Every byte but RFC 3986's unreserved ones (`A–Z a–z 0–9 - . _ ~`) is percent-encoded.
const COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes `s` for one component of a URL: a query value, a path segment.
pub fn url_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_plain_text_alone() {
        assert_eq!(neutralise("web-1 ünïcode ✓"), "web-1 ünïcode ✓");
    }

    #[test]
    fn replaces_controls_and_bidi_overrides() {
        assert_eq!(neutralise("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb");
        assert_eq!(neutralise("x\ny\tz\u{7}"), "x\u{FFFD}y\u{FFFD}z\u{FFFD}");
        assert_eq!(neutralise("evil\u{202E}gpj.exe"), "evil\u{FFFD}gpj.exe");
        assert_eq!(neutralise("c1\u{9b}31m"), "c1\u{FFFD}31m");
    }

    #[test]
    fn encodes_url_components() {
        assert_eq!(url_component("/bin/sh"), "%2Fbin%2Fsh");
        assert_eq!(url_component("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(url_component("x y&z=ü"), "x%20y%26z%3D%C3%BC");
    }
}
