//! A pasted `docker run …` line into the form; flags it cannot express are named.

use super::*;

/// Flags of `docker run` that take a value but that the form does not support.
const UNSUPPORTED_WITH_VALUE: &[&str] = &[
    "--hostname",
    "-h",
    "--add-host",
    "--dns",
    "--dns-search",
    "--dns-option",
    "--ulimit",
    "--device",
    "--gpus",
    "--log-driver",
    "--log-opt",
    "--shm-size",
    "--cpu-shares",
    "-c",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--memory-swap",
    "--memory-reservation",
    "--memory-swappiness",
    "--cap-add",
    "--platform",
    "--pull",
    "--env-file",
    "--label-file",
    "--mount",
    "--tmpfs",
    "--userns",
    "--pid",
    "--ipc",
    "--uts",
    "--cgroupns",
    "--volumes-from",
    "--link",
    "--expose",
    "--health-cmd",
    "--health-interval",
    "--health-retries",
    "--health-timeout",
    "--health-start-period",
    "--stop-signal",
    "--stop-timeout",
    "--sysctl",
    "--group-add",
    "--runtime",
    "--isolation",
    "--oom-score-adj",
    "--blkio-weight",
    "--network-alias",
    "--ip",
    "--ip6",
    "--mac-address",
    "--cgroup-parent",
    "--cidfile",
    "--attach",
    "-a",
    "--detach-keys",
    "--domainname",
    "--kernel-memory",
    "--cpu-period",
    "--cpu-quota",
    "--cpu-rt-period",
    "--cpu-rt-runtime",
    "--device-cgroup-rule",
    "--device-read-bps",
    "--device-write-bps",
    "--annotation",
    "--volume-driver",
    "--storage-opt",
    "--log-opt",
];

/// Reads a pasted `docker run …` line into the form. Flags the form cannot express are named
/// in `unsupported` (and not applied), never silently dropped.
pub fn parse_command(line: &str) -> Result<ParsedRun> {
    let words = shell::split(line).map_err(|e| Error::invalid(format!("Cannot read this line: {e}.")))?;
    let mut it = words.into_iter().peekable();
    // Leading "docker run" or "docker container run" (and a sudo before it) are optional.
    while it.peek().is_some_and(|w| w == "sudo") {
        it.next();
    }
    if it.peek().is_some_and(|w| w == "docker" || w.ends_with("/docker")) {
        it.next();
        if it.peek().is_some_and(|w| w == "container") {
            it.next();
        }
        match it.next() {
            Some(w) if w == "run" => {}
            Some(w) => {
                return Err(Error::invalid(format!(
                    "This is `docker {}`, not `docker run`.",
                    crate::text::neutralise(&w)
                )))
            }
            None => return Err(Error::invalid("Paste a whole `docker run …` line.")),
        }
    }
    let mut req = RunRequest { detach: false, ..RunRequest::default() };
    let mut unsupported = Vec::new();
    let mut image = None;
    while let Some(w) = it.next() {
        if w == "--" {
            image = it.next();
            break;
        }
        if !w.starts_with('-') || w == "-" {
            image = Some(w);
            break;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (w.clone(), None),
        };
        let mut value = |name: &str| -> Result<String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => Err(Error::invalid(format!("{name} needs a value."))),
            }
        };
        match flag.as_str() {
            "-d" | "--detach" => req.detach = true,
            "-i" | "--interactive" => req.interactive = true,
            "-t" | "--tty" => req.tty = true,
            "-P" | "--publish-all" => req.publish_all = true,
            "--read-only" => req.read_only = true,
            "--name" => req.name = value("--name")?,
            "-p" | "--publish" => {
                let spec = value("--publish")?;
                req.ports.push(parse_publish(&spec)?);
            }
            "--pids-limit" => req.pids_limit = value("--pids-limit")?,
            "--network" | "--net" => req.network = value("--network")?,
            "-m" | "--memory" => req.memory = value("--memory")?,
            "--cpus" => req.cpus = value("--cpus")?,
            "--entrypoint" => req.entrypoint = shell::quote(&value("--entrypoint")?),
            "-e" | "--env" => req.env.push(value("--env")?),
            "-l" | "--label" => req.labels.push(value("--label")?),
            "-v" | "--volume" => req.mounts.push(parse_volume(&value("--volume")?)),
            "-w" | "--workdir" => req.workdir = value("--workdir")?,
            "-u" | "--user" => req.user = value("--user")?,
            "--cap-drop" => req.cap_drop.push(value("--cap-drop")?),
            "--restart" => {
                let v = value("--restart")?;
                let (policy, retries) = v.split_once(':').map_or((v.as_str(), ""), |(p, r)| (p, r));
                req.restart = match policy {
                    "no" => RestartPolicy::No,
                    "always" => RestartPolicy::Always,
                    "unless-stopped" => RestartPolicy::UnlessStopped,
                    "on-failure" => RestartPolicy::OnFailure,
                    _ => {
                        unsupported.push(format!("--restart {v}"));
                        RestartPolicy::No
                    }
                };
                // Only on-failure takes a count (the `run_line` fuzz target found a count kept
                // beside a policy that was not applied).
                req.restart_retries =
                    if req.restart == RestartPolicy::OnFailure { retries.to_owned() } else { String::new() };
            }
            "--security-opt" => {
                let v = value("--security-opt")?;
                if v == "no-new-privileges" || v == "no-new-privileges:true" || v == "no-new-privileges=true" {
                    req.no_new_privileges = true;
                } else {
                    unsupported.push(format!("--security-opt {v}"));
                }
            }
            f if UNSUPPORTED_WITH_VALUE.contains(&f) => {
                let v = value(f)?;
                unsupported.push(format!("{f} {v}"));
            }
            f if f.starts_with('-') && !f.starts_with("--") && f.len() > 2 => {
                // Combined short flags: -itd, -dit …
                for c in f[1..].chars() {
                    match c {
                        'd' => req.detach = true,
                        'i' => req.interactive = true,
                        't' => req.tty = true,
                        'P' => req.publish_all = true,
                        other => unsupported.push(format!("-{other}")),
                    }
                }
            }
            f => unsupported.push(f.to_owned()),
        }
    }
    let Some(image) = image else {
        return Err(Error::invalid("The line names no image."));
    };
    // After `--`, a word that starts with '-' is no image reference either (docker: "invalid
    // reference format"); the form could not write it back (found by the `run_line` fuzz target).
    if image.starts_with('-') {
        return Err(Error::invalid("The image comes after the options: a word starting with '-' is no image."));
    }
    req.image = image;
    let rest: Vec<String> = it.collect();
    req.command = shell::join(&rest);
    let unsupported = unsupported.iter().map(|u| crate::text::neutralise(u)).collect();
    Ok(ParsedRun { request: req, unsupported })
}

/// `-p` syntax: [ip:][hostPort:]containerPort[/proto], ip may be [v6].
fn parse_publish(spec: &str) -> Result<PortRequest> {
    let bad = || {
        Error::invalid(format!(
            "-p {:?}: expected [ip:][hostPort:]containerPort[/protocol]",
            crate::text::neutralise(spec)
        ))
    };
    let (rest, proto) = spec.rsplit_once('/').map_or((spec, "tcp"), |(r, p)| (r, p));
    let (ip, rest) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, after) = r.split_once(']').ok_or_else(bad)?;
        (Some(ip.to_owned()), after.strip_prefix(':').ok_or_else(bad)?.to_owned())
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            1 | 2 => (None, rest.to_owned()),
            3 => (Some(parts[0].to_owned()), format!("{}:{}", parts[1], parts[2])),
            _ => return Err(bad()),
        }
    };
    let (host, container) = match rest.split_once(':') {
        Some((h, c)) => (h.to_owned(), c.to_owned()),
        None => (String::new(), rest.clone()),
    };
    // docker: "no port specified" (and the form would drop the row: found by the `run_line`
    // fuzz target).
    if container.trim().is_empty() || proto.trim().is_empty() {
        return Err(bad());
    }
    Ok(PortRequest {
        // docker binds every interface when -p gives no address: say so, explicitly.
        host_ip: ip.filter(|i| !i.is_empty()).unwrap_or_else(|| "0.0.0.0".to_owned()),
        host_port: host,
        container_port: container,
        protocol: proto.to_owned(),
    })
}

/// `-v` syntax: [source:]target[:ro|rw].
fn parse_volume(spec: &str) -> MountRequest {
    let mut parts: Vec<&str> = spec.split(':').collect();
    let mut read_only = false;
    if parts.len() > 1 && matches!(*parts.last().unwrap_or(&""), "ro" | "rw" | "z" | "Z" | "ro,z" | "ro,Z") {
        read_only = parts.last().is_some_and(|o| o.starts_with("ro"));
        parts.pop();
    }
    match parts.as_slice() {
        [target] => MountRequest { source: String::new(), target: (*target).to_owned(), read_only },
        [source, target] => MountRequest { source: (*source).to_owned(), target: (*target).to_owned(), read_only },
        _ => MountRequest { source: String::new(), target: spec.to_owned(), read_only },
    }
}
