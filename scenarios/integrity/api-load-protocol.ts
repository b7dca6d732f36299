import type { ApiWindowName, ApiWindowResult } from '../../reports/integrity-events.ts';

/** One load window for the API load process. Plain data: it crosses IPC. */
export interface ApiLoadWindow {
  window: ApiWindowName;
  /** The backend's HTTP API, e.g. http://127.0.0.1:4000. */
  apiBaseUrl: string;
  /** GETs go to /devices/<id> of a random device among this many. */
  devices: number;
  seed: string | number;
  connections: number;
  /** Real ms the load runs. */
  durationMs: number;
  /** Real ms a request may take before autocannon counts a timeout. */
  timeoutMs: number;
}

export type ParentToApiLoad = { type: 'run'; load: ApiLoadWindow } | { type: 'exit' };

/** `result` without the scenario times (the parent knows them). */
export type ApiLoadResult = Omit<ApiWindowResult, 'startMs' | 'endMs'>;

export type ApiLoadToParent =
  | { type: 'ready' }
  | { type: 'result'; window: ApiWindowName; result: ApiLoadResult }
  | { type: 'failed'; window: ApiWindowName; error: string };
