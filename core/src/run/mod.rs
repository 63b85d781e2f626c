//! The Run form: what the user asked for (`RunRequest`, plain strings as typed), its validation
//! into per-field errors and warnings, the equivalent `docker run …` line, the reverse (a pasted
//! `docker run …` line filling the form), and the create-and-start that leaves nothing behind
//! when it fails. One file a responsibility: the request and its DTOs here, `validate` (the
//! form into a create call, per-field issues), `render` (the equivalent `docker run …` line),
//! `parse` (a pasted line into the form), `engine` (create and start).

mod engine;
mod parse;
mod render;
mod validate;

pub use parse::parse_command;
pub use render::render;
pub use validate::{check, parse_memory, parse_port, plan, validate};

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::refs::{ContainerName, ImageRef};
use crate::shell;
use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountType, PortBinding, RestartPolicy as BRestart, RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions, StartContainerOptions};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// One published port as typed in the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct PortRequest {
    /// The host address to bind: 127.0.0.1 (this machine only, the default), 0.0.0.0 or :: (all interfaces).
    pub host_ip: String,
    /// Empty: the engine picks a free port.
    pub host_port: String,
    pub container_port: String,
    /// tcp, udp or sctp.
    pub protocol: String,
}

impl Default for PortRequest {
    fn default() -> Self {
        PortRequest {
            host_ip: "127.0.0.1".into(),
            host_port: String::new(),
            container_port: String::new(),
            protocol: "tcp".into(),
        }
    }
}

/// A volume or bind mount as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct MountRequest {
    /// An absolute host path (a bind mount), a volume name, or empty (a new anonymous volume).
    pub source: String,
    /// The absolute path inside the container.
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub enum RestartPolicy {
    #[default]
    No,
    Always,
    UnlessStopped,
    OnFailure,
}

/// Everything the Run form holds, as the user typed it. Validation turns it into a create call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunRequest {
    pub image: String,
    /// Empty: the engine picks a name.
    pub name: String,
    pub ports: Vec<PortRequest>,
    /// `-P`: publish every port the image exposes, on random host ports.
    pub publish_all: bool,
    /// Empty: unlimited (a warning). A positive number otherwise.
    pub pids_limit: String,
    /// e.g. 512m, 1g; empty: unlimited.
    pub memory: String,
    /// e.g. 0.5, 2; empty: unlimited.
    pub cpus: String,
    /// `-i`: keep standard input open.
    pub interactive: bool,
    /// `-t`: give the container a terminal.
    pub tty: bool,
    /// `-d`: run in the background.
    pub detach: bool,
    /// Overrides the image's CMD; split like a shell would.
    pub command: String,
    /// Overrides the image's ENTRYPOINT; split like a shell would.
    pub entrypoint: String,
    /// KEY=VALUE each.
    pub env: Vec<String>,
    pub mounts: Vec<MountRequest>,
    pub workdir: String,
    pub user: String,
    pub restart: RestartPolicy,
    /// With on-failure: how many retries (empty: unlimited).
    pub restart_retries: String,
    /// `--read-only`: the root filesystem cannot be written.
    pub read_only: bool,
    /// Capabilities to drop, e.g. ALL, NET_RAW.
    pub cap_drop: Vec<String>,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// KEY=VALUE each.
    pub labels: Vec<String>,
    /// `--network`: a network's name, `host`, `none`; empty: the default bridge.
    pub network: String,
}

impl Default for RunRequest {
    fn default() -> Self {
        RunRequest {
            image: String::new(),
            name: String::new(),
            ports: Vec::new(),
            publish_all: false,
            pids_limit: String::new(),
            memory: String::new(),
            cpus: String::new(),
            interactive: false,
            tty: false,
            detach: true,
            command: String::new(),
            entrypoint: String::new(),
            env: Vec::new(),
            mounts: Vec::new(),
            workdir: String::new(),
            user: String::new(),
            restart: RestartPolicy::No,
            restart_retries: String::new(),
            read_only: false,
            cap_drop: Vec::new(),
            no_new_privileges: false,
            labels: Vec::new(),
            network: String::new(),
        }
    }
}

/// A problem (or a warning) about one field. `field` is a path such as `name`, `ports.0.hostPort`, `env.2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

/// What the form shows as the user types: errors, warnings and the equivalent command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunCheck {
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
    /// What the security review would say of a container run this way (before it exists),
    /// from the form alone: the image's own USER and HEALTHCHECK are not known here.
    pub findings: Vec<crate::inspect::rules::Finding>,
    pub security_score: u8,
    pub security_grade: String,
    /// `docker run …`, quoted for a POSIX shell.
    pub command: String,
}

/// A pasted `docker run …` line, read back into the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct ParsedRun {
    pub request: RunRequest,
    /// Flags the form does not support; they were not applied.
    pub unsupported: Vec<String>,
}

/// A container that was created and started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct RunOutcome {
    pub id: String,
    pub name: String,
    /// The engine's own warnings at creation.
    pub warnings: Vec<String>,
}

/// What validation produces: the create call, ready to send.
pub struct RunPlan {
    pub name: Option<ContainerName>,
    pub image: ImageRef,
    pub(crate) body: ContainerCreateBody,
}

pub(crate) struct Issues(Vec<FieldIssue>);

impl Issues {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldIssue { field: field.into(), message: message.into() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> RunRequest {
        RunRequest {
            image: "busybox".into(),
            name: "web".into(),
            ports: vec![PortRequest {
                host_ip: "127.0.0.1".into(),
                host_port: "8080".into(),
                container_port: "80".into(),
                protocol: "tcp".into(),
            }],
            pids_limit: "6".into(),
            interactive: true,
            tty: true,
            detach: true,
            ..RunRequest::default()
        }
    }

    fn fields(errs: &[FieldIssue]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_good_request_plans_the_create_call() {
        let (plan, warnings) = plan(&req());
        let plan = plan.unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let hc = plan.body.host_config.unwrap();
        assert_eq!(hc.pids_limit, Some(6));
        let b = hc.port_bindings.unwrap();
        let binding = &b["80/tcp"].as_ref().unwrap()[0];
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(binding.host_port.as_deref(), Some("8080"));
        assert_eq!(plan.body.tty, Some(true));
        assert_eq!(plan.body.open_stdin, Some(true));
        assert_eq!(plan.name.unwrap().as_str(), "web");
    }

    #[test]
    fn bad_inputs_name_their_field() {
        type Case = (Box<dyn Fn(&mut RunRequest)>, &'static str);
        let cases: Vec<Case> = vec![
            (Box::new(|r| r.image = "../x".into()), "image"),
            (Box::new(|r| r.image = String::new()), "image"),
            (Box::new(|r| r.name = "-bad".into()), "name"),
            (Box::new(|r| r.name = "x".into()), "name"),
            (Box::new(|r| r.ports[0].container_port = "0".into()), "ports.0.containerPort"),
            (Box::new(|r| r.ports[0].host_port = "70000".into()), "ports.0.hostPort"),
            (Box::new(|r| r.ports[0].protocol = "icmp".into()), "ports.0.protocol"),
            (Box::new(|r| r.ports[0].host_ip = "localhost.evil".into()), "ports.0.hostIp"),
            (Box::new(|r| r.pids_limit = "0".into()), "pidsLimit"),
            (Box::new(|r| r.pids_limit = "-1".into()), "pidsLimit"),
            (Box::new(|r| r.pids_limit = "ten".into()), "pidsLimit"),
            (Box::new(|r| r.memory = "lots".into()), "memory"),
            (Box::new(|r| r.memory = "1k".into()), "memory"),
            (Box::new(|r| r.cpus = "-2".into()), "cpus"),
            (Box::new(|r| r.env = vec!["OK=1".into(), "NOEQUALS".into()]), "env.1"),
            (Box::new(|r| r.env = vec!["=x".into()]), "env.0"),
            (Box::new(|r| r.labels = vec!["k".into()]), "labels.0"),
            (Box::new(|r| r.network = "../networks/x".into()), "network"),
            (Box::new(|r| r.command = "echo 'open".into()), "command"),
            (
                Box::new(|r| {
                    r.mounts = vec![MountRequest { source: "/h".into(), target: "rel".into(), read_only: false }]
                }),
                "mounts.0.target",
            ),
            (
                Box::new(|r| {
                    r.mounts = vec![MountRequest { source: "../x".into(), target: "/d".into(), read_only: false }]
                }),
                "mounts.0.source",
            ),
            (Box::new(|r| r.workdir = "app".into()), "workdir"),
            (Box::new(|r| r.user = "root; rm".into()), "user"),
            (Box::new(|r| r.restart_retries = "3".into()), "restartRetries"),
            (Box::new(|r| r.cap_drop = vec!["net raw".into()]), "capDrop.0"),
        ];
        for (change, field) in cases {
            let mut r = req();
            change(&mut r);
            let (plan, _) = plan(&r);
            let errs = plan.err().unwrap_or_else(|| panic!("{field} should be refused"));
            assert_eq!(fields(&errs), vec![field]);
        }
    }

    #[test]
    fn duplicate_host_ports_are_refused() {
        let mut r = req();
        r.ports.push(PortRequest {
            host_ip: "0.0.0.0".into(),
            host_port: "8080".into(),
            container_port: "81".into(),
            protocol: "tcp".into(),
        });
        let errs = plan(&r).0.err().unwrap();
        assert_eq!(fields(&errs), vec!["ports.1.hostPort"]);
    }

    #[test]
    fn warnings_for_unlimited_pids_all_interfaces_and_the_docker_socket() {
        let mut r = req();
        r.pids_limit = String::new();
        r.ports[0].host_ip = "0.0.0.0".into();
        r.mounts = vec![MountRequest {
            source: "/var/run/docker.sock".into(),
            target: "/var/run/docker.sock".into(),
            read_only: true,
        }];
        let (plan, warnings) = plan(&r);
        assert!(plan.is_ok());
        assert_eq!(fields(&warnings), vec!["ports.0.hostIp", "pidsLimit", "mounts.0.source"]);
    }

    #[test]
    fn renders_the_docker_run_line() {
        let mut r = req();
        r.env = vec!["GREETING=hello world".into()];
        r.command = "httpd -f -p 80".into();
        assert_eq!(
            render(&r),
            "docker run -itd --name web -p 127.0.0.1:8080:80/tcp --pids-limit 6 -e 'GREETING=hello world' busybox httpd -f -p 80"
        );
    }

    #[test]
    fn parses_a_pasted_line_back_into_the_form() {
        let p = parse_command("docker run -itd -p 8080:80 --name web --pids-limit 6 image").unwrap();
        assert!(p.unsupported.is_empty(), "{:?}", p.unsupported);
        let r = p.request;
        assert!(r.interactive && r.tty && r.detach);
        assert_eq!(r.name, "web");
        assert_eq!(r.pids_limit, "6");
        assert_eq!(r.image, "image");
        assert_eq!(
            r.ports,
            vec![PortRequest {
                host_ip: "0.0.0.0".into(),
                host_port: "8080".into(),
                container_port: "80".into(),
                protocol: "tcp".into()
            }]
        );

        let p = parse_command(
            "sudo docker container run --rm --privileged --network=host -e A=1 -v /srv:/data:ro -v cache:/c --restart on-failure:3 \
             --security-opt no-new-privileges --cap-drop ALL -p [::1]:53:53/udp -u 1000:1000 -w /app --memory 512m --cpus 1.5 \
             --entrypoint /bin/sh busybox -c 'echo hi'",
        )
        .unwrap();
        assert_eq!(p.unsupported, vec!["--rm", "--privileged"]);
        assert_eq!(p.request.network, "host");
        let r = p.request;
        assert!(!r.detach);
        assert_eq!(r.env, vec!["A=1"]);
        assert_eq!(r.mounts[0], MountRequest { source: "/srv".into(), target: "/data".into(), read_only: true });
        assert_eq!(r.mounts[1], MountRequest { source: "cache".into(), target: "/c".into(), read_only: false });
        assert_eq!((r.restart, r.restart_retries.as_str()), (RestartPolicy::OnFailure, "3"));
        assert!(r.no_new_privileges);
        assert_eq!(r.cap_drop, vec!["ALL"]);
        assert_eq!(r.ports[0].host_ip, "::1");
        assert_eq!(r.ports[0].protocol, "udp");
        assert_eq!(
            (r.user.as_str(), r.workdir.as_str(), r.memory.as_str(), r.cpus.as_str()),
            ("1000:1000", "/app", "512m", "1.5")
        );
        assert_eq!(r.entrypoint, "/bin/sh");
        assert_eq!(r.command, "-c 'echo hi'");
        assert!(plan(&r).0.is_ok(), "{:?}", plan(&r).0.err());

        assert!(parse_command("docker ps -a").is_err());
        assert!(parse_command("docker run -d").is_err());
    }

    #[test]
    fn render_and_parse_agree() {
        let mut r = req();
        r.env = vec!["X=a b".into()];
        r.mounts = vec![MountRequest { source: "/srv".into(), target: "/data".into(), read_only: true }];
        r.restart = RestartPolicy::UnlessStopped;
        r.command = "sleep 100".into();
        let back = parse_command(&render(&r)).unwrap();
        assert!(back.unsupported.is_empty());
        assert_eq!(back.request, r);
    }

    #[test]
    fn a_publish_without_a_container_port_is_refused() {
        for bad in ["-p 8080:", "-p 8080:/tcp", "-p 80/", "-p 127.0.0.1:8080:"] {
            let e = parse_command(&format!("docker run {bad} busybox")).unwrap_err();
            assert!(e.message.contains("containerPort"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn a_retry_count_goes_only_with_on_failure() {
        let p = parse_command("docker run --restart weird:3 busybox").unwrap();
        assert_eq!((p.request.restart, p.request.restart_retries.as_str()), (RestartPolicy::No, ""));
        assert_eq!(p.unsupported, ["--restart weird:3"]);
        assert!(parse_command("docker run -- --pid host").is_err(), "no image starts with '-'");
        let p = parse_command("docker run --restart on-failure:3 busybox").unwrap();
        assert_eq!((p.request.restart, p.request.restart_retries.as_str()), (RestartPolicy::OnFailure, "3"));
    }

    #[test]
    fn an_entrypoint_that_needs_quotes_is_quoted_once() {
        let p = parse_command("docker run --entrypoint '/bin/my app' busybox").unwrap();
        assert_eq!(p.request.entrypoint, "'/bin/my app'");
        assert_eq!(render(&p.request), "docker run --entrypoint '/bin/my app' busybox");
        assert_eq!(parse_command(&render(&p.request)).unwrap().request, p.request);
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512m").ok(), Some(512 << 20));
        assert_eq!(parse_memory("1G").ok(), Some(1 << 30));
        assert_eq!(parse_memory("1.5g").ok(), Some(3 << 29));
        assert!(parse_memory("0").is_err());
    }
}
