//! The review as the window holds it: each container's grade and findings (not its facts,
//! kernel values and comparison, which the Security tab reads when it opens), sent as a change
//! to what the window already has.
//!
//! The window asks for the review whenever a container appears, goes, starts or stops. At
//! 1,000 containers the whole report is ~7 MB of JSON; under a churn of one container a second
//! that was 7 MB a second through IPC and parsed into the page, and both processes grew by
//! ~40 MB in two minutes. Now the window names the fingerprints of the reviews it holds, and
//! only the reviews it does not hold travel, with the order of all of them.

use super::report::{AuditReport, ContainerReport, EngineReport, ImageReport, Summary};
use super::rules::Finding;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

#[cfg(feature = "ts")]
use ts_rs::TS;

/// At most this many fingerprints in one request (a window holds one per container).
pub const MAX_HELD: usize = 200_000;

/// A container's review as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ContainerReview {
    pub id: String,
    pub name: String,
    pub image: String,
    pub running: bool,
    /// 0–100, higher is better isolated.
    pub score: u8,
    /// A (best) to F; F whenever a critical finding exists.
    pub grade: String,
    pub findings: Vec<Finding>,
}

impl From<ContainerReport> for ContainerReview {
    fn from(r: ContainerReport) -> Self {
        ContainerReview {
            id: r.id,
            name: r.name,
            image: r.image,
            running: r.running,
            score: r.score,
            grade: r.grade,
            findings: r.findings,
        }
    }
}

impl ContainerReview {
    /// Names this exact review (same container, same grade, same findings): 16 hex digits.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut h = std::hash::DefaultHasher::new();
        // The JSON the window receives: what it shows is what is compared.
        serde_json::to_vec(self).unwrap_or_default().hash(&mut h);
        Fingerprint(format!("{:016x}", h.finish()))
    }
}

/// A review's fingerprint, as `ContainerReview::fingerprint` makes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Checks a fingerprint from outside: exactly 16 lowercase hex digits.
    pub fn parse(s: &str) -> Result<Fingerprint> {
        if s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Fingerprint(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "not a review fingerprint (16 hex digits): {:?}",
                s.chars().take(40).collect::<String>()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks the fingerprints a window says it holds.
pub fn parse_held(held: &[String]) -> Result<HashSet<Fingerprint>> {
    if held.len() > MAX_HELD {
        return Err(Error::invalid(format!("{} review fingerprints: at most {MAX_HELD}", held.len())));
    }
    held.iter().map(|s| Fingerprint::parse(s)).collect()
}

/// A container's place in the review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ReviewRef {
    pub id: String,
    pub fingerprint: Fingerprint,
}

/// The whole review, as a change to what the window holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FleetReview {
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub engine: EngineReport,
    pub images: Vec<ImageReport>,
    pub summary: Summary,
    /// Every container, most at risk first, and the fingerprint of its review.
    pub order: Vec<ReviewRef>,
    /// The reviews whose fingerprints the window did not say it holds.
    pub changed: Vec<ContainerReview>,
}

impl FleetReview {
    pub fn new(report: AuditReport, held: &HashSet<Fingerprint>) -> FleetReview {
        let mut order = Vec::with_capacity(report.containers.len());
        let mut changed = Vec::new();
        for r in report.containers {
            let review = ContainerReview::from(r);
            let fingerprint = review.fingerprint();
            if !held.contains(&fingerprint) {
                changed.push(review.clone());
            }
            order.push(ReviewRef { id: review.id, fingerprint });
        }
        FleetReview {
            generated_at: report.generated_at,
            engine: report.engine,
            images: report.images,
            summary: report.summary,
            order,
            changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(id: &str, grade: &str) -> ContainerReview {
        ContainerReview {
            id: id.into(),
            name: format!("n-{id}"),
            image: "img".into(),
            running: true,
            score: 50,
            grade: grade.into(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn a_fingerprint_names_one_review() {
        let a = review("a", "B");
        assert_eq!(a.fingerprint(), a.clone().fingerprint());
        assert_ne!(a.fingerprint(), review("a", "C").fingerprint());
        assert_ne!(a.fingerprint(), review("b", "B").fingerprint());
        assert!(Fingerprint::parse(a.fingerprint().as_str()).is_ok());
    }

    #[test]
    fn fingerprints_from_outside_are_checked() {
        for bad in ["", "abc", "0123456789abcdeg", "0123456789ABCDEF", "0123456789abcdef0", "../../etc/passwd"] {
            let e = Fingerprint::parse(bad).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::InvalidArgument, "{bad}");
        }
        assert!(parse_held(&vec!["0123456789abcdef".to_owned(); MAX_HELD + 1]).is_err());
        assert_eq!(parse_held(&vec!["0123456789abcdef".to_owned(); 3]).unwrap().len(), 1);
    }
}
