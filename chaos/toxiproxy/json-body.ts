import { ApiError } from './api-errors.ts';

/**
 * Reading request bodies the way Go's encoding/json fills a struct: unknown
 * keys are ignored, `null` or a missing key keeps the default, a value of
 * the wrong type is a 400 "bad request body: ...".
 */
export type JsonObject = Record<string, unknown>;

/** Parses a body; an empty one is "bad request body: EOF", as Go reports it. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') throw new ApiError('badRequestBody', 'EOF');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError('badRequestBody', (error as Error).message);
  }
}

/** The body as an object; `null` is an empty object (Go leaves the struct as it was). */
export function asObject(value: unknown, what: string): JsonObject {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError('badRequestBody', `cannot read ${Array.isArray(value) ? 'an array' : typeof value} as ${what}`);
  }
  return value as JsonObject;
}

export function stringField(body: JsonObject, key: string, fallback: string): string {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new ApiError('badRequestBody', `field "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

export function booleanField(body: JsonObject, key: string, fallback: boolean): boolean {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new ApiError('badRequestBody', `field "${key}" must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

export function numberField(body: JsonObject, key: string, fallback: number): number {
  const value = body[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number') throw new ApiError('badRequestBody', `field "${key}" must be a number, got ${JSON.stringify(value)}`);
  return value;
}

/** A whole number, as Go's int64 attribute fields take (1.5 is an error there too). */
export function integerField(body: JsonObject, key: string, fallback: number): number {
  const value = numberField(body, key, fallback);
  if (!Number.isSafeInteger(value)) throw new ApiError('badRequestBody', `field "${key}" must be a whole number, got ${value}`);
  return value;
}
