/**
 * The API's named errors, with the messages and HTTP statuses of Toxiproxy
 * 2.x (api.go), so that clients matching on either see the same thing.
 */
export const apiErrorKinds = {
  badRequestBody: { message: 'bad request body', status: 400 },
  missingField: { message: 'missing required field', status: 400 },
  proxyNotFound: { message: 'proxy not found', status: 404 },
  proxyAlreadyExists: { message: 'proxy already exists', status: 409 },
  invalidStream: { message: 'stream was invalid, can be either upstream or downstream', status: 400 },
  invalidToxicType: { message: 'invalid toxic type', status: 400 },
  toxicAlreadyExists: { message: 'toxic already exists', status: 409 },
  toxicNotFound: { message: 'toxic not found', status: 404 },
  /** Not in Toxiproxy: the embedded server keeps proxies on loopback unless started with --allow-remote. */
  listenNotAllowed: { message: 'listen address not allowed', status: 403 },
} as const;

export type ApiErrorKind = keyof typeof apiErrorKinds;

/** An error the API reports with its own status; `detail` is appended as "message: detail". */
export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number;

  constructor(kind: ApiErrorKind, detail?: string) {
    const { message, status } = apiErrorKinds[kind];
    super(detail === undefined ? message : `${message}: ${detail}`);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
  }
}

/** The JSON error body, `{"error": ..., "status": ...}`; anything not an ApiError is a 500, as in Toxiproxy. */
export function errorBody(error: unknown): { error: string; status: number } {
  if (error instanceof ApiError) return { error: error.message, status: error.status };
  return { error: error instanceof Error ? error.message : String(error), status: 500 };
}
