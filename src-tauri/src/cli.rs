//! `bulkhead audit [CONTAINER…] [--context NAME | -H URL] [--format table|json|sarif] [--fail-on SEVERITY] [--images]`
//! and `bulkhead audit --compose FILE …`: the security review without a display or a window.
//! It runs before anything of Tauri or GTK is touched.
//!
//! Exit codes: 0 no finding at or above --fail-on (default: never fail on findings); 1 at least
//! one such finding; 2 bad usage; 3 the engine could not be reached or a container not found.

use bulkhead_core::context::ContextStore;
use bulkhead_core::inspect::host::HostRoot;
use bulkhead_core::inspect::rules::Severity;
use bulkhead_core::inspect::AuditOptions;
use bulkhead_core::{ContainerRef, Engine, Error};
use std::io::Write;

const USAGE: &str = "usage: bulkhead audit [CONTAINER…] [--context NAME | -H URL] [--format table|json|sarif] [--fail-on critical|high|medium|low|info] [--images]
       bulkhead audit --compose FILE [--format table|json|sarif] [--fail-on SEVERITY]

Reviews how well each container is isolated from the host (all containers when none is named).
  --compose  review a compose file's services before anything starts (no engine needed): each
             finding with the file, line and column of the key that causes it. Variables are
             interpolated from the environment and the file's .env, as Compose does.
  --context, -c  the docker context to review (as docker --context); -H/--host URL an engine address
                 (unix://, tcp://, ssh://). Without either: DOCKER_HOST, DOCKER_CONTEXT, the CLI's
                 current context, then the local socket — the docker CLI's order.
  --format   table (default), json (schema: docs/audit.schema.json) or sarif (SARIF 2.1.0)
  --fail-on  exit with status 1 when a finding at or above this severity exists
  --images   also review the containers' images
Exit status: 0 fine, 1 findings at or above --fail-on, 2 bad usage, 3 engine or container error.";

#[derive(Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub containers: Vec<ContainerRef>,
    pub format: Format,
    pub fail_on: Option<Severity>,
    pub images: bool,
    pub context: Option<String>,
    pub host: Option<String>,
    /// A compose file to review instead of containers, as given on the command line.
    pub compose: Option<String>,
}

/// Parses the words after `audit`.
pub fn parse(words: &[String]) -> bulkhead_core::Result<Args> {
    let mut args = Args {
        containers: Vec::new(),
        format: Format::Table,
        fail_on: None,
        images: false,
        context: None,
        host: None,
        compose: None,
    };
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if w.starts_with("--") => (f, Some(v.to_owned())),
            _ => (w.as_str(), None),
        };
        let mut value = |name: &str| {
            inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| Error::invalid(format!("{name} needs a value")))
        };
        match flag {
            "--format" | "-f" => {
                args.format = match value("--format")?.as_str() {
                    "table" => Format::Table,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    other => {
                        return Err(Error::invalid(format!(
                            "--format: unknown format {other:?} (table, json or sarif)"
                        )))
                    }
                }
            }
            "--fail-on" => {
                let v = value("--fail-on")?;
                args.fail_on = Some(Severity::parse(&v).ok_or_else(|| {
                    Error::invalid(format!("--fail-on: unknown severity {v:?} (critical, high, medium, low or info)"))
                })?);
            }
            "--images" => args.images = true,
            "--context" | "-c" => args.context = Some(value("--context")?),
            "--host" | "-H" => args.host = Some(value("--host")?),
            "--compose" => args.compose = Some(value("--compose")?),
            f if f.starts_with('-') => return Err(Error::invalid(format!("unknown option {f}"))),
            name => args
                .containers
                .push(ContainerRef::parse(name).map_err(|e| Error::invalid(format!("{name}: {}", e.message)))?),
        }
    }
    if args.context.is_some() && args.host.is_some() {
        return Err(Error::invalid("conflicting options: either specify --host or --context, not both"));
    }
    if args.compose.is_some() && (!args.containers.is_empty() || args.images) {
        return Err(Error::invalid("--compose reviews a file: it takes no container names and no --images"));
    }
    Ok(args)
}

/// What `bulkhead` does with its arguments before any window: `audit …` runs headless,
/// `--help` and `--version` answer, anything else is refused; `None`: open the window.
pub fn dispatch(words: &[String]) -> Option<i32> {
    match words.first().map(String::as_str) {
        None => None,
        Some("audit") => Some(audit(&words[1..])),
        Some("--version" | "-V") => {
            println!("bulkhead {}", env!("CARGO_PKG_VERSION"));
            Some(0)
        }
        Some("--help" | "-h" | "help") => {
            println!(
                "usage: bulkhead              open the window\n       bulkhead audit …      review containers or a compose file in the terminal (bulkhead audit --help)\n       bulkhead --version"
            );
            Some(0)
        }
        Some(other) => {
            eprintln!("bulkhead: unknown argument {other:?} (bulkhead --help)");
            Some(2)
        }
    }
}

/// Why the window cannot open here, when it cannot: no display to open it on. (GTK would
/// panic instead.)
pub fn no_display() -> Option<String> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "bulkhead: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). \
         In a terminal, `bulkhead audit` reviews the containers without one."
            .to_owned(),
    )
}

/// Runs `bulkhead audit …`; returns the process's exit status.
pub fn audit(words: &[String]) -> i32 {
    if words.iter().any(|w| w == "--help" || w == "-h") {
        println!("{USAGE}");
        return 0;
    }
    let args = match parse(words) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bulkhead audit: {}\n\n{USAGE}", e.message);
            return 2;
        }
    };
    if let Some(file) = &args.compose {
        return audit_compose(file, &args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bulkhead audit: {e}");
            return 3;
        }
    };
    let result = runtime.block_on(async {
        let store = ContextStore::from_env();
        let (_, context) =
            store.resolve(args.context.as_deref(), args.host.as_deref(), &|k: &str| std::env::var_os(k))?;
        let engine = Engine::connect(&context.endpoint?).await?;
        // Names and ID prefixes become full IDs (as everywhere in Bulkhead).
        let mut ids = Vec::new();
        for c in &args.containers {
            let facts = engine.container_facts(c).await?;
            ids.push(ContainerRef::parse(&facts.id)?);
        }
        engine.audit(&AuditOptions { containers: ids, images: args.images }, &HostRoot::from_env()).await
    });
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bulkhead audit: {}", e.message);
            return 3;
        }
    };
    let out = match args.format {
        Format::Table => report.table(),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&report.sarif()).unwrap_or_default() + "\n",
    };
    emit(&out, args.fail_on, report.worst())
}

/// `bulkhead audit --compose FILE`: exit 2 for a file that is not a compose file we read (as
/// for bad usage: nothing was reviewed), else as for containers.
fn audit_compose(file: &str, args: &Args) -> i32 {
    let path = match std::env::current_dir() {
        Ok(cwd) => cwd.join(file),
        Err(e) => {
            eprintln!("bulkhead audit: {e}");
            return 2;
        }
    };
    let report = match bulkhead_core::compose::review_file(&path, file, None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bulkhead audit: {}", e.message);
            return 2;
        }
    };
    let out = match args.format {
        Format::Table => report.table(),
        Format::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        Format::Sarif => serde_json::to_string_pretty(&report.sarif()).unwrap_or_default() + "\n",
    };
    emit(&out, args.fail_on, report.worst())
}

/// Prints the report; the exit status says whether a finding reached `--fail-on`.
fn emit(out: &str, fail_on: Option<Severity>, worst: Option<Severity>) -> i32 {
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()).is_err() {
        return 3;
    }
    match (fail_on, worst) {
        (Some(min), Some(worst)) if worst >= min => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_flags_and_containers() {
        let a = parse(&words("web 3f2a --format sarif --fail-on=high --images")).unwrap();
        assert_eq!(a.format, Format::Sarif);
        assert_eq!(a.fail_on, Some(Severity::High));
        assert!(a.images);
        assert_eq!(a.containers.len(), 2);
        assert!(parse(&words("--format xml")).unwrap_err().message.contains("unknown format"));
        assert!(parse(&words("--fail-on severe")).unwrap_err().message.contains("unknown severity"));
        assert!(parse(&words("--format")).unwrap_err().message.contains("needs a value"));
        assert!(parse(&words("../images/x")).is_err(), "container names are validated");
        assert!(parse(&words("--bogus")).unwrap_err().message.contains("unknown option"));
        let a = parse(&words("-c box --format json")).unwrap();
        assert_eq!((a.context.as_deref(), a.host), (Some("box"), None));
        let a = parse(&words("--host=ssh://me@box")).unwrap();
        assert_eq!(a.host.as_deref(), Some("ssh://me@box"));
        assert!(parse(&words("--context a -H unix:///x")).unwrap_err().message.contains("conflicting options"));
        let a = parse(&words("--compose deploy/compose.yaml --format=sarif")).unwrap();
        assert_eq!(a.compose.as_deref(), Some("deploy/compose.yaml"));
        assert!(parse(&words("--compose f.yml web")).unwrap_err().message.contains("no container names"));
    }
}
