// The only module that talks to Tauri. Everything else imports typed calls from here.
import { invoke, Channel } from '@tauri-apps/api/core';
import { neutralise, neutraliseDeep } from '../text';
import type { ErrorKind } from './bindings/ErrorKind';
import type { EngineStatus } from './bindings/EngineStatus';
import type { ListEvent } from './bindings/ListEvent';
import type { SystemInfo } from './bindings/SystemInfo';
import type { RunRequest } from './bindings/RunRequest';
import type { RunCheck } from './bindings/RunCheck';
import type { ParsedRun } from './bindings/ParsedRun';
import type { RunOutcome } from './bindings/RunOutcome';
import type { ContainerAction } from './bindings/ContainerAction';
import type { ActionResult } from './bindings/ActionResult';
import type { ProcessList } from './bindings/ProcessList';
import type { StatsEvent } from './bindings/StatsEvent';
import type { LogOptions } from './bindings/LogOptions';
import type { LogEvent } from './bindings/LogEvent';
import type { SavedLog } from './bindings/SavedLog';
import type { BuildRequest } from './bindings/BuildRequest';
import type { BuildEvent } from './bindings/BuildEvent';
import type { ProgressEvent } from './bindings/ProgressEvent';
import type { PruneMode } from './bindings/PruneMode';
import type { PrunePlan } from './bindings/PrunePlan';
import type { PruneResult } from './bindings/PruneResult';
import type { ImageHistoryRow } from './bindings/ImageHistoryRow';
import type { ExecRequest } from './bindings/ExecRequest';
import type { ExecEvent } from './bindings/ExecEvent';
import type { ExecOpened } from './bindings/ExecOpened';
import type { ShellDiagnostics } from './bindings/ShellDiagnostics';
import type { FleetReview } from './bindings/FleetReview';
import type { ContainerReport } from './bindings/ContainerReport';
import type { QuickFix } from './bindings/QuickFix';
import type { HardenPlan } from './bindings/HardenPlan';
import type { HardenOutcome } from './bindings/HardenOutcome';
import type { EnginesView } from './bindings/EnginesView';
import type { EngineEntry } from './bindings/EngineEntry';
import type { AddEngine } from './bindings/AddEngine';
import type { NewVolume } from './bindings/NewVolume';
import type { VolumeSummary } from './bindings/VolumeSummary';
import type { VolumeSize } from './bindings/VolumeSize';
import type { VolumePruneMode } from './bindings/VolumePruneMode';
import type { VolumePrunePlan } from './bindings/VolumePrunePlan';
import type { NewNetwork } from './bindings/NewNetwork';
import type { NetworkSummary } from './bindings/NetworkSummary';
import type { NetworkMember } from './bindings/NetworkMember';
import type { NetworkPrunePlan } from './bindings/NetworkPrunePlan';
import type { ConnectRequest } from './bindings/ConnectRequest';
import type { VolumeListing } from './bindings/VolumeListing';
import type { ContainerListing } from './bindings/ContainerListing';
import type { FileChange } from './bindings/FileChange';
import type { FileContent } from './bindings/FileContent';
import type { Dropped } from './bindings/Dropped';
import type { EventQuery } from './bindings/EventQuery';
import type { EventsEvent } from './bindings/EventsEvent';
import type { TransferEvent } from './bindings/TransferEvent';
import type { ProjectAction } from './bindings/ProjectAction';
import type { ProjectResult } from './bindings/ProjectResult';
import type { ProjectRemovePlan } from './bindings/ProjectRemovePlan';
import type { ComposeTool } from './bindings/ComposeTool';
import type { ComposeReport } from './bindings/ComposeReport';
import type { ComposeCommand } from './bindings/ComposeCommand';
import type { ComposeOutput } from './bindings/ComposeOutput';
import type { Preferences } from './bindings/Preferences';
import type { PrefsLoaded } from './bindings/PrefsLoaded';

export type { ErrorKind } from './bindings/ErrorKind';
export type { Preferences } from './bindings/Preferences';
export type { PrefsLoaded } from './bindings/PrefsLoaded';
export type { Theme } from './bindings/Theme';
export type { Density } from './bindings/Density';
export type { EngineStatus } from './bindings/EngineStatus';
export type { ListEvent } from './bindings/ListEvent';
export type { SystemInfo } from './bindings/SystemInfo';
export type { ContainerSummary } from './bindings/ContainerSummary';
export type { ImageSummary } from './bindings/ImageSummary';
export type { PortMapping } from './bindings/PortMapping';
export type { ContainerState } from './bindings/ContainerState';
export type { SecurityOption } from './bindings/SecurityOption';
export type { RunRequest } from './bindings/RunRequest';
export type { PortRequest } from './bindings/PortRequest';
export type { MountRequest } from './bindings/MountRequest';
export type { RestartPolicy } from './bindings/RestartPolicy';
export type { RunCheck } from './bindings/RunCheck';
export type { FieldIssue } from './bindings/FieldIssue';
export type { ParsedRun } from './bindings/ParsedRun';
export type { RunOutcome } from './bindings/RunOutcome';
export type { ContainerAction } from './bindings/ContainerAction';
export type { ActionResult } from './bindings/ActionResult';
export type { ProcessList } from './bindings/ProcessList';
export type { StatsSample } from './bindings/StatsSample';
export type { StatsEvent } from './bindings/StatsEvent';
export type { LogOptions } from './bindings/LogOptions';
export type { LogLine } from './bindings/LogLine';
export type { LogStream } from './bindings/LogStream';
export type { LogEvent } from './bindings/LogEvent';
export type { SavedLog } from './bindings/SavedLog';
export type { BuildRequest } from './bindings/BuildRequest';
export type { BuildEvent } from './bindings/BuildEvent';
export type { ProgressEvent } from './bindings/ProgressEvent';
export type { PruneMode } from './bindings/PruneMode';
export type { PrunePlan } from './bindings/PrunePlan';
export type { PruneResult } from './bindings/PruneResult';
export type { ImageHistoryRow } from './bindings/ImageHistoryRow';
export type { ExecRequest } from './bindings/ExecRequest';
export type { ExecEvent } from './bindings/ExecEvent';
export type { ExecOpened } from './bindings/ExecOpened';
export type { ShellDiagnostics } from './bindings/ShellDiagnostics';
export type { AuditReport } from './bindings/AuditReport';
export type { FleetReview } from './bindings/FleetReview';
export type { ContainerReview } from './bindings/ContainerReview';
export type { ContainerReport } from './bindings/ContainerReport';
export type { EngineReport } from './bindings/EngineReport';
export type { ImageReport } from './bindings/ImageReport';
export type { Finding } from './bindings/Finding';
export type { Severity } from './bindings/Severity';
export type { QuickFix } from './bindings/QuickFix';
export type { HardenPlan } from './bindings/HardenPlan';
export type { HardenOutcome } from './bindings/HardenOutcome';
export type { Change } from './bindings/Change';
export type { Comparison } from './bindings/Comparison';
export type { KernelFacts } from './bindings/KernelFacts';
export type { CgroupFacts } from './bindings/CgroupFacts';
export type { NamespaceFact } from './bindings/NamespaceFact';
export type { Probe } from './bindings/Probe';
export type { EngineFacts } from './bindings/EngineFacts';
export type { EnginesView } from './bindings/EnginesView';
export type { EngineEntry } from './bindings/EngineEntry';
export type { EngineSource } from './bindings/EngineSource';
export type { AddEngine } from './bindings/AddEngine';
export type { MountSummary } from './bindings/MountSummary';
export type { NetworkEndpoint } from './bindings/NetworkEndpoint';
export type { KeyValue } from './bindings/KeyValue';
export type { NewVolume } from './bindings/NewVolume';
export type { VolumeSummary } from './bindings/VolumeSummary';
export type { VolumeSize } from './bindings/VolumeSize';
export type { VolumePruneMode } from './bindings/VolumePruneMode';
export type { VolumePrunePlan } from './bindings/VolumePrunePlan';
export type { NewNetwork } from './bindings/NewNetwork';
export type { NetworkSummary } from './bindings/NetworkSummary';
export type { NetworkMember } from './bindings/NetworkMember';
export type { NetworkPrunePlan } from './bindings/NetworkPrunePlan';
export type { ConnectRequest } from './bindings/ConnectRequest';
export type { Subnet } from './bindings/Subnet';
export type { VolumeListing } from './bindings/VolumeListing';
export type { FileEntry } from './bindings/FileEntry';
export type { ChangeKind } from './bindings/ChangeKind';
export type { ContainerListing } from './bindings/ContainerListing';
export type { FileChange } from './bindings/FileChange';
export type { FileContent } from './bindings/FileContent';
export type { Dropped } from './bindings/Dropped';
export type { EventQuery } from './bindings/EventQuery';
export type { EngineEvent } from './bindings/EngineEvent';
export type { EventsEvent } from './bindings/EventsEvent';
export type { EntryKind } from './bindings/EntryKind';
export type { TransferEvent } from './bindings/TransferEvent';
export type { ComposeLabels } from './bindings/ComposeLabels';
export type { ProjectAction } from './bindings/ProjectAction';
export type { ProjectResult } from './bindings/ProjectResult';
export type { ProjectRemovePlan } from './bindings/ProjectRemovePlan';
export type { ComposeTool } from './bindings/ComposeTool';
export type { ComposeReport } from './bindings/ComposeReport';
export type { ComposeFileView } from './bindings/ComposeFileView';
export type { ComposeServiceView } from './bindings/ComposeServiceView';
export type { ComposeFinding } from './bindings/ComposeFinding';
export type { ServiceReview } from './bindings/ServiceReview';
export type { SourceLocation } from './bindings/SourceLocation';
export type { ComposeCommand } from './bindings/ComposeCommand';
export type { ComposeOutput } from './bindings/ComposeOutput';

/** An error from the backend: branch on `kind`, show `message`. */
export class AppError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = 'AppError';
  }
}

/** Turns whatever a rejected invoke gave us into an AppError. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const { kind, message } = e as { kind: unknown; message: unknown };
    if (typeof kind === 'string' && typeof message === 'string') return new AppError(kind as ErrorKind, neutralise(message));
  }
  return new AppError('internal', neutralise(e instanceof Error ? e.message : String(e)));
}

/**
 * Results that only echo what the user typed (the Run form's own fields, read back or checked)
 * come back as they are: neutralising them would change the user's data. Everything else the
 * backend hands over holds engine or container text and is neutralised (lib/text).
 */
const USER_TEXT = new Set(['run_parse', 'run_check']);

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  let result: T;
  try {
    result = await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
  return USER_TEXT.has(cmd) ? result : neutraliseDeep(result);
}

/** A file's start for the viewer: every field neutralised but the text, which the viewer shows itself. */
async function callFile(cmd: string, args: Record<string, unknown>): Promise<FileContent> {
  let result: FileContent;
  try {
    result = await invoke<FileContent>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
  return { ...neutraliseDeep({ ...result, text: null }), text: result.text };
}

/** What the user typed as a path in a container, as the backend reads it (percent-encoded). */
export function encodePath(typed: string): string {
  const p = typed.trim();
  return (p.startsWith('/') ? p : `/${p}`).split('/').map(encodeURIComponent).join('/');
}

/**
 * A channel whose events reach `onEvent` neutralised; `raw` for terminal bytes and for log
 * lines, which the caller treats itself.
 */
function channel<T>(onEvent: (e: T) => void, raw = false): Channel<T> {
  const c = new Channel<T>();
  c.onmessage = raw ? onEvent : (e) => onEvent(neutraliseDeep(e));
  return c;
}

export const api = {
  engineStatus: () => call<EngineStatus>('engine_status'),
  retryConnect: () => call<void>('retry_connect'),
  /** A snapshot, then every change, until `unwatchLists` or the window goes. */
  watchLists: (onEvent: (e: ListEvent) => void) => {
    return call<void>('watch_lists', { onEvent: channel(onEvent) });
  },
  unwatchLists: () => call<boolean>('unwatch_lists'),
  diagnostics: () => call<ShellDiagnostics>('diagnostics'),
  /** Every engine of the switcher, and which one is in use. */
  enginesList: () => call<EnginesView>('engines_list'),
  /** Makes `id` the engine in use; then `watchLists` streams its lists. */
  engineSwitch: (id: string, confirmed: boolean) => call<EngineStatus>('engine_switch', { id, confirmed }),
  engineAdd: (engine: AddEngine) => call<EngineEntry>('engine_add', { engine }),
  engineRemove: (id: string) => call<void>('engine_remove', { id }),
  systemInfo: () => call<SystemInfo>('system_info'),
  containerInspect: (id: string) => call<unknown>('container_inspect', { id }),
  imageInspect: (reference: string) => call<unknown>('image_inspect', { reference }),

  runCheck: (request: RunRequest) => call<RunCheck>('run_check', { request }),
  runParse: (line: string) => call<ParsedRun>('run_parse', { line }),
  runContainer: (request: RunRequest) => call<RunOutcome>('run_container', { request }),
  containersAct: (ids: string[], action: ContainerAction) => call<ActionResult[]>('containers_act', { ids, action }),
  containerRename: (id: string, name: string) => call<void>('container_rename', { id, name }),
  containerTop: (id: string) => call<ProcessList>('container_top', { id }),
  /** Starts a stream; returns its id for `streamStop`. */
  containerStats: (id: string, onEvent: (e: StatsEvent) => void) => {
    return call<number>('container_stats', { id, onEvent: channel(onEvent) });
  },
  containerLogs: (id: string, options: LogOptions, onEvent: (e: LogEvent) => void) => {
    // A line's text stays raw for lib/ansi (which reads its colours, then neutralises it).
    const lines = (e: LogEvent): LogEvent =>
      e.event === 'lines' ? { event: 'lines', data: e.data.map((l) => ({ ...l, ts: l.ts === null ? null : neutralise(l.ts) })) } : neutraliseDeep(e);
    return call<number>('container_logs', { id, options, onEvent: channel((e: LogEvent) => onEvent(lines(e)), true) });
  },
  streamStop: (id: number) => call<boolean>('stream_stop', { id }),
  /** Every container of a Compose project's log, interleaved in time order, tagged by service. */
  projectLogs: (project: string, options: LogOptions, onEvent: (e: LogEvent) => void) => {
    const lines = (e: LogEvent): LogEvent =>
      e.event === 'lines'
        ? { event: 'lines', data: e.data.map((l) => ({ ...l, ts: l.ts === null ? null : neutralise(l.ts), source: l.source === null ? null : neutralise(l.source) })) }
        : neutraliseDeep(e);
    return call<number>('project_logs', { project, options, onEvent: channel((e: LogEvent) => onEvent(lines(e)), true) });
  },
  /** Start, stop, restart, pause or unpause every container of a Compose project (Engine API). */
  projectAct: (project: string, action: ProjectAction) => call<ProjectResult>('project_act', { project, action }),
  projectRemovePlan: (project: string) => call<ProjectRemovePlan>('project_remove_plan', { project }),
  /** Its containers and Compose-made networks; its volumes only when `volumes`. */
  projectRemove: (project: string, volumes: boolean) => call<ProjectResult>('project_remove', { project, volumes }),
  /** The user's Compose (`docker compose` or `docker-compose`), or null when neither is installed. */
  composeTool: () => call<ComposeTool | null>('compose_tool'),
  /** A native file chooser, then the file read and reviewed; null when cancelled. */
  composeOpen: () => call<ComposeReport | null>('compose_open'),
  /** Reads and reviews a compose file named by a project's labels. */
  composeReview: (path: string) => call<ComposeReport>('compose_review', { path }),
  /** Runs the user's Compose on the file against the engine in use; Cancel with streamStop. */
  composeRun: (path: string, project: string, command: ComposeCommand, onEvent: (e: ComposeOutput) => void) =>
    call<number>('compose_run', { path, project, command, onEvent: channel(onEvent) }),
  logsSave: (id: string, options: LogOptions) => call<SavedLog | null>('logs_save', { id, options }),
  openPort: (port: number) => call<void>('open_port', { port }),

  imageHistory: (reference: string) => call<ImageHistoryRow[]>('image_history', { reference }),
  imageBuild: (request: BuildRequest, onEvent: (e: BuildEvent) => void) => {
    return call<number>('image_build', { request, onEvent: channel(onEvent) });
  },
  imagePull: (reference: string, onEvent: (e: ProgressEvent) => void) => {
    return call<number>('image_pull', { reference, onEvent: channel(onEvent) });
  },
  imagePush: (reference: string, onEvent: (e: ProgressEvent) => void) => {
    return call<number>('image_push', { reference, onEvent: channel(onEvent) });
  },
  imageTag: (source: string, target: string) => call<void>('image_tag', { source, target }),
  imageRemove: (reference: string, force: boolean) => call<string[]>('image_remove', { reference, force }),
  imagePrunePlan: (mode: PruneMode) => call<PrunePlan>('image_prune_plan', { mode }),
  imagePrune: (ids: string[]) => call<PruneResult>('image_prune', { ids }),
  pickFolder: () => call<string | null>('pick_folder'),

  volumeInspect: (name: string) => call<unknown>('volume_inspect', { name }),
  volumeCreate: (volume: NewVolume) => call<VolumeSummary>('volume_create', { volume }),
  /** Refused (conflict) while a container, running or not, uses it. */
  volumeRemove: (name: string) => call<void>('volume_remove', { name }),
  /** Every volume's size: the engine walks their files (slow on big hosts). */
  volumeSizes: () => call<VolumeSize[]>('volume_sizes'),
  volumePrunePlan: (mode: VolumePruneMode) => call<VolumePrunePlan>('volume_prune_plan', { mode }),
  volumePrune: (names: string[]) => call<PruneResult>('volume_prune', { names }),
  /** One folder of a volume ('' is its root), read-only. */
  volumeBrowse: (name: string, path: string) => call<VolumeListing>('volume_browse', { name, path }),
  /** Asks where (native dialog), then streams; `null` when the user cancelled the dialog. */
  volumeSave: (name: string, path: string, onEvent: (e: TransferEvent) => void) => call<number | null>('volume_save', { name, path, onEvent: channel(onEvent) }),
  /** Asks for a .tar.gz (native dialog), then streams it into the empty volume. */
  volumeImport: (name: string, onEvent: (e: TransferEvent) => void) => call<number | null>('volume_import', { name, onEvent: channel(onEvent) }),

  // A container's files. `path` is an entry's `id` (its real path, percent-encoded) or what
  // the user typed, through `encodePath`.
  /** One folder, marked with what the container changed since its image. */
  filesBrowse: (id: string, path: string) => call<ContainerListing>('files_browse', { id, path }),
  /** What the container changed since its image (docker diff). */
  filesChanges: (id: string) => call<FileChange[]>('files_changes', { id }),
  /** The start of a file: its text stays as the file holds it (the viewer shows it through `neutraliseText`). */
  filesRead: (id: string, path: string) => callFile('files_read', { id, path }),
  /** Asks where (native dialog), then streams a file as itself or a folder as .tar.gz. */
  filesSave: (id: string, path: string, onEvent: (e: TransferEvent) => void) => call<number | null>('files_save', { id, path, onEvent: channel(onEvent) }),
  /** Asks for files to upload (native chooser); the backend keeps their paths. Null when cancelled. */
  filesPick: () => call<Dropped | null>('files_pick'),
  /** Which names of drop/pick `seq` already exist in the folder `path`. */
  filesConflicts: (id: string, path: string, seq: number) => call<string[]>('files_conflicts', { id, path, seq }),
  /** Uploads drop/pick `seq` (the backend recorded its paths) into the folder `path`. */
  filesUpload: (id: string, path: string, seq: number, overwrite: boolean, onEvent: (e: TransferEvent) => void) => call<number>('files_upload', { id, path, seq, overwrite, onEvent: channel(onEvent) }),
  /** Every drop of files on the window: its number and names. */
  watchDrops: (onEvent: (e: Dropped) => void) => call<number>('watch_drops', { onEvent: channel(onEvent) }),
  /** Saves an edited text file if it is still what was opened (`sha256`). */
  filesWrite: (id: string, path: string, text: string, sha256: string) => callFile('files_write', { id, path, text, sha256 }),

  /** The engine's events: history from `since`, then live unless `until`. */
  eventsWatch: (query: EventQuery, onEvent: (e: EventsEvent) => void) => call<number>('events_watch', { query, onEvent: channel(onEvent) }),
  networkInspect: (id: string) => call<unknown>('network_inspect', { id }),
  networkMembers: (id: string) => call<NetworkMember[]>('network_members', { id }),
  networkCreate: (network: NewNetwork) => call<NetworkSummary>('network_create', { network }),
  networkRemove: (id: string) => call<void>('network_remove', { id }),
  networkPrunePlan: () => call<NetworkPrunePlan>('network_prune_plan'),
  networkPrune: (ids: string[]) => call<PruneResult>('network_prune', { ids }),
  networkConnect: (id: string, container: string, request: ConnectRequest) => call<void>('network_connect', { id, container, request }),
  networkDisconnect: (id: string, container: string) => call<void>('network_disconnect', { id, container }),
  /** A native file chooser for a TLS file of "Add an engine…"; `null` when cancelled. */
  pickFile: (what: 'ca' | 'cert' | 'key') => call<string | null>('pick_file', { what }),

  /** Opens a terminal; output arrives as raw bytes (ArrayBuffer), the exit as an event. */
  execOpen: (container: string, request: ExecRequest, onData: (bytes: ArrayBuffer) => void, onEvent: (e: ExecEvent) => void) => {
    return call<ExecOpened>('exec_open', { container, request, onData: channel(onData, true), onEvent: channel(onEvent) });
  },
  execInput: (session: number, data: string) => call<void>('exec_input', { session, data }),
  execResize: (session: number, cols: number, rows: number) => call<void>('exec_resize', { session, cols, rows }),
  execAck: (session: number, bytes: number) => call<void>('exec_ack', { session, bytes }),
  execClose: (session: number) => call<boolean>('exec_close', { session }),
  /** The whole security review: engine and host, every container, their images. */
  /** The whole review; of the containers' reviews only those whose fingerprints are not in
   * `held` (what the window already has) come back, with the order of all. */
  securityAudit: (held: string[]) => call<FleetReview>('security_audit', { held }),
  securityReview: (container: string) => call<ContainerReport>('security_review', { container }),
  /** Applies a one-click limit; the review comes back re-read from the kernel. */
  securityFix: (container: string, fix: QuickFix) => call<ContainerReport>('security_fix', { container, fix }),
  securityHardenPlan: (container: string) => call<HardenPlan>('security_harden_plan', { container }),
  /** Recreates the container hardened; on failure the original is back as it was. */
  securityHarden: (container: string) => call<HardenOutcome>('security_harden', { container }),
  /** Opens an https URL in the user's browser (after the UI asked them). */
  openUrl: (url: string) => call<void>('open_url', { url }),
  prefsGet: () => call<PrefsLoaded>('prefs_get'),
  prefsSet: (prefs: Preferences) => call<Preferences>('prefs_set', { prefs }),
};
