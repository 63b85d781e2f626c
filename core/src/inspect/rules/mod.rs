//! The rule catalogue: each rule is data (a stable ID, severity, title, why it matters, the
//! exact fix, CIS Docker Benchmark v1.6.0 and OWASP Docker Security Cheat Sheet references)
//! plus a pure check function that returns the evidence it saw, or nothing.

pub mod engine;
pub mod image;
pub mod runtime;
pub mod topology;

use super::facts::{ContainerFacts, EngineFacts, ImageFacts};
use super::host::KernelFacts;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ts")]
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum Scope {
    Container,
    Image,
    Engine,
}

/// A rule, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: &'static str,
    pub scope: Scope,
    pub severity: Severity,
    pub title: &'static str,
    /// Why it matters, in plain words.
    pub why: &'static str,
    /// The exact fix: the `docker run` flag or the setting.
    pub fix: &'static str,
    /// CIS Docker Benchmark v1.6.0 recommendation.
    pub cis: Option<&'static str>,
    /// OWASP Docker Security Cheat Sheet rule.
    pub owasp: Option<&'static str>,
}

impl Rule {
    #[allow(clippy::too_many_arguments)]
    pub(crate) const fn new(
        scope: Scope,
        id: &'static str,
        severity: Severity,
        title: &'static str,
        why: &'static str,
        fix: &'static str,
        cis: Option<&'static str>,
        owasp: Option<&'static str>,
    ) -> Rule {
        Rule { id, scope, severity, title, why, fix, cis, owasp }
    }
}

/// A fix the engine can apply to a running container in one click (`docker update`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum QuickFix {
    PidsLimit {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        limit: i64,
    },
    Memory {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        bytes: i64,
    },
    Cpus {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        nano_cpus: i64,
    },
}

impl QuickFix {
    /// Refuses limits the engine would refuse or that would break the container outright.
    pub fn validate(&self) -> crate::Result<()> {
        let ok = match *self {
            QuickFix::PidsLimit { limit } => (8..=4_194_304).contains(&limit),
            QuickFix::Memory { bytes } => bytes >= 6 << 20,
            QuickFix::Cpus { nano_cpus } => nano_cpus >= 10_000_000,
        };
        if ok {
            Ok(())
        } else {
            Err(crate::Error::invalid("fix: the limit is out of range (pids 8–4194304, memory ≥ 6 MiB, CPUs ≥ 0.01)"))
        }
    }
}

/// A rule that fired, with what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub why: String,
    pub evidence: Vec<String>,
    pub fix: String,
    pub cis: Option<String>,
    pub owasp: Option<String>,
    pub quick_fix: Option<QuickFix>,
}

impl Finding {
    pub fn new(rule: &Rule, evidence: Vec<String>) -> Finding {
        Finding {
            rule_id: rule.id.into(),
            severity: rule.severity,
            title: rule.title.into(),
            why: rule.why.into(),
            evidence,
            fix: rule.fix.into(),
            cis: rule.cis.map(Into::into),
            owasp: rule.owasp.map(Into::into),
            quick_fix: None,
        }
    }
}

/// What a container rule may look at besides the container's configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    pub kernel: Option<&'a KernelFacts>,
    pub engine: Option<&'a EngineFacts>,
}

pub type ContainerCheck = fn(&ContainerFacts, &Context) -> Option<Vec<String>>;
pub type ImageCheck = fn(&ImageFacts) -> Option<Vec<String>>;
pub type EngineCheck = fn(&EngineFacts) -> Option<Vec<String>>;

/// Every rule of the catalogue, for documentation and SARIF's rule list.
pub fn catalogue() -> Vec<&'static Rule> {
    runtime::RULES
        .iter()
        .map(|(r, _)| r)
        .chain(topology::RULES.iter().map(|(r, _)| r))
        .chain(image::RULES.iter().map(|(r, _)| r))
        .chain(engine::RULES.iter().map(|(r, _)| r))
        .collect()
}

/// The catalogue as a Markdown document (docs/rules.md is this, checked fresh by the tests).
pub fn catalogue_markdown() -> String {
    let mut s = String::from(
        "# Bulkhead's security rules\n\nGenerated from `core/src/inspect/rules/` (`make rules-doc`). Rule IDs are stable. \
         CIS: CIS Docker Benchmark v1.6.0. OWASP: OWASP Docker Security Cheat Sheet.\n\n\
         One catalogue, two kinds of facts: the container rules judge running and created containers \
         (`bulkhead audit`, the Security view) and, where the column *Compose files* says so, the services of a \
         compose file before anything starts (`bulkhead audit --compose FILE`, the compose view). There a finding \
         points at the key named (or at the service, when the fix is to add that key); the others need the \
         running container or its image (a healthcheck may come from the image; the kernel exists only once it runs).\n",
    );
    for (scope, heading) in [
        (Scope::Container, "Container runtime"),
        (Scope::Image, "Image (configuration and history; nothing from the image runs)"),
        (Scope::Engine, "Engine and host"),
    ] {
        s.push_str(&format!(
            "\n## {heading}\n\n| ID | Severity | Title | CIS | OWASP | Compose files | Fix |\n|---|---|---|---|---|---|---|\n"
        ));
        for r in catalogue().into_iter().filter(|r| r.scope == scope) {
            let compose = match crate::compose::review::compose_key(r.id) {
                Some(key) => format!("yes: `{key}`"),
                None => "—".into(),
            };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                r.id,
                r.severity,
                r.title,
                r.cis.unwrap_or("—"),
                r.owasp.unwrap_or("—"),
                compose,
                r.fix.replace('|', "\\|")
            ));
        }
    }
    s
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    catalogue().into_iter().find(|r| r.id == id)
}

/// Runs every container rule.
pub fn check_container(c: &ContainerFacts, ctx: &Context) -> Vec<Finding> {
    let mut out: Vec<Finding> = runtime::RULES
        .iter()
        .filter_map(|(rule, check)| check(c, ctx).map(|ev| Finding::new(rule, ev)))
        .map(|mut f| {
            f.quick_fix = runtime::quick_fix(&f.rule_id, c);
            f
        })
        .collect();
    sort(&mut out);
    out
}

/// Runs the rules about what a container shares with the others (networks, volumes).
pub fn check_topology(c: &ContainerFacts, t: &topology::Topology) -> Vec<Finding> {
    topology::RULES.iter().filter_map(|(rule, check)| check(c, t).map(|ev| Finding::new(rule, ev))).collect()
}

pub fn check_image(i: &ImageFacts) -> Vec<Finding> {
    let mut out: Vec<Finding> =
        image::RULES.iter().filter_map(|(rule, check)| check(i).map(|ev| Finding::new(rule, ev))).collect();
    sort(&mut out);
    out
}

pub fn check_engine(e: &EngineFacts) -> Vec<Finding> {
    let mut out: Vec<Finding> =
        engine::RULES.iter().filter_map(|(rule, check)| check(e).map(|ev| Finding::new(rule, ev))).collect();
    sort(&mut out);
    out
}

/// Most severe first, then by rule ID (stable output).
fn sort(f: &mut [Finding]) {
    f.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.rule_id.cmp(&b.rule_id)));
}

/// Evidence when `cond` holds.
pub(crate) fn when(cond: bool, evidence: impl FnOnce() -> Vec<String>) -> Option<Vec<String>> {
    cond.then(evidence)
}
