//! The review before `up`: the container rules of the one catalogue, run on the facts each
//! service would give its container, each finding pointed at the file, line and column of the
//! key that causes it (or of the service, when the fix is a key that is missing).
//!
//! Not every container rule can be judged from a file: a healthcheck may come from the image,
//! and what the kernel enforces exists only once the container runs. [`COMPOSE_RULES`] lists
//! those that can, and where to point; docs/rules.md says so per rule.

use super::file::{ComposeFile, ComposeFileView, ServiceFacts};
use super::yaml::{Node, Pos};
use crate::inspect::facts::{ContainerFacts, EngineFacts};
use crate::inspect::report::score;
use crate::inspect::report::Summary;
use crate::inspect::rules::{self, runtime, Context, Finding, Severity};
use crate::text::neutralise;
use serde::Serialize;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// Where a compose key is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct SourceLocation {
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// The key's path: `services.web.ports[0]`.
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeFinding {
    pub service: String,
    pub location: SourceLocation,
    pub finding: Finding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ServiceReview {
    pub service: String,
    pub score: u8,
    pub grade: String,
    pub findings: Vec<ComposeFinding>,
}

/// The review of a compose file, for the window, `bulkhead audit --compose` and SARIF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ComposeReport {
    pub file: ComposeFileView,
    /// In the file's order.
    pub services: Vec<ServiceReview>,
    /// The worst service's grade.
    pub grade: String,
    pub summary: Summary,
}

/// What a finding points at in a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// The first of these keys that is written; the service itself when none is (the fix is
    /// to add the first).
    Key(&'static [&'static str]),
    /// The item of this list that makes the rule fire (`volumes`, `ports`, `devices`,
    /// `cap_add`, `security_opt`): each item is judged alone by the same check.
    Item(&'static str),
}

impl Where {
    /// The compose key, for docs/rules.md.
    pub fn key(self) -> &'static str {
        match self {
            Where::Key(k) => k[0],
            Where::Item(k) => k,
        }
    }
}

/// The container rules a compose file can be judged by, and where each finding points. Left
/// out: `container.no-healthcheck` (the image may define one, the file cannot say) and
/// `container.kernel-disagrees` and `container.system-files-changed` (there is no kernel to
/// ask and nothing written before the container runs).
pub const COMPOSE_RULES: &[(&str, Where)] = &[
    ("container.privileged", Where::Key(&["privileged"])),
    ("container.api-socket", Where::Item("volumes")),
    ("container.host-network", Where::Key(&["network_mode"])),
    ("container.host-pid", Where::Key(&["pid"])),
    ("container.dangerous-capabilities", Where::Item("cap_add")),
    ("container.added-capabilities", Where::Item("cap_add")),
    ("container.sensitive-mount", Where::Item("volumes")),
    ("container.sensitive-mount-writable", Where::Item("volumes")),
    ("container.default-bridge", Where::Key(&["network_mode"])),
    ("container.privileged-port", Where::Item("ports")),
    ("container.ports-all-interfaces", Where::Item("ports")),
    ("container.host-ipc", Where::Key(&["ipc"])),
    ("container.host-uts", Where::Key(&["uts"])),
    ("container.host-userns", Where::Key(&["userns_mode"])),
    ("container.no-memory-limit", Where::Key(&["mem_limit", "deploy"])),
    ("container.no-cpu-limit", Where::Key(&["cpus", "cpu_quota", "cpu_shares", "deploy"])),
    ("container.no-pids-limit", Where::Key(&["pids_limit", "deploy"])),
    ("container.writable-rootfs", Where::Key(&["read_only"])),
    ("container.restart-unbounded", Where::Key(&["restart", "deploy"])),
    ("container.host-devices", Where::Item("devices")),
    ("container.shared-propagation", Where::Item("volumes")),
    ("container.seccomp-unconfined", Where::Item("security_opt")),
    ("container.apparmor-unconfined", Where::Item("security_opt")),
    ("container.no-new-privileges-off", Where::Key(&["security_opt"])),
    ("container.root-user", Where::Key(&["user"])),
    ("container.docker-host-env", Where::Key(&["environment"])),
];

/// The compose key a container rule is judged on, if it applies to compose files.
pub fn compose_key(rule_id: &str) -> Option<&'static str> {
    where_of(rule_id).map(Where::key)
}

fn where_of(rule_id: &str) -> Option<Where> {
    COMPOSE_RULES.iter().find(|(id, _)| *id == rule_id).map(|(_, w)| *w)
}

fn scalar_text(n: &Node) -> String {
    match n.as_str() {
        Some(s) => s.to_owned(),
        None => "…".into(),
    }
}

/// Reviews every service of a read compose file. `engine`: the facts of the engine it would
/// run on, when one is known (user-namespace remapping and AppArmor then count).
pub fn review(file: &ComposeFile, engine: Option<&EngineFacts>) -> ComposeReport {
    let ctx = Context { kernel: None, engine };
    let mut services = Vec::new();
    let mut summary = Summary { containers: file.services.len() as u32, ..Default::default() };
    for s in &file.services {
        let findings = review_service(s, &ctx);
        for f in &findings {
            match f.finding.severity {
                Severity::Critical => summary.critical += 1,
                Severity::High => summary.high += 1,
                Severity::Medium => summary.medium += 1,
                Severity::Low => summary.low += 1,
                Severity::Info => summary.info += 1,
            }
        }
        let plain: Vec<Finding> = findings.iter().map(|f| f.finding.clone()).collect();
        let (score, grade) = score(&plain);
        services.push(ServiceReview { service: neutralise(&s.name), score, grade, findings });
    }
    let grade = services.iter().map(|s| s.grade.clone()).max().unwrap_or_else(|| "A".into());
    ComposeReport { file: file.view.clone(), services, grade, summary }
}

fn review_service(s: &ServiceFacts, ctx: &Context) -> Vec<ComposeFinding> {
    let mut out = Vec::new();
    let base = format!("services.{}", s.name);
    let service_loc = SourceLocation { line: s.key_pos.line, column: s.key_pos.col, key: base.clone() };
    for (rule, check) in runtime::RULES {
        let Some(place) = where_of(rule.id) else { continue };
        let Some(evidence) = check(&s.facts, ctx) else { continue };
        let mut push = |loc: SourceLocation, evidence: Vec<String>| {
            out.push(ComposeFinding {
                service: neutralise(&s.name),
                location: loc,
                finding: Finding::new(rule, evidence),
            });
        };
        let item_loc = |list: &str, i: usize, pos: Pos| SourceLocation {
            line: pos.line,
            column: pos.col,
            key: format!("{base}.{list}[{i}]"),
        };
        match place {
            Where::Key(keys) => match keys.iter().find_map(|k| s.node.entry(k).map(|(kn, v)| (*k, kn, v))) {
                Some((k, kn, v)) => {
                    let written = if v.as_str().is_some() {
                        format!("{k}: {}", scalar_text(v))
                    } else {
                        format!("{k}: (as written)")
                    };
                    let mut ev = vec![neutralise(&written)];
                    ev.extend(
                        evidence.into_iter().filter(|e| !e.starts_with("HostConfig.") && !e.starts_with("Config.")),
                    );
                    push(SourceLocation { line: kn.pos.line, column: kn.pos.col, key: format!("{base}.{k}") }, ev);
                }
                None => {
                    let named: Vec<&str> = keys.iter().filter(|k| **k != "deploy").copied().collect();
                    let mut ev = vec![match named.split_first() {
                        Some((first, [])) => format!("{first} is not set"),
                        Some((first, rest)) => format!("{first} is not set (nor {})", rest.join(", ")),
                        None => "not set".into(),
                    }];
                    if rule.id == "container.root-user" {
                        ev = vec!["user is not set: the image's user, root unless its USER says otherwise".into()];
                    }
                    push(service_loc.clone(), ev);
                }
            },
            Where::Item(list @ ("volumes" | "ports" | "devices")) => {
                // Each mount, port or device alone, through the same check.
                let places = match list {
                    "volumes" => &s.mount_pos,
                    "ports" => &s.port_pos,
                    _ => &s.device_pos,
                };
                let mut seen: Vec<Pos> = Vec::new();
                for (i, (pos, text)) in places.iter().enumerate() {
                    let (pos, text) = (*pos, text.clone());
                    if seen.contains(&pos) {
                        continue;
                    }
                    let mut one = ContainerFacts {
                        mounts: Vec::new(),
                        ports: Vec::new(),
                        devices: Vec::new(),
                        ..s.facts.clone()
                    };
                    match list {
                        "volumes" => one.mounts.push(s.facts.mounts[i].clone()),
                        "ports" => one.ports.push(s.facts.ports[i].clone()),
                        _ => one.devices.push(s.facts.devices[i].clone()),
                    }
                    if let Some(ev) = check(&one, ctx) {
                        seen.push(pos);
                        let mut e = vec![neutralise(&format!("{list}: {text}"))];
                        e.extend(ev);
                        push(item_loc(list, list_index(&s.node, list, pos), pos), e);
                    }
                }
            }
            Where::Item(list) => {
                // cap_add, security_opt: each item alone.
                let items = s.node.get(list).map(Node::items).unwrap_or_default();
                let mut hit = false;
                for (i, item) in items.iter().enumerate() {
                    let text = scalar_text(item);
                    let mut one = s.facts.clone();
                    if list == "cap_add" {
                        one.cap_add = vec![text.trim().to_ascii_uppercase().trim_start_matches("CAP_").to_owned()];
                    } else {
                        one.security_opt = vec![text.clone()];
                    }
                    if let Some(ev) = check(&one, ctx) {
                        hit = true;
                        let mut e = vec![neutralise(&format!("{list}: {text}"))];
                        e.extend(ev);
                        push(item_loc(list, i, item.pos), e);
                    }
                }
                if !hit {
                    // Written some other way (one string): point at the key.
                    let loc = s.node.entry(list).map(|(k, _)| SourceLocation {
                        line: k.pos.line,
                        column: k.pos.col,
                        key: format!("{base}.{list}"),
                    });
                    push(loc.unwrap_or_else(|| service_loc.clone()), evidence);
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then(a.location.line.cmp(&b.location.line))
            .then_with(|| a.finding.rule_id.cmp(&b.finding.rule_id))
    });
    out
}

fn list_index(svc: &Node, list: &str, pos: Pos) -> usize {
    svc.get(list).map(Node::items).unwrap_or_default().iter().position(|i| i.pos == pos).unwrap_or(0)
}

impl ComposeReport {
    pub fn worst(&self) -> Option<Severity> {
        self.services.iter().flat_map(|s| &s.findings).map(|f| f.finding.severity).max()
    }

    /// A plain-text table for terminals: each finding with its line.
    pub fn table(&self) -> String {
        let mut s = format!("Compose file {} (project {})\n", self.file.path, self.file.project);
        for v in &self.file.unset_variables {
            s.push_str(&format!("  note: ${{{v}}} is not set: reviewed as blank, as Compose would run it\n"));
        }
        for n in &self.file.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        s.push('\n');
        let w = self.services.iter().map(|x| x.service.chars().count()).max().unwrap_or(0).max(7);
        s.push_str(&format!(
            "{:<5} {:<5} {:<w$} {}\n",
            "GRADE", "SCORE", "SERVICE", "FINDINGS (critical/high/medium/low)"
        ));
        for svc in &self.services {
            let n = |sev: Severity| svc.findings.iter().filter(|f| f.finding.severity == sev).count();
            s.push_str(&format!(
                "{:<5} {:<5} {:<w$} {}/{}/{}/{}\n",
                svc.grade,
                svc.score,
                svc.service,
                n(Severity::Critical),
                n(Severity::High),
                n(Severity::Medium),
                n(Severity::Low)
            ));
            for f in &svc.findings {
                s.push_str(&format!(
                    "      {}:{:<4} {:<8} {:<34} {}\n",
                    self.file.path,
                    f.location.line,
                    f.finding.severity.as_str(),
                    f.finding.rule_id,
                    f.finding.evidence.join("; ")
                ));
            }
        }
        s.push_str(&format!(
            "\n{} services; findings: {} critical, {} high, {} medium, {} low\n",
            self.summary.containers, self.summary.critical, self.summary.high, self.summary.medium, self.summary.low
        ));
        s
    }

    /// SARIF 2.1.0: one result per finding, at the file, line and column of the key.
    pub fn sarif(&self) -> serde_json::Value {
        let catalogue = rules::catalogue();
        let index = |id: &str| catalogue.iter().position(|r| r.id == id).unwrap_or(0);
        let uri = crate::inspect::report::file_uri(&self.file.path);
        let results: Vec<serde_json::Value> = self
            .services
            .iter()
            .flat_map(|s| &s.findings)
            .map(|f| {
                serde_json::json!({
                    "ruleId": f.finding.rule_id,
                    "ruleIndex": index(&f.finding.rule_id),
                    "level": crate::inspect::report::level(f.finding.severity),
                    "message": { "text": format!("{}: {} ({})", f.service, f.finding.title, f.finding.evidence.join("; ")) },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri },
                            "region": { "startLine": f.location.line, "startColumn": f.location.column },
                        },
                        "logicalLocations": [{ "name": f.service, "fullyQualifiedName": f.location.key, "kind": "resource" }],
                    }],
                    "partialFingerprints": { "bulkhead/v1": format!("{}:{}", f.location.key, f.finding.rule_id) },
                    "properties": { "severity": f.finding.severity.as_str(), "evidence": f.finding.evidence, "fix": f.finding.fix },
                })
            })
            .collect();
        crate::inspect::report::sarif_document(results, &crate::time::now_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::file::{parse, Variables};
    use std::collections::HashMap;
    use std::path::Path;

    fn report(text: &str) -> ComposeReport {
        let f =
            parse(text, "compose.yaml", Path::new("/srv/app"), &Variables::from_maps(HashMap::new(), HashMap::new()))
                .unwrap();
        review(&f, None)
    }

    /// Each risky key of the issue → its rule, at its line.
    #[test]
    fn each_risky_key_is_its_rule_at_its_line() {
        let table: &[(&str, &str, u32)] = &[
            ("privileged: true", "container.privileged", 4),
            ("network_mode: host", "container.host-network", 4),
            ("pid: host", "container.host-pid", 4),
            ("ipc: host", "container.host-ipc", 4),
            ("cap_add: [SYS_ADMIN]", "container.dangerous-capabilities", 4),
            ("cap_add:\n      - NET_BIND_SERVICE\n      - SYS_PTRACE", "container.dangerous-capabilities", 6),
            ("security_opt: [\"seccomp:unconfined\"]", "container.seccomp-unconfined", 4),
            ("volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]", "container.api-socket", 4),
            ("volumes:\n      - ./data:/data\n      - /:/host", "container.sensitive-mount-writable", 6),
            ("volumes: [\"/etc:/host-etc:ro\"]", "container.sensitive-mount", 4),
            ("ports: [\"8080:80\"]", "container.ports-all-interfaces", 4),
            ("ports:\n      - \"127.0.0.1:8080:80\"\n      - \"80\"", "container.ports-all-interfaces", 6),
            ("ports: [\"80:80\"]", "container.privileged-port", 4),
            ("devices: [\"/dev/sda:/dev/sda\"]", "container.host-devices", 4),
            ("environment: [\"DOCKER_HOST=tcp://10.0.0.1:2375\"]", "container.docker-host-env", 4),
            ("restart: always", "container.restart-unbounded", 4),
            ("read_only: false", "container.writable-rootfs", 4),
            ("user: root", "container.root-user", 4),
            ("uts: host", "container.host-uts", 4),
            ("network_mode: bridge", "container.default-bridge", 4),
        ];
        for (key, rule, line) in table {
            let r = report(&format!("services:\n  web:\n    image: busybox\n    {key}\n"));
            let f = r.services[0].findings.iter().find(|f| f.finding.rule_id == *rule);
            let f = f.unwrap_or_else(|| {
                panic!(
                    "{key}: no {rule} in {:?}",
                    r.services[0].findings.iter().map(|f| &f.finding.rule_id).collect::<Vec<_>>()
                )
            });
            assert_eq!(f.location.line, *line, "{key} → {rule}: {:?}", f.location);
            assert!(f.location.column > 1, "{key}: a column");
            assert!(f.location.key.starts_with("services.web."), "{:?}", f.location.key);
        }
    }

    #[test]
    fn missing_limits_user_and_read_only_point_at_the_service() {
        let r = report("services:\n  web:\n    image: busybox\n");
        let s = &r.services[0];
        for rule in [
            "container.no-memory-limit",
            "container.no-cpu-limit",
            "container.no-pids-limit",
            "container.root-user",
            "container.writable-rootfs",
            "container.no-new-privileges-off",
        ] {
            let f = s.findings.iter().find(|f| f.finding.rule_id == rule).unwrap_or_else(|| panic!("{rule}"));
            assert_eq!((f.location.line, f.location.column), (2, 3), "{rule} at the service's key");
            assert!(f.finding.evidence[0].contains("not set"), "{:?}", f.finding.evidence);
        }
        assert!(!s.findings.iter().any(|f| f.finding.rule_id == "container.no-healthcheck"), "the image may have one");
        assert!(!s.findings.iter().any(|f| f.finding.rule_id == "container.ports-all-interfaces"));
    }

    #[test]
    fn a_hardened_service_has_no_finding_and_grades_a() {
        let r = report(
            "services:\n  web:\n    image: busybox\n    user: \"1000:1000\"\n    read_only: true\n    mem_limit: 256m\n    cpus: 0.5\n    pids_limit: 100\n    security_opt: [no-new-privileges:true]\n    cap_drop: [ALL]\n    ports: [\"127.0.0.1:8080:8080\"]\n    restart: on-failure:3\n",
        );
        assert_eq!(r.services[0].findings, vec![], "{:#?}", r.services[0].findings);
        assert_eq!(r.grade, "A");
        assert_eq!(r.summary.containers, 1);
    }

    #[test]
    fn the_worst_service_grades_the_file_and_sarif_points_at_lines() {
        let r = report("services:\n  ok:\n    image: a\n    user: app\n    read_only: true\n  bad:\n    image: b\n    privileged: true\n");
        assert_eq!(r.grade, "F");
        assert_eq!(r.worst(), Some(Severity::Critical));
        let sarif = r.sarif();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let p = results.iter().find(|x| x["ruleId"] == "container.privileged").unwrap();
        assert_eq!(p["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "compose.yaml");
        assert_eq!(p["locations"][0]["physicalLocation"]["region"]["startLine"], 8);
        assert_eq!(p["locations"][0]["physicalLocation"]["region"]["startColumn"], 5);
        assert!(!sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().is_empty());
        let table = r.table();
        assert!(table.contains("compose.yaml:8"), "{table}");
    }

    #[test]
    fn every_compose_rule_is_a_container_rule() {
        for (id, _) in COMPOSE_RULES {
            assert!(runtime::RULES.iter().any(|(r, _)| r.id == *id), "{id}");
        }
    }
}
