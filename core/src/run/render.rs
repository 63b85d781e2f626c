//! The `docker run …` line equivalent to the form.

use super::*;

/// The `docker run …` line that does what the form says.
pub fn render(req: &RunRequest) -> String {
    let mut w: Vec<String> = vec!["docker".into(), "run".into()];
    let mut short = String::new();
    if req.interactive {
        short.push('i');
    }
    if req.tty {
        short.push('t');
    }
    if req.detach {
        short.push('d');
    }
    if !short.is_empty() {
        w.push(format!("-{short}"));
    }
    let mut opt = |flag: &str, v: &str| {
        if !v.trim().is_empty() {
            w.push(flag.to_owned());
            w.push(v.trim().to_owned());
        }
    };
    opt("--name", &req.name);
    opt("--network", &req.network);
    for p in &req.ports {
        if p.container_port.trim().is_empty() {
            continue;
        }
        let ip = if p.host_ip.trim().is_empty() { "127.0.0.1" } else { p.host_ip.trim() };
        let ip = if ip.contains(':') && !ip.starts_with('[') { format!("[{ip}]") } else { ip.to_owned() };
        let proto = if p.protocol.trim().is_empty() { "tcp" } else { p.protocol.trim() };
        opt("-p", &format!("{ip}:{}:{}/{proto}", p.host_port.trim(), p.container_port.trim()));
    }
    opt("--pids-limit", &req.pids_limit);
    opt("--memory", &req.memory);
    opt("--cpus", &req.cpus);
    for e in req.env.iter().filter(|e| !e.trim().is_empty()) {
        opt("-e", e);
    }
    for m in req.mounts.iter().filter(|m| !m.target.trim().is_empty()) {
        let spec = match (m.source.trim(), m.read_only) {
            ("", false) => m.target.trim().to_owned(),
            ("", true) => format!("{}:ro", m.target.trim()),
            (s, ro) => format!("{s}:{}{}", m.target.trim(), if ro { ":ro" } else { "" }),
        };
        opt("-v", &spec);
    }
    opt("--workdir", &req.workdir);
    opt("--user", &req.user);
    match req.restart {
        RestartPolicy::No => {}
        RestartPolicy::Always => opt("--restart", "always"),
        RestartPolicy::UnlessStopped => opt("--restart", "unless-stopped"),
        RestartPolicy::OnFailure => {
            let r = req.restart_retries.trim();
            opt("--restart", &if r.is_empty() { "on-failure".to_owned() } else { format!("on-failure:{r}") })
        }
    }
    for c in req.cap_drop.iter().filter(|c| !c.trim().is_empty()) {
        opt("--cap-drop", c);
    }
    if req.no_new_privileges {
        opt("--security-opt", "no-new-privileges");
    }
    for l in req.labels.iter().filter(|l| !l.trim().is_empty()) {
        opt("--label", l);
    }
    // The field holds shell words, `--entrypoint` one argument: a single word is given
    // unquoted (join quotes it once), else the text as typed. (The `run_line` fuzz target
    // found the double quoting of `'/bin/my app'`.)
    match shell::split(&req.entrypoint).as_deref() {
        Ok([one]) => opt("--entrypoint", one),
        _ => opt("--entrypoint", &req.entrypoint),
    }
    if req.publish_all {
        w.push("-P".into());
    }
    if req.read_only {
        w.push("--read-only".into());
    }
    w.push(if req.image.trim().is_empty() { "IMAGE".into() } else { req.image.trim().to_owned() });
    let mut line = shell::join(&w);
    if !req.command.trim().is_empty() {
        // The command is already shell words as the user typed them.
        line.push(' ');
        line.push_str(req.command.trim());
    }
    line
}
