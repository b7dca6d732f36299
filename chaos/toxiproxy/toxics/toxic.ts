import type { ToxicStub } from '../toxic-stub.ts';

/**
 * One toxic as it runs on a link. Contract of `pipe`: move chunks from the
 * stub's input to its output, changing them as the toxic does; when the input
 * ends (`null`), close the stub (or let `pipe` return, which closes it); when
 * interrupted, return at once and hand on, or put back, every chunk it took.
 */
export interface Toxic {
  pipe(stub: ToxicStub): Promise<void>;
  /**
   * Called when the toxic is removed from a live link, before the link is
   * rewired. It may close the stub, which then closes the connection.
   */
  cleanup?(stub: ToxicStub): void;
  /** Per-connection state, made once when the toxic joins a link and kept across updates. */
  newState?(): unknown;
}

/**
 * A toxic type as the API knows it: its attributes (integers, 0 when left
 * out, listed in the order the API prints them) and how to build the toxic.
 */
export interface ToxicType<Name extends string = string> {
  readonly attributes: readonly Name[];
  /** Chunks that may queue in front of the toxic (latency holds many in flight). */
  readonly bufferSize?: number;
  create(attributes: Readonly<Record<Name, number>>): Toxic;
}

/** Declares a toxic type with its attribute names checked against `create`. */
export function defineToxicType<const Name extends string>(type: ToxicType<Name>): ToxicType<Name> {
  return type;
}
