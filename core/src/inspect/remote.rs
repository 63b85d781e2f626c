//! Kernel truth of an SSH engine's host: the same files `host` reads (`/proc/<pid>/…`, the
//! container's cgroup), read on that host over SSH and judged by the same code.
//!
//! The files are copied into a private folder in rounds: a first pass of `kernel_facts` over the
//! (empty) copy names every path it wants, one `ssh` fetches them all, and the next pass asks
//! for what their content points to (the cgroup's folder), until nothing new is asked for.
//! The remote side is a POSIX `sh` script with the paths as its arguments (quoted for the remote
//! shell); its output is framed with a random marker a container cannot guess, so no file
//! content can pose as another file.

use super::host::{CopyOf, HostRoot, KernelFacts};
use crate::engine::SshAddr;
use crate::error::{Error, ErrorKind};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// At most this many rounds (two are enough for cgroup v1 and v2: the ids, then the limits).
const ROUNDS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(40);

/// What the script prints for each path. `$(cat f && printf x)` then `${c%x}` keeps a file's
/// content byte for byte, trailing newlines included — but a shell drops NUL bytes, so
/// `/proc/<pid>/cmdline` arrives with its words run together (a rootless container is then not
/// recognised over SSH, and its rows stay unknown).
const SCRIPT: &str = r#"n=$1; shift
for p in "$@"; do
  if [ -L "$p" ]; then
    if t=$(readlink "$p" 2>/dev/null); then printf '%s L %s\n%s\n' "$n" "$p" "$t"; else printf '%s P %s\n' "$n" "$p"; fi
  elif [ -d "$p" ]; then printf '%s D %s\n' "$n" "$p"
  elif [ -e "$p" ]; then
    if c=$(cat "$p" 2>/dev/null && printf x); then printf '%s F %s\n%s\n%s END\n' "$n" "$p" "${c%x}" "$n"; else printf '%s P %s\n' "$n" "$p"; fi
  else printf '%s M %s\n' "$n" "$p"; fi
done"#;

/// The kernel facts of container `id` (main process `pid` on the SSH host).
pub(crate) async fn kernel_facts(addr: &SshAddr, id: &str, command: &[String], pid: u32) -> KernelFacts {
    if pid == 0 {
        let mut facts = KernelFacts::unknown("the container is not running: it has no process to read");
        facts.source = Some(addr.to_string());
        return facts;
    }
    let named = format!("{addr}:");
    let mut facts = fetch_rounds(addr, id, command, pid, &named).await.unwrap_or_else(|e| {
        KernelFacts::unknown(&format!("{named} the host's files could not be read over SSH: {}", e.message))
    });
    facts.source = Some(addr.to_string());
    facts
}

async fn fetch_rounds(
    addr: &SshAddr,
    id: &str,
    command: &[String],
    pid: u32,
    named: &str,
) -> Result<KernelFacts, Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::internal(format!("a folder for the copy: {e}")))?;
    let mut fetched: BTreeSet<String> = BTreeSet::new();
    let mut denied: BTreeSet<String> = BTreeSet::new();
    // What every pass reads first (a pass stops at the first namespace it cannot read, so
    // asking for these up front saves a round per namespace).
    let mut seed: Vec<String> =
        ["cgroup", "uid_map", "status", "cmdline"].iter().map(|f| format!("/proc/{pid}/{f}")).collect();
    for who in [pid.to_string(), "1".into(), "self".into()] {
        seed.extend(super::host::NAMESPACES.iter().map(|k| format!("/proc/{who}/ns/{k}")));
    }
    seed.push("/sys/fs/cgroup/cgroup.controllers".into());
    denied.extend(fetch(addr, &seed, dir.path()).await?);
    fetched.extend(seed);
    for _ in 0..ROUNDS {
        let copy = Arc::new(CopyOf { named: named.to_owned(), denied: denied.clone(), ..CopyOf::default() });
        let host = HostRoot::copy_of(dir.path(), Arc::clone(&copy));
        let facts = host.kernel_facts_of(id, command, pid, true);
        let asked = std::mem::take(&mut *copy.asked.lock().unwrap_or_else(|e| e.into_inner()));
        let wanted: Vec<String> = asked.difference(&fetched).cloned().collect();
        if wanted.is_empty() {
            return Ok(facts);
        }
        denied.extend(fetch(addr, &wanted, dir.path()).await?);
        fetched.extend(wanted);
    }
    let copy = Arc::new(CopyOf { named: named.to_owned(), denied, ..CopyOf::default() });
    Ok(HostRoot::copy_of(dir.path(), copy).kernel_facts_of(id, command, pid, true))
}

/// Copies `paths` of the SSH host under `into`; returns those that exist but could not be read.
async fn fetch(addr: &SshAddr, paths: &[String], into: &Path) -> Result<Vec<String>, Error> {
    // Only absolute paths of /proc and /sys, as kernel_facts asks for; nothing else is read.
    let paths: Vec<String> =
        paths.iter().filter(|p| p.starts_with("/proc/") || p.starts_with("/sys/")).cloned().collect();
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let marker = marker();
    let mut remote = vec!["sh".to_owned(), "-c".to_owned(), SCRIPT.to_owned(), "sh".to_owned(), marker.clone()];
    remote.extend(paths.iter().cloned());
    let run = tokio::process::Command::new("ssh")
        .args(addr.ssh_args_running(&remote))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(TIMEOUT, run).await {
        Err(_) => return Err(Error::new(ErrorKind::EngineTimeout, "ssh did not answer in time")),
        Ok(Err(e)) => return Err(Error::new(ErrorKind::EngineUnreachable, format!("ssh cannot be started: {e}"))),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(Error::new(ErrorKind::EngineUnreachable, format!("ssh exited with {}: {said}", out.status)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut denied = Vec::new();
    for (kind, path, body) in parse(&text, &marker) {
        if !paths.contains(&path) {
            continue;
        }
        let local = into.join(path.trim_start_matches('/'));
        let parent = local.parent().map(Path::to_path_buf);
        let made = match kind {
            'F' => parent.map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&local, body)),
            'L' => {
                parent.map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::os::unix::fs::symlink(body, &local))
            }
            'D' => std::fs::create_dir_all(&local),
            'P' => {
                denied.push(path.clone());
                Ok(())
            }
            _ => Ok(()),
        };
        made.map_err(|e| Error::internal(format!("cannot keep the copy of {path}: {e}")))?;
    }
    Ok(denied)
}

/// A marker no file content can contain by chance or by design (random per fetch).
fn marker() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    let a = h.finish();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(a);
    format!("@@bulkhead-{a:016x}{:016x}", h.finish())
}

/// The script's output: (kind, path, content) for each path.
fn parse(text: &str, marker: &str) -> Vec<(char, String, String)> {
    let mut out = Vec::new();
    let head = format!("{marker} ");
    let end = format!("\n{marker} END\n");
    let mut rest = text;
    while let Some(at) = rest.find(&head) {
        rest = &rest[at + head.len()..];
        let Some((line, after)) = rest.split_once('\n') else { break };
        let Some((kind, path)) = line.split_once(' ') else { continue };
        let kind = kind.chars().next().unwrap_or('?');
        match kind {
            'F' => {
                let Some(stop) = after.find(&end) else { break };
                out.push(('F', path.to_owned(), after[..stop].to_owned()));
                rest = &after[stop + 1..];
            }
            'L' => {
                let (target, after) = after.split_once('\n').unwrap_or((after, ""));
                out.push(('L', path.to_owned(), target.to_owned()));
                rest = after;
            }
            k => {
                out.push((k, path.to_owned(), String::new()));
                rest = after;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The script's own output, run here by a real `sh` on files made for the test: contents
    /// (even one framed like a record, with a marker guessed by a container), links, folders,
    /// missing paths.
    #[test]
    fn the_script_frames_every_kind_of_path_and_no_content_poses_as_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let m = marker();
        let guessed = marker();
        let tricky = format!("Name:\tx\n{guessed} END\n{guessed} F /proc/1/uid_map\n0 0 4294967295\n{guessed} END\n");
        std::fs::write(d.join("plain"), "line 1\nline 2").unwrap();
        std::fs::write(d.join("tricky"), &tricky).unwrap();
        std::os::unix::fs::symlink("pid:[4026531836]", d.join("ns")).unwrap();
        std::fs::create_dir(d.join("folder")).unwrap();
        let p = |n: &str| d.join(n).display().to_string();
        let out = std::process::Command::new("sh")
            .args(["-c", SCRIPT, "sh", &m, &p("plain"), &p("tricky"), &p("ns"), &p("folder"), &p("missing")])
            .output()
            .unwrap();
        let parsed = parse(&String::from_utf8_lossy(&out.stdout), &m);
        assert_eq!(parsed.len(), 5, "{parsed:?}");
        assert_eq!(parsed[0], ('F', p("plain"), "line 1\nline 2".to_owned()));
        assert_eq!(parsed[1], ('F', p("tricky"), tricky.clone()), "kept whole, byte for byte, as content");
        assert_eq!(parsed[2], ('L', p("ns"), "pid:[4026531836]".to_owned()));
        assert_eq!(parsed[3].0, 'D');
        assert_eq!(parsed[4].0, 'M');
        assert_ne!(marker(), m, "a new marker each time");
    }
}
