//! The engine reports some times as RFC 3339 strings; the lists use Unix seconds. Parsing and
//! formatting are the `time` crate's strict RFC 3339 (a day that does not exist, a missing
//! offset or anything after the time is refused, not guessed).

use ::time::format_description::well_known::Rfc3339;
use ::time::OffsetDateTime;

/// Parses `2024-05-01T12:34:56.123456789Z` or `…+02:00` into Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

/// Unix seconds as `2026-11-29T07:44:42Z`.
pub fn format_rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Now, as RFC 3339 (UTC), to the second.
pub fn now_rfc3339() -> String {
    format_rfc3339(OffsetDateTime::now_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.123456789Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        // The engine's "never" (a container that never started or finished).
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(-62_135_596_800));
        assert_eq!(parse_rfc3339("garbage"), None);
        assert_eq!(parse_rfc3339("2023-13-01T00:00:00Z"), None);
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for bad in [
            "2023-02-31T00:00:00Z", // no such day
            "2023-02-29T00:00:00Z", // not a leap year
            "2023-11-14T22:13:20Zjunk",
            "2023-11-14T22:13:20", // no offset
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:20+2:00",
            "2023-11-14",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips() {
        for s in ["1970-01-01T00:00:00Z", "2026-11-29T07:44:42Z", "2000-02-29T23:59:59Z", "2100-03-01T00:00:00Z"] {
            assert_eq!(format_rfc3339(parse_rfc3339(s).unwrap()), s);
        }
    }
}
