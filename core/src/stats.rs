//! Live resource usage of a running container, one sample a second, computed as `docker stats` does.

use crate::engine::Engine;
use crate::error::Result;
use crate::refs::ContainerRef;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::{Stream, StreamExt};
use serde::Serialize;

#[cfg(feature = "ts")]
use ts_rs::TS;

/// One sample. Byte counters are totals since the container started.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct StatsSample {
    /// Unix time of the sample, milliseconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// Percent of one CPU (200 = two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: f64,
    /// Memory in use, without the page cache.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory: u64,
    /// The memory limit (the host's memory when there is none).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory_limit: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub net_rx: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub net_tx: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_read: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub block_write: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pids: u64,
    /// The pids limit; none when unlimited.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub pids_limit: Option<u64>,
}

impl Engine {
    /// Samples until the container stops or the stream is dropped. The engine's first sample
    /// takes about a second (it needs two readings for a CPU percentage).
    pub fn stats(&self, r: &ContainerRef) -> impl Stream<Item = Result<StatsSample>> + Send + 'static {
        let me = self.clone();
        self.docker
            .stats(r.as_str(), Some(StatsOptions { stream: true, one_shot: false }))
            .map(move |s| s.map(sample).map_err(|e| me.fail(e)))
    }
}

/// Maps the engine's sample (cgroup v1 or v2) to ours.
pub fn sample(s: ContainerStatsResponse) -> StatsSample {
    let cpu = s.cpu_stats.unwrap_or_default();
    let pre = s.precpu_stats.unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| c.cpu_usage.as_ref().and_then(|u| u.total_usage).unwrap_or(0);
    let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
    let sys_delta = cpu.system_cpu_usage.unwrap_or(0).saturating_sub(pre.system_cpu_usage.unwrap_or(0)) as f64;
    let cpus = cpu
        .online_cpus
        .filter(|&n| n > 0)
        .map(f64::from)
        .or_else(|| cpu.cpu_usage.as_ref().and_then(|u| u.percpu_usage.as_ref()).map(|p| p.len() as f64))
        .unwrap_or(1.0);
    let cpu_percent = if cpu_delta > 0.0 && sys_delta > 0.0 { cpu_delta / sys_delta * cpus * 100.0 } else { 0.0 };

    let mem = s.memory_stats.unwrap_or_default();
    let stat = |k: &str| mem.stats.as_ref().and_then(|m| m.get(k).copied());
    // As the docker CLI: v1 subtracts total_inactive_file, v2 inactive_file.
    let cache = stat("total_inactive_file").or_else(|| stat("inactive_file")).unwrap_or(0);
    let memory = mem.usage.unwrap_or(0).saturating_sub(cache);

    let (mut rx, mut tx) = (0, 0);
    for n in s.networks.unwrap_or_default().values() {
        rx += n.rx_bytes.unwrap_or(0);
        tx += n.tx_bytes.unwrap_or(0);
    }
    let (mut read, mut write) = (0, 0);
    for e in s.blkio_stats.and_then(|b| b.io_service_bytes_recursive).unwrap_or_default() {
        match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("read") => read += e.value.unwrap_or(0),
            Some("write") => write += e.value.unwrap_or(0),
            _ => {}
        }
    }
    let pids = s.pids_stats.unwrap_or_default();
    StatsSample {
        at: s.read.map(|d| crate::time::parse_rfc3339(&d.to_string()).unwrap_or(0) * 1000).unwrap_or(0),
        cpu_percent,
        memory,
        memory_limit: mem.limit.unwrap_or(0),
        net_rx: rx,
        net_tx: tx,
        block_read: read,
        block_write: write,
        pids: pids.current.unwrap_or(0),
        // cgroups report "max" as a huge number.
        pids_limit: pids.limit.filter(|&l| l > 0 && l < u64::from(u32::MAX)),
    }
}
