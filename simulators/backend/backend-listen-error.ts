// Its own file so the supervisor can use it without loading the hub, ws and sqlite.

/** Listening failed: the address is taken, not local, or not permitted. */
export class BackendListenError extends Error {
  readonly code = 'BACKEND_LISTEN_FAILED';
  /** The system error code, e.g. EADDRINUSE. */
  readonly systemCode: string | undefined;
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super(`cannot listen on ${host}:${port}: ${cause.code ?? cause.message}; pick another --port or --host`, { cause });
    this.name = 'BackendListenError';
    this.systemCode = cause.code;
  }
}
