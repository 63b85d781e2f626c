//! Scores, the audit report (its JSON is a documented, stable schema: docs/audit.schema.json),
//! SARIF 2.1.0 for code-scanning tools, and the plain-text table.

use super::facts::{ContainerFacts, EngineFacts, Probe};
use super::host::KernelFacts;
use super::rules::{self, Finding, Severity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[cfg(feature = "ts")]
use ts_rs::TS;

pub const SCHEMA_VERSION: u32 = 1;

/// One row of "inspect says / kernel says".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Comparison {
    pub aspect: String,
    pub inspect: String,
    pub kernel: String,
    /// None: the kernel's side is unknown.
    pub agree: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ContainerReport {
    pub id: String,
    pub name: String,
    pub image: String,
    pub running: bool,
    /// 0–100, higher is better isolated.
    pub score: u8,
    /// A (best) to F; F whenever a critical finding exists.
    pub grade: String,
    pub findings: Vec<Finding>,
    pub facts: ContainerFacts,
    pub kernel: KernelFacts,
    pub comparison: Vec<Comparison>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ImageReport {
    pub reference: String,
    pub id: String,
    pub findings: Vec<Finding>,
    /// Set when the image could not be reviewed (its findings are then unknown, not none).
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct EngineReport {
    pub facts: EngineFacts,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Summary {
    pub containers: u32,
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct AuditReport {
    pub schema_version: u32,
    pub tool: String,
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub engine: EngineReport,
    /// Most at risk first.
    pub containers: Vec<ContainerReport>,
    pub images: Vec<ImageReport>,
    pub summary: Summary,
}

fn weight(s: Severity) -> u32 {
    match s {
        Severity::Critical => 40,
        Severity::High => 20,
        Severity::Medium => 8,
        Severity::Low => 3,
        Severity::Info => 0,
    }
}

/// 100 minus the findings' weights (critical 40, high 20, medium 8, low 3), and a grade.
pub fn score(findings: &[Finding]) -> (u8, String) {
    let lost: u32 = findings.iter().map(|f| weight(f.severity)).sum();
    let score = 100u32.saturating_sub(lost) as u8;
    let grade = if findings.iter().any(|f| f.severity == Severity::Critical) {
        "F"
    } else {
        match score {
            90..=100 => "A",
            75..=89 => "B",
            60..=74 => "C",
            40..=59 => "D",
            _ => "F",
        }
    };
    (score, grade.into())
}

/// "inspect says / kernel says" for the limits, namespaces, user and privileges.
pub fn compare(c: &ContainerFacts, k: &KernelFacts) -> Vec<Comparison> {
    let mut out = Vec::new();
    let unknown = |p: &str| format!("unknown: {p}");
    let limit = |n: i64| if n > 0 { n.to_string() } else { "no limit".to_owned() };
    match &k.cgroup {
        Probe::Known { value: g } => {
            let pids = g.pids_max.map_or("max".to_owned(), |n| n.to_string());
            let agree = match (c.pids_limit > 0, g.pids_max) {
                (false, None) => true,
                (true, Some(n)) => i64::try_from(n).ok() == Some(c.pids_limit),
                _ => false,
            };
            out.push(Comparison {
                aspect: "pids limit".into(),
                inspect: limit(c.pids_limit),
                kernel: format!("pids.max = {pids}"),
                agree: Some(agree),
            });
            let mem = g.memory_max.map_or("no limit".to_owned(), |n| n.to_string());
            out.push(Comparison {
                aspect: "memory limit".into(),
                inspect: limit(c.memory),
                kernel: mem,
                agree: Some((c.memory > 0) == g.memory_max.is_some()),
            });
        }
        Probe::Unknown { reason } => {
            for a in ["pids limit", "memory limit"] {
                let inspect = if a == "pids limit" { limit(c.pids_limit) } else { limit(c.memory) };
                out.push(Comparison { aspect: a.into(), inspect, kernel: unknown(reason), agree: None });
            }
        }
    }
    for (kind, mode) in [
        ("pid", &c.pid_mode),
        ("net", &c.network_mode),
        ("ipc", &c.ipc_mode),
        ("uts", &c.uts_mode),
        ("user", &c.userns_mode),
        ("cgroup", &c.cgroupns_mode),
    ] {
        let host_by_config = mode == "host";
        let inspect = if host_by_config {
            "host's".to_owned()
        } else {
            format!("own ({})", if mode.is_empty() { "default" } else { mode })
        };
        let (kernel, agree) = match &k.namespaces {
            Probe::Known { value } => match value.iter().find(|n| n.kind == kind) {
                Some(n) => (
                    format!("{} ({})", if n.shared { "host's" } else { "own" }, n.container),
                    // user and cgroup namespaces are the host's unless remapping / cgroupns=private.
                    Some(if kind == "user" || kind == "cgroup" { true } else { n.shared == host_by_config }),
                ),
                None => ("not supported by this kernel".into(), None),
            },
            Probe::Unknown { reason } => (unknown(reason), None),
        };
        out.push(Comparison { aspect: format!("{kind} namespace"), inspect, kernel, agree });
    }
    let user = if c.user.is_empty() { "root (no user set)".to_owned() } else { c.user.clone() };
    out.push(match &k.uid_map {
        Probe::Known { value } => Comparison {
            aspect: "root inside".into(),
            inspect: user,
            kernel: if k.root_is_host_root() == Some(true) {
                "uid 0 is the host's uid 0".into()
            } else {
                format!(
                    "remapped: {}",
                    value.iter().map(|[a, b, n]| format!("{a}→{b} ×{n}")).collect::<Vec<_>>().join(", ")
                )
            },
            agree: Some(true),
        },
        Probe::Unknown { reason } => {
            Comparison { aspect: "root inside".into(), inspect: user, kernel: unknown(reason), agree: None }
        }
    });
    let nnp = c.no_new_privileges();
    out.push(match &k.status {
        Probe::Known { value: s } => Comparison {
            aspect: "no-new-privileges".into(),
            inspect: if nnp { "set" } else { "not set" }.into(),
            kernel: format!("NoNewPrivs: {}", u8::from(s.no_new_privs)),
            agree: Some(nnp == s.no_new_privs),
        },
        Probe::Unknown { reason } => Comparison {
            aspect: "no-new-privileges".into(),
            inspect: if nnp { "set" } else { "not set" }.into(),
            kernel: unknown(reason),
            agree: None,
        },
    });
    let seccomp_off = c.seccomp_profile().is_some_and(|p| p == "unconfined") || c.privileged;
    out.push(match &k.status {
        Probe::Known { value: s } => Comparison {
            aspect: "seccomp".into(),
            inspect: if seccomp_off { "unconfined" } else { "filtered" }.into(),
            kernel: format!(
                "Seccomp: {} ({})",
                s.seccomp,
                ["disabled", "strict", "filter"].get(usize::from(s.seccomp)).unwrap_or(&"?")
            ),
            agree: Some(seccomp_off == (s.seccomp == 0)),
        },
        Probe::Unknown { reason } => Comparison {
            aspect: "seccomp".into(),
            inspect: if seccomp_off { "unconfined" } else { "filtered" }.into(),
            kernel: unknown(reason),
            agree: None,
        },
    });
    if let Probe::Known { value: s } = &k.status {
        let configured = if c.privileged {
            "all (privileged)".to_owned()
        } else if c.cap_add.is_empty() && c.cap_drop.is_empty() {
            "Docker's default set".to_owned()
        } else {
            format!(
                "default{}{}",
                c.cap_add.iter().map(|a| format!(" +{a}")).collect::<String>(),
                c.cap_drop.iter().map(|d| format!(" -{d}")).collect::<String>()
            )
        };
        out.push(Comparison {
            aspect: "capabilities".into(),
            inspect: configured,
            kernel: if s.capabilities.is_empty() { "none (CapEff 0)".into() } else { s.capabilities.join(" ") },
            agree: None,
        });
    }
    out
}

/// Builds a container's report from its facts.
pub fn container_report(facts: ContainerFacts, kernel: KernelFacts, engine: Option<&EngineFacts>) -> ContainerReport {
    let ctx = rules::Context { kernel: Some(&kernel), engine };
    let findings = rules::check_container(&facts, &ctx);
    let (score, grade) = score(&findings);
    ContainerReport {
        id: facts.id.clone(),
        name: facts.name.clone(),
        image: facts.image.clone(),
        running: facts.running,
        score,
        grade,
        findings,
        comparison: compare(&facts, &kernel),
        facts,
        kernel,
    }
}

impl ContainerReport {
    /// Adds what the container shares with the others (see `rules::topology`) and scores again.
    /// Idempotent: what an earlier topology added is replaced.
    pub fn with_topology(mut self, t: &rules::topology::Topology) -> ContainerReport {
        let ours = |f: &Finding| rules::topology::RULES.iter().any(|(r, _)| r.id == f.rule_id);
        self.findings.retain(|f| !ours(f));
        self.findings.extend(rules::check_topology(&self.facts, t));
        self.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.rule_id.cmp(&b.rule_id)));
        (self.score, self.grade) = score(&self.findings);
        self
    }
}

impl AuditReport {
    pub fn new(
        engine: EngineReport,
        mut containers: Vec<ContainerReport>,
        images: Vec<ImageReport>,
        now: String,
    ) -> Self {
        containers.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.name.cmp(&b.name)));
        let mut summary = Summary { containers: containers.len() as u32, ..Default::default() };
        let all = engine
            .findings
            .iter()
            .chain(containers.iter().flat_map(|c| &c.findings))
            .chain(images.iter().flat_map(|i| &i.findings));
        for f in all {
            match f.severity {
                Severity::Critical => summary.critical += 1,
                Severity::High => summary.high += 1,
                Severity::Medium => summary.medium += 1,
                Severity::Low => summary.low += 1,
                Severity::Info => summary.info += 1,
            }
        }
        AuditReport {
            schema_version: SCHEMA_VERSION,
            tool: "bulkhead".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            generated_at: now,
            engine,
            containers,
            images,
            summary,
        }
    }

    /// Every finding at or above `min`.
    pub fn worst(&self) -> Option<Severity> {
        self.engine
            .findings
            .iter()
            .chain(self.containers.iter().flat_map(|c| &c.findings))
            .chain(self.images.iter().flat_map(|i| &i.findings))
            .map(|f| f.severity)
            .max()
    }

    /// SARIF 2.1.0: one run, the catalogue as the tool's rules, one result per finding, located
    /// at a logical location (the container, image or engine).
    pub fn sarif(&self) -> Value {
        let catalogue = rules::catalogue();
        let index = |id: &str| catalogue.iter().position(|r| r.id == id).unwrap_or(0);
        let mut results = Vec::new();
        let mut push = |f: &Finding, kind: &str, name: &str, fqn: &str| {
            results.push(json!({
                "ruleId": f.rule_id,
                "ruleIndex": index(&f.rule_id),
                "level": level(f.severity),
                "message": { "text": format!("{}: {} ({})", name, f.title, f.evidence.join("; ")) },
                // Code-scanning services want a physical location: the object stands in for a file
                // (as image scanners do with image names), with its logical location alongside.
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(fqn) },
                        "region": { "startLine": 1 },
                    },
                    "logicalLocations": [{ "name": name, "fullyQualifiedName": fqn, "kind": kind }],
                }],
                "partialFingerprints": { "bulkhead/v1": format!("{}:{}", fqn, f.rule_id) },
                "properties": { "severity": f.severity.as_str(), "evidence": f.evidence, "fix": f.fix },
            }));
        };
        for f in &self.engine.findings {
            push(f, "resource", "engine", &format!("engine:{}", self.engine.facts.endpoint));
        }
        for c in &self.containers {
            for f in &c.findings {
                push(f, "resource", &c.name, &format!("container:{}", c.id));
            }
        }
        for i in &self.images {
            for f in &i.findings {
                push(f, "resource", &i.reference, &format!("image:{}", i.id));
            }
        }
        sarif_document(results, &self.generated_at)
    }

    /// A plain-text table for terminals.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("Engine {}\n", self.engine.facts.endpoint));
        for f in &self.engine.findings {
            s.push_str(&format!("  {:<8} {:<30} {}\n", f.severity.as_str().to_uppercase(), f.rule_id, f.title));
        }
        s.push('\n');
        // Names in full (scripts grep them); images clipped.
        let w = self.containers.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).max(9);
        s.push_str(&format!(
            "{:<5} {:<5} {:<w$} {:<32} {}\n",
            "GRADE", "SCORE", "CONTAINER", "IMAGE", "FINDINGS (critical/high/medium/low)"
        ));
        for c in &self.containers {
            let n = |sev: Severity| c.findings.iter().filter(|f| f.severity == sev).count();
            s.push_str(&format!(
                "{:<5} {:<5} {:<w$} {:<32} {}/{}/{}/{}\n",
                c.grade,
                c.score,
                c.name,
                clip(&c.image, 32),
                n(Severity::Critical),
                n(Severity::High),
                n(Severity::Medium),
                n(Severity::Low)
            ));
            for f in c.findings.iter().filter(|f| f.severity >= Severity::Medium) {
                s.push_str(&format!("      {:<8} {:<34} {}\n", f.severity.as_str(), f.rule_id, f.evidence.join("; ")));
            }
        }
        for i in &self.images {
            s.push_str(&format!("\nImage {}\n", i.reference));
            if let Some(e) = &i.error {
                s.push_str(&format!("  {e}\n"));
            }
            for f in &i.findings {
                s.push_str(&format!(
                    "  {:<8} {:<30} {}\n",
                    f.severity.as_str().to_uppercase(),
                    f.rule_id,
                    f.evidence.join("; ")
                ));
            }
        }
        s.push_str(&format!(
            "\n{} containers; findings: {} critical, {} high, {} medium, {} low, {} info\n",
            self.summary.containers,
            self.summary.critical,
            self.summary.high,
            self.summary.medium,
            self.summary.low,
            self.summary.info
        ));
        s
    }
}

/// `container:<id>` → `container/<id>`: a relative URI, percent-encoding anything unsafe.
fn artifact_uri(fqn: &str) -> String {
    let mut out = String::new();
    for (i, part) in fqn.splitn(2, ':').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&crate::text::url_component(part));
    }
    out
}

/// The catalogue as SARIF's rule list (shared by the audit and the compose review).
fn sarif_rules() -> Vec<Value> {
    let catalogue = rules::catalogue();
    catalogue
        .iter()
        .map(|r| {
            let mut tags = vec!["security".to_owned(), format!("{:?}", r.scope).to_lowercase()];
            if let Some(c) = r.cis {
                tags.push(format!("CIS-Docker-{c}"));
            }
            if let Some(o) = r.owasp {
                tags.push(format!("OWASP-Docker-{}", o.replace(' ', "")));
            }
            json!({
                "id": r.id,
                "name": r.id.replace(['.', '-'], "_"),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.why },
                "help": { "text": format!("Fix: {}", r.fix) },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(r.severity),
                    "cis": r.cis,
                    "owasp": r.owasp,
                }
            })
        })
        .collect()
}

/// A SARIF 2.1.0 document of one run of Bulkhead with these results.
pub(crate) fn sarif_document(results: Vec<Value>, generated_at: &str) -> Value {
    let rules_json = sarif_rules();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "bulkhead",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/bulkhead-dev/bulkhead",
                "rules": rules_json,
            }},
            "results": results,
            "properties": { "generatedAt": generated_at },
        }]
    })
}

/// A compose file's path as a SARIF artifact URI: a relative path stays relative (to the
/// repository a code-scanning tool checks out), an absolute one becomes `file://`.
pub(crate) fn file_uri(path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(crate::text::url_component).collect();
    if path.starts_with('/') {
        format!("file://{}", encoded.join("/"))
    } else {
        encoded.join("/")
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's numeric severity (CVSS-like).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}
