// The only module that talks to Tauri. Everything else imports typed calls from here.
import { invoke, Channel } from '@tauri-apps/api/core';
import type { ErrorKind } from './bindings/ErrorKind';
import type { EngineStatus } from './bindings/EngineStatus';
import type { ListEvent } from './bindings/ListEvent';
import type { SystemInfo } from './bindings/SystemInfo';

export type { ErrorKind } from './bindings/ErrorKind';
export type { EngineStatus } from './bindings/EngineStatus';
export type { ListEvent } from './bindings/ListEvent';
export type { SystemInfo } from './bindings/SystemInfo';
export type { ContainerSummary } from './bindings/ContainerSummary';
export type { ImageSummary } from './bindings/ImageSummary';
export type { PortMapping } from './bindings/PortMapping';
export type { ContainerState } from './bindings/ContainerState';
export type { SecurityOption } from './bindings/SecurityOption';

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
    if (typeof kind === 'string' && typeof message === 'string') return new AppError(kind as ErrorKind, message);
  }
  return new AppError('internal', e instanceof Error ? e.message : String(e));
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const api = {
  engineStatus: () => call<EngineStatus>('engine_status'),
  retryConnect: () => call<void>('retry_connect'),
  /** A snapshot, then every change, until `unwatchLists` or the window goes. */
  watchLists: (onEvent: (e: ListEvent) => void) => {
    const channel = new Channel<ListEvent>();
    channel.onmessage = onEvent;
    return call<void>('watch_lists', { onEvent: channel });
  },
  unwatchLists: () => call<boolean>('unwatch_lists'),
  systemInfo: () => call<SystemInfo>('system_info'),
  containerInspect: (id: string) => call<unknown>('container_inspect', { id }),
  imageInspect: (reference: string) => call<unknown>('image_inspect', { reference }),
};
