//! Image rules (CIS Docker Benchmark section 4), from the image's configuration and history;
//! nothing from the image runs.

use super::{when, ImageCheck, Rule, Scope, Severity};

/// A `created_by` step that used ADD, other than the `ADD file:<digest> in /` that lays down
/// a base image's root filesystem.
pub fn is_add_step(created_by: &str) -> bool {
    let step = created_by.trim_start_matches("/bin/sh -c ").trim_start_matches("#(nop) ").trim_start();
    let Some(rest) = step.strip_prefix("ADD ") else { return false };
    let rest = rest.trim_start();
    !(rest.starts_with("file:") && rest.trim_end().ends_with(" in /"))
}

/// The tag of a reference: None when it has none (or is pinned by digest only).
pub fn tag_of(reference: &str) -> Option<&str> {
    let name = reference.split('@').next().unwrap_or(reference);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, t)| t)
}

pub static RULES: &[(Rule, ImageCheck)] = &[
    (
        Rule::new(
            Scope::Image,
            "image.no-user",
            Severity::Medium,
            "The image runs as root (no USER)",
            "Without USER every container of this image starts as root unless the run command says otherwise.",
            "Add a user to the Dockerfile: RUN adduser -D app, then USER app.",
            Some("4.1"),
            Some("RULE #2"),
        ),
        |i| {
            let u = i.user.split(':').next().unwrap_or_default();
            when(u.is_empty() || u == "0" || u == "root", || {
                vec![format!("Config.User = {}", if i.user.is_empty() { "(unset)" } else { &i.user })]
            })
        },
    ),
    (
        Rule::new(
            Scope::Image,
            "image.no-healthcheck",
            Severity::Low,
            "The image has no HEALTHCHECK",
            "Containers of this image report running even when the service inside has hung.",
            "Add HEALTHCHECK CMD <a command that fails when the service is broken> to the Dockerfile.",
            Some("4.6"),
            None,
        ),
        |i| when(!i.healthcheck, || vec!["Config.Healthcheck is not set".into()]),
    ),
    (
        Rule::new(
            Scope::Image,
            "image.add-instead-of-copy",
            Severity::Low,
            "Built with ADD instead of COPY",
            "ADD fetches URLs and unpacks archives by itself: a remote file or a crafted archive ends up in the image unchecked.",
            "Use COPY for local files; download with a checked RUN curl … && sha256sum -c.",
            Some("4.9"),
            Some("RULE #13"),
        ),
        |i| {
            let ev: Vec<String> = i.history.iter().filter(|h| is_add_step(h)).map(|h| h.chars().take(200).collect()).collect();
            when(!ev.is_empty(), || ev)
        },
    ),
    (
        Rule::new(
            Scope::Image,
            "image.secret-env",
            Severity::High,
            "A secret is baked into the image's environment",
            "ENV values are stored in the image's configuration: anyone who can pull the image (or run docker inspect) reads them.",
            "Remove the ENV; pass secrets at run time (--env-file, a mounted file, Docker secrets).",
            Some("4.10"),
            Some("RULE #12"),
        ),
        |i| when(!i.secret_env.is_empty(), || i.secret_env.iter().map(|n| format!("ENV {n}=… (value hidden)")).collect()),
    ),
    (
        Rule::new(
            Scope::Image,
            "image.latest-tag",
            Severity::Low,
            "Referenced by 'latest' or without a tag",
            "latest moves: the next pull gives another image, so what runs is not what was reviewed, and rollback has nothing to roll back to.",
            "Pin a version tag (app:1.4.2) or a digest (app@sha256:…).",
            None,
            Some("RULE #13"),
        ),
        |i| {
            if i.reference.contains("@sha256:") || i.reference.starts_with("sha256:") || i.reference.is_empty() {
                return None;
            }
            match tag_of(&i.reference) {
                None => Some(vec![format!("{} has no tag (latest is implied)", i.reference)]),
                Some("latest") => Some(vec![format!("{} uses the latest tag", i.reference)]),
                Some(_) => None,
            }
        },
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_steps() {
        assert!(!is_add_step("/bin/sh -c #(nop) ADD file:3c8bc2 in / "));
        assert!(is_add_step("/bin/sh -c #(nop) ADD https://example.com/x.tgz /opt/"));
        assert!(is_add_step("ADD app.tar.gz /srv # buildkit"));
        assert!(!is_add_step("/bin/sh -c #(nop) COPY file:ab in /bin/busybox "));
        assert!(!is_add_step("RUN echo ADD"));
    }

    #[test]
    fn tags() {
        assert_eq!(tag_of("busybox"), None);
        assert_eq!(tag_of("busybox:1.36"), Some("1.36"));
        assert_eq!(tag_of("127.0.0.1:5000/app"), None);
        assert_eq!(tag_of("127.0.0.1:5000/app:latest"), Some("latest"));
        assert_eq!(tag_of("app@sha256:abc"), None);
    }
}
