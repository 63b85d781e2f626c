//! The form into a create call: every field parsed and checked, errors and warnings by field.

use super::*;

pub fn parse_port(s: &str) -> Result<u16> {
    match s.trim().parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(Error::invalid(format!("{:?} is not a port: use a number from 1 to 65535", s.trim()))),
    }
}

fn parse_ip(s: &str) -> Result<IpAddr> {
    let t = s.trim().trim_start_matches('[').trim_end_matches(']');
    t.parse::<IpAddr>()
        .map_err(|_| Error::invalid(format!("{:?} is not an IP address (e.g. 127.0.0.1, 0.0.0.0 or ::)", s.trim())))
}

/// 512m, 1g, 100k, 1048576 → bytes.
pub fn parse_memory(s: &str) -> Result<i64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mul) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let bad = || Error::invalid(format!("{:?} is not a memory size: use e.g. 512m or 2g", s.trim()));
    let n: f64 = num.parse().map_err(|_| bad())?;
    if !n.is_finite() || n <= 0.0 {
        return Err(bad());
    }
    let bytes = (n * mul as f64) as i64;
    if bytes < 6 << 20 {
        return Err(Error::invalid("the engine needs at least 6m of memory"));
    }
    Ok(bytes)
}

fn key_value(s: &str) -> Result<(&str, &str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !k.chars().any(|c| c.is_whitespace() || c.is_control()) => Ok((k, v)),
        _ => Err(Error::invalid(format!("{:?} is not KEY=VALUE", s))),
    }
}

fn is_abs_path(s: &str) -> bool {
    s.starts_with('/') && !s.contains('\0')
}

fn valid_volume_name(s: &str) -> bool {
    s.len() >= 2
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn valid_user(s: &str) -> bool {
    let part = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    match s.split_once(':') {
        Some((u, g)) => part(u) && part(g),
        None => part(s),
    }
}

fn cap_name(s: &str) -> Option<String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_prefix("CAP_").unwrap_or(&t).to_owned();
    (!t.is_empty() && t.chars().all(|c| c.is_ascii_uppercase() || c == '_')).then_some(t)
}

/// Validates the request. On success, the create call; otherwise every field error.
/// Warnings are returned either way.
pub fn plan(req: &RunRequest) -> (std::result::Result<RunPlan, Vec<FieldIssue>>, Vec<FieldIssue>) {
    let mut errors = Issues(Vec::new());
    let mut warnings = Issues(Vec::new());

    let image = if req.image.trim().is_empty() {
        errors.add("image", "Choose an image.");
        None
    } else {
        ImageRef::parse(req.image.trim()).map_err(|e| errors.add("image", e.message)).ok()
    };
    let name = if req.name.trim().is_empty() {
        None
    } else {
        ContainerName::parse(req.name.trim()).map_err(|e| errors.add("name", e.message)).ok()
    };

    let mut exposed = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (i, p) in req.ports.iter().enumerate() {
        let container =
            parse_port(&p.container_port).map_err(|e| errors.add(format!("ports.{i}.containerPort"), e.message)).ok();
        let host = if p.host_port.trim().is_empty() {
            Some(None)
        } else {
            parse_port(&p.host_port).map(Some).map_err(|e| errors.add(format!("ports.{i}.hostPort"), e.message)).ok()
        };
        let proto = p.protocol.trim().to_ascii_lowercase();
        let proto = if proto.is_empty() { "tcp".to_owned() } else { proto };
        if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            errors.add(format!("ports.{i}.protocol"), "The protocol is tcp, udp or sctp.");
        }
        let ip = if p.host_ip.trim().is_empty() { Ok("127.0.0.1".parse().expect("ip")) } else { parse_ip(&p.host_ip) };
        let ip = ip.map_err(|e| errors.add(format!("ports.{i}.hostIp"), e.message)).ok();
        if let Some(ip) = ip {
            if ip.is_unspecified() {
                warnings.add(
                    format!("ports.{i}.hostIp"),
                    format!("{ip} means every network interface: other machines on your network can reach this port."),
                );
            }
        }
        if let (Some(c), Some(h), Some(ip)) = (container, host, ip) {
            let key = format!("{c}/{proto}");
            if !exposed.contains(&key) {
                exposed.push(key.clone());
            }
            bindings.entry(key).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(PortBinding {
                host_ip: Some(ip.to_string()),
                host_port: Some(h.map(|h| h.to_string()).unwrap_or_default()),
            });
        }
    }
    // The same host port and protocol twice on overlapping addresses cannot both bind.
    let mut seen: Vec<(String, u16, String)> = Vec::new();
    for (i, p) in req.ports.iter().enumerate() {
        if let (Ok(h), Ok(ip)) =
            (parse_port(&p.host_port), parse_ip(if p.host_ip.trim().is_empty() { "127.0.0.1" } else { &p.host_ip }))
        {
            let proto =
                if p.protocol.trim().is_empty() { "tcp".to_owned() } else { p.protocol.trim().to_ascii_lowercase() };
            let ip = ip.to_string();
            if seen
                .iter()
                .any(|(sip, sh, sp)| *sh == h && *sp == proto && (*sip == ip || ip == "0.0.0.0" || sip == "0.0.0.0"))
            {
                errors.add(format!("ports.{i}.hostPort"), format!("Host port {h}/{proto} is already published above."));
            }
            seen.push((ip, h, proto));
        }
    }

    let pids_limit = match req.pids_limit.trim() {
        "" => {
            warnings.add(
                "pidsLimit",
                "No pids limit: a fork bomb in this container can exhaust the host's process table. Set one (e.g. 100).",
            );
            None
        }
        t => match t.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            Ok(0) => {
                errors.add(
                    "pidsLimit",
                    "0 does not mean unlimited: leave the field empty for no limit, or use a positive number.",
                );
                None
            }
            _ => {
                errors.add("pidsLimit", "The pids limit is a positive whole number, e.g. 100.");
                None
            }
        },
    };
    let memory = match req.memory.trim() {
        "" => None,
        m => parse_memory(m).map_err(|e| errors.add("memory", e.message)).ok(),
    };
    let nano_cpus = match req.cpus.trim() {
        "" => None,
        c => match c.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 && n <= 1024.0 => Some((n * 1e9).round() as i64),
            _ => {
                errors.add("cpus", "CPUs is a positive number, e.g. 0.5 or 2.");
                None
            }
        },
    };

    let words = |field: &str, s: &str, errors: &mut Issues| -> Option<Vec<String>> {
        if s.trim().is_empty() {
            return None;
        }
        match shell::split(s) {
            Ok(w) if !w.is_empty() => Some(w),
            Ok(_) => None,
            Err(e) => {
                errors.add(field, format!("Cannot read this: {e}."));
                None
            }
        }
    };
    let cmd = words("command", &req.command, &mut errors);
    let entrypoint = words("entrypoint", &req.entrypoint, &mut errors);

    let mut env = Vec::new();
    for (i, e) in req.env.iter().enumerate() {
        if e.trim().is_empty() {
            continue;
        }
        match key_value(e) {
            Ok(_) => env.push(e.clone()),
            Err(m) => errors.add(format!("env.{i}"), format!("{m}: write NAME=value.")),
        }
    }
    let network = match req.network.trim() {
        "" => None,
        n if crate::refs::NetworkRef::parse(n).is_ok() => {
            if n == "host" {
                warnings.add(
                    "network",
                    "--network host: the container shares this host's network; every port it listens on is open on the host, published or not.",
                );
            }
            Some(n.to_owned())
        }
        _ => {
            errors.add("network", "Not a network: choose one of the list, host or none.");
            None
        }
    };
    let mut labels = HashMap::new();
    for (i, l) in req.labels.iter().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        match key_value(l) {
            Ok((k, v)) => {
                labels.insert(k.to_owned(), v.to_owned());
            }
            Err(m) => errors.add(format!("labels.{i}"), format!("{m}: write key=value.")),
        }
    }

    let mut mounts = Vec::new();
    for (i, m) in req.mounts.iter().enumerate() {
        let target = m.target.trim();
        if !is_abs_path(target) {
            errors.add(format!("mounts.{i}.target"), "The path inside the container must be absolute, e.g. /data.");
            continue;
        }
        let source = m.source.trim();
        let (typ, source) = if source.is_empty() {
            (MountType::VOLUME, None)
        } else if source.starts_with('/') {
            if !is_abs_path(source) {
                errors.add(format!("mounts.{i}.source"), "Not a usable host path.");
                continue;
            }
            if source == "/var/run/docker.sock" || source == "/run/docker.sock" {
                warnings.add(format!("mounts.{i}.source"), "The Docker socket inside a container is root on the host.");
            }
            (MountType::BIND, Some(source.to_owned()))
        } else if valid_volume_name(source) {
            (MountType::VOLUME, Some(source.to_owned()))
        } else {
            errors.add(
                format!("mounts.{i}.source"),
                "Use an absolute host path (/srv/data), a volume name (my-data), or leave it empty for a new volume.",
            );
            continue;
        };
        mounts.push(Mount {
            target: Some(target.to_owned()),
            source,
            typ: Some(typ),
            read_only: Some(m.read_only),
            ..Default::default()
        });
    }

    let workdir = req.workdir.trim();
    if !workdir.is_empty() && !is_abs_path(workdir) {
        errors.add("workdir", "The working directory must be an absolute path, e.g. /app.");
    }
    let user = req.user.trim();
    if !user.is_empty() && !valid_user(user) {
        errors.add("user", "Use a user name or UID, optionally with :group or :GID (e.g. 1000:1000).");
    }
    let retries = match (req.restart, req.restart_retries.trim()) {
        (RestartPolicy::OnFailure, "") => None,
        (RestartPolicy::OnFailure, r) => match r.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.add("restartRetries", "Retries is a whole number, 0 or more.");
                None
            }
        },
        (_, "") => None,
        (_, _) => {
            errors.add("restartRetries", "Retries only apply to the on-failure policy.");
            None
        }
    };
    let mut cap_drop = Vec::new();
    for (i, c) in req.cap_drop.iter().enumerate() {
        if c.trim().is_empty() {
            continue;
        }
        match cap_name(c) {
            Some(c) => cap_drop.push(c),
            None => errors.add(format!("capDrop.{i}"), "A capability is a name such as NET_RAW, or ALL."),
        }
    }

    if !errors.0.is_empty() {
        return (Err(errors.0), warnings.0);
    }
    let Some(image) = image else { return (Err(errors.0), warnings.0) };
    let restart_policy = match req.restart {
        RestartPolicy::No => None,
        p => Some(BRestart {
            name: Some(match p {
                RestartPolicy::Always => RestartPolicyNameEnum::ALWAYS,
                RestartPolicy::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
                _ => RestartPolicyNameEnum::ON_FAILURE,
            }),
            maximum_retry_count: retries,
        }),
    };
    let body = ContainerCreateBody {
        image: Some(image.as_str().to_owned()),
        cmd,
        entrypoint,
        env: (!env.is_empty()).then_some(env),
        labels: (!labels.is_empty()).then_some(labels),
        working_dir: (!workdir.is_empty()).then(|| workdir.to_owned()),
        user: (!user.is_empty()).then(|| user.to_owned()),
        tty: Some(req.tty),
        open_stdin: Some(req.interactive),
        attach_stdin: Some(req.interactive && !req.detach),
        attach_stdout: Some(!req.detach),
        attach_stderr: Some(!req.detach),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(HostConfig {
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            publish_all_ports: Some(req.publish_all),
            pids_limit,
            memory,
            nano_cpus,
            mounts: (!mounts.is_empty()).then_some(mounts),
            restart_policy,
            readonly_rootfs: Some(req.read_only),
            cap_drop: (!cap_drop.is_empty()).then_some(cap_drop),
            security_opt: req.no_new_privileges.then(|| vec!["no-new-privileges:true".to_owned()]),
            network_mode: network,
            ..Default::default()
        }),
        ..Default::default()
    };
    (Ok(RunPlan { name, image, body }), warnings.0)
}

/// Validates the request; every field error in one typed error (`field: message; …`).
pub fn validate(req: &RunRequest) -> Result<RunPlan> {
    plan(req).0.map_err(|errs| {
        Error::invalid(errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
    })
}

/// Validation, warnings and the equivalent command line, for the form as it is typed.
pub fn check(req: &RunRequest) -> RunCheck {
    let (plan, warnings) = plan(req);
    let findings = match &plan {
        Ok(p) => crate::inspect::rules::check_container(
            &crate::inspect::facts::ContainerFacts::from_create(&p.body),
            &crate::inspect::rules::Context::default(),
        ),
        Err(_) => Vec::new(),
    };
    let (security_score, security_grade) = crate::inspect::report::score(&findings);
    RunCheck {
        errors: plan.err().unwrap_or_default(),
        warnings,
        findings,
        security_score,
        security_grade,
        command: render(req),
    }
}
