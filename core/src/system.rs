//! `docker info`, the essentials.

use crate::engine::Engine;
use crate::error::Result;
use crate::model::{SecurityOption, SystemInfo};
use crate::text::{neutralise, neutralise_all};

impl Engine {
    pub async fn system_info(&self) -> Result<SystemInfo> {
        let i = self.docker.info().await.map_err(|e| self.fail(e))?;
        let v = self.version();
        let security_options: Vec<SecurityOption> =
            i.security_options.unwrap_or_default().iter().map(|s| parse_security_option(s)).collect();
        let has = |name: &str| security_options.iter().any(|o| o.name == name);
        let s = |o: Option<String>| neutralise(&o.unwrap_or_default());
        Ok(SystemInfo {
            endpoint: self.endpoint().to_string(),
            product: v.product.clone(),
            engine_version: s(i.server_version),
            api_version: v.api.to_string(),
            engine_api_version: v.engine_api.to_string(),
            hostname: s(i.name),
            operating_system: s(i.operating_system),
            os_type: s(i.os_type),
            kernel_version: s(i.kernel_version),
            architecture: s(i.architecture),
            cpus: i.ncpu.unwrap_or_default(),
            memory: i.mem_total.unwrap_or_default(),
            storage_driver: s(i.driver),
            docker_root_dir: s(i.docker_root_dir),
            logging_driver: s(i.logging_driver),
            cgroup_driver: i.cgroup_driver.map(|d| d.to_string()).unwrap_or_default(),
            cgroup_version: i.cgroup_version.map(|d| d.to_string()).unwrap_or_default(),
            default_runtime: s(i.default_runtime),
            seccomp: has("seccomp"),
            apparmor: has("apparmor"),
            selinux: has("selinux"),
            userns: has("userns"),
            rootless: has("rootless") || self.podman_rootless().await,
            security_options,
            live_restore: i.live_restore_enabled.unwrap_or_default(),
            containers: i.containers.unwrap_or_default(),
            containers_running: i.containers_running.unwrap_or_default(),
            containers_paused: i.containers_paused.unwrap_or_default(),
            containers_stopped: i.containers_stopped.unwrap_or_default(),
            images: i.images.unwrap_or_default(),
            warnings: neutralise_all(i.warnings.unwrap_or_default()),
        })
    }
}

/// `name=seccomp,profile=default` → { name: seccomp, details: [profile=default] }.
pub fn parse_security_option(s: &str) -> SecurityOption {
    let mut name = String::new();
    let mut details = Vec::new();
    for part in s.split(',') {
        match part.strip_prefix("name=") {
            Some(n) if name.is_empty() => name = neutralise(n),
            _ => details.push(neutralise(part)),
        }
    }
    if name.is_empty() {
        // Engines before 1.13 sent bare names such as "seccomp".
        name = details.first().cloned().unwrap_or_default();
        details.clear();
    }
    SecurityOption { name, details }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_options() {
        let o = parse_security_option("name=seccomp,profile=default");
        assert_eq!(o.name, "seccomp");
        assert_eq!(o.details, vec!["profile=default"]);
        assert_eq!(parse_security_option("name=rootless").name, "rootless");
        assert_eq!(parse_security_option("apparmor").name, "apparmor");
    }
}
