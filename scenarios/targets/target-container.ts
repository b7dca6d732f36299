/** How the engine last saw a container (from `docker inspect`). */
export interface ContainerState {
  /** created, running, paused, restarting, exited, dead. */
  status: string;
  running: boolean;
  paused: boolean;
  /** The engine's own word that the kernel's OOM killer ended it (State.OOMKilled). */
  oomKilled: boolean;
  /** Exit code of the last run (137: SIGKILL), 0 while running. */
  exitCode: number;
  /** Limits in force now: cores (null: none) and MB (null: none). */
  cpus: number | null;
  memoryMB: number | null;
}

/** The result of a command run inside the container. */
export interface ContainerExecResult {
  exitCode: number;
  output: string;
}

/**
 * A backend in a container the harness started through the container
 * engine: what container chaos acts on. Contract: every method resolves once
 * the engine has done what it says (a start only once the backend is ready
 * again) and rejects with a message that names the container; `stop` of the
 * target removes the container, whatever state these calls left it in.
 */
export interface TargetContainer {
  /** The engine's container id. */
  readonly id: string;
  /** The container's name, for messages. */
  readonly name: string;
  /** Sends `signal` through the engine (`docker kill --signal`). */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Resolves with the state once the container has exited, or undefined after `timeoutMs`. */
  waitForExit(timeoutMs: number, signal?: AbortSignal): Promise<ContainerState | undefined>;
  /** Starts the stopped container again and waits until the backend is ready. */
  start(): Promise<void>;
  /** `docker restart`: SIGTERM, SIGKILL after `graceMs`, start; resolves once ready. */
  restart(graceMs: number): Promise<void>;
  /** Freezes every process of the container (the cgroup freezer). */
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /** Changes the limits of the running container (`docker update`); null lifts a limit. */
  update(limits: { cpus?: number | null; memoryMB?: number | null }): Promise<void>;
  inspect(): Promise<ContainerState>;
  /** Writes a file into the container's filesystem (`docker cp`), also while it is stopped. */
  putFile(path: string, content: string): Promise<void>;
  /** Runs a command inside the container (`docker exec`) and waits for it. */
  exec(command: readonly string[]): Promise<ContainerExecResult>;
}
