//! The TypeScript bindings of every type that crosses IPC, rendered by ts-rs.
//! `cargo test -p bulkhead-core --features ts` fails when ui/src/lib/api/bindings is stale;
//! `make bindings` rewrites it.

use crate::archive::{ChangeKind, EntryKind, FileEntry, TransferEvent};
use crate::build::{BuildEvent, BuildRequest};
use crate::compose::{
    ComposeCommand, ComposeFileView, ComposeFinding, ComposeLabels, ComposeOutput, ComposeReport, ComposeServiceView,
    ComposeTool, ProjectAction, ProjectRemovePlan, ProjectResult, ServiceReview, SourceLocation,
};
use crate::engines::{AddEngine, EngineEntry, EngineSource, EnginesView};
use crate::error::{Error, ErrorKind};
use crate::events::{EngineEvent, EventQuery, EventsEvent};
use crate::exec::ExecRequest;
use crate::files::{ContainerListing, Dropped, FileChange, FileContent};
use crate::inspect::facts::{ContainerFacts, EngineFacts, MountFact, PortFact, Probe, SocketFacts};
use crate::inspect::fleet::{ContainerReview, Fingerprint, FleetReview, ReviewRef};
use crate::inspect::harden::{Change, HardenOutcome, HardenPlan};
use crate::inspect::host::{CgroupFacts, KernelFacts, NamespaceFact, ProcStatus};
use crate::inspect::report::{AuditReport, Comparison, ContainerReport, EngineReport, ImageReport, Summary};
use crate::inspect::rules::{Finding, QuickFix, Severity};
use crate::lifecycle::{ActionResult, ContainerAction, ProcessList};
use crate::logs::{LogLine, LogOptions, LogStream};
use crate::model::*;
use crate::networks::{ConnectRequest, NetworkMember, NetworkPrunePlan, NetworkSummary, NewNetwork, Subnet};
use crate::prefs::{Density, Preferences, PrefsLoaded, Theme};
use crate::run::{FieldIssue, MountRequest, ParsedRun, PortRequest, RestartPolicy, RunCheck, RunOutcome, RunRequest};
use crate::stats::StatsSample;
use crate::volume_data::VolumeListing;
use crate::volumes::{KeyValue, NewVolume, VolumePruneMode, VolumePrunePlan, VolumeSize, VolumeSummary};
use ts_rs::{Config, TS};

fn render<T: TS + 'static + ?Sized>(cfg: &Config) -> (String, String) {
    let text = T::export_to_string(cfg).unwrap_or_else(|e| panic!("ts-rs could not render {}: {e}", T::name(cfg)));
    (format!("{}.ts", T::ident(cfg)), text)
}

/// (file name, contents) of every binding.
pub fn all() -> Vec<(String, String)> {
    let cfg = Config::new().with_large_int("number");
    vec![
        render::<ErrorKind>(&cfg),
        render::<Error>(&cfg),
        render::<ContainerState>(&cfg),
        render::<PortMapping>(&cfg),
        render::<MountSummary>(&cfg),
        render::<NetworkEndpoint>(&cfg),
        render::<ContainerSummary>(&cfg),
        render::<KeyValue>(&cfg),
        render::<VolumeSummary>(&cfg),
        render::<VolumeSize>(&cfg),
        render::<NewVolume>(&cfg),
        render::<VolumePruneMode>(&cfg),
        render::<VolumePrunePlan>(&cfg),
        render::<Subnet>(&cfg),
        render::<NetworkSummary>(&cfg),
        render::<NetworkMember>(&cfg),
        render::<NewNetwork>(&cfg),
        render::<ConnectRequest>(&cfg),
        render::<NetworkPrunePlan>(&cfg),
        render::<EntryKind>(&cfg),
        render::<FileEntry>(&cfg),
        render::<ChangeKind>(&cfg),
        render::<ContainerListing>(&cfg),
        render::<FileChange>(&cfg),
        render::<FileContent>(&cfg),
        render::<Dropped>(&cfg),
        render::<EventQuery>(&cfg),
        render::<EngineEvent>(&cfg),
        render::<EventsEvent>(&cfg),
        render::<VolumeListing>(&cfg),
        render::<TransferEvent>(&cfg),
        render::<ImageSummary>(&cfg),
        render::<ConnectionState>(&cfg),
        render::<EngineStatus>(&cfg),
        render::<EngineSource>(&cfg),
        render::<EngineEntry>(&cfg),
        render::<EnginesView>(&cfg),
        render::<AddEngine>(&cfg),
        render::<SecurityOption>(&cfg),
        render::<SystemInfo>(&cfg),
        render::<ListEvent>(&cfg),
        render::<PortRequest>(&cfg),
        render::<MountRequest>(&cfg),
        render::<RestartPolicy>(&cfg),
        render::<RunRequest>(&cfg),
        render::<FieldIssue>(&cfg),
        render::<RunCheck>(&cfg),
        render::<ParsedRun>(&cfg),
        render::<RunOutcome>(&cfg),
        render::<ContainerAction>(&cfg),
        render::<ActionResult>(&cfg),
        render::<ProcessList>(&cfg),
        render::<StatsSample>(&cfg),
        render::<StatsEvent>(&cfg),
        render::<LogOptions>(&cfg),
        render::<LogStream>(&cfg),
        render::<LogLine>(&cfg),
        render::<LogEvent>(&cfg),
        render::<SavedLog>(&cfg),
        render::<BuildRequest>(&cfg),
        render::<BuildEvent>(&cfg),
        render::<ProgressEvent>(&cfg),
        render::<PruneMode>(&cfg),
        render::<PrunePlan>(&cfg),
        render::<PruneResult>(&cfg),
        render::<ImageHistoryRow>(&cfg),
        render::<ExecRequest>(&cfg),
        render::<ExecEvent>(&cfg),
        render::<ExecOpened>(&cfg),
        render::<ShellDiagnostics>(&cfg),
        render::<Severity>(&cfg),
        render::<QuickFix>(&cfg),
        render::<Finding>(&cfg),
        render::<Probe<()>>(&cfg),
        render::<MountFact>(&cfg),
        render::<PortFact>(&cfg),
        render::<ContainerFacts>(&cfg),
        render::<SocketFacts>(&cfg),
        render::<EngineFacts>(&cfg),
        render::<CgroupFacts>(&cfg),
        render::<NamespaceFact>(&cfg),
        render::<ProcStatus>(&cfg),
        render::<KernelFacts>(&cfg),
        render::<Comparison>(&cfg),
        render::<ContainerReport>(&cfg),
        render::<ImageReport>(&cfg),
        render::<EngineReport>(&cfg),
        render::<Summary>(&cfg),
        render::<AuditReport>(&cfg),
        render::<ContainerReview>(&cfg),
        render::<Fingerprint>(&cfg),
        render::<ReviewRef>(&cfg),
        render::<FleetReview>(&cfg),
        render::<Change>(&cfg),
        render::<HardenPlan>(&cfg),
        render::<HardenOutcome>(&cfg),
        render::<ComposeLabels>(&cfg),
        render::<ProjectAction>(&cfg),
        render::<ProjectRemovePlan>(&cfg),
        render::<ProjectResult>(&cfg),
        render::<ComposeTool>(&cfg),
        render::<ComposeCommand>(&cfg),
        render::<ComposeOutput>(&cfg),
        render::<ComposeFileView>(&cfg),
        render::<ComposeServiceView>(&cfg),
        render::<SourceLocation>(&cfg),
        render::<ComposeFinding>(&cfg),
        render::<ServiceReview>(&cfg),
        render::<ComposeReport>(&cfg),
        render::<Theme>(&cfg),
        render::<Density>(&cfg),
        render::<Preferences>(&cfg),
        render::<PrefsLoaded>(&cfg),
    ]
}
