import { ApiError } from './api-errors.ts';
import { asObject, integerField, numberField, stringField, type JsonObject } from './json-body.ts';
import { isToxicTypeName, toxicTypes, type Toxic, type ToxicTypeName } from './toxics/index.ts';

export type Direction = 'upstream' | 'downstream';

/** Queue length in front of a toxic that does not ask for more, in chunks. */
export const defaultBufferSize = 4;

/** The toxic as the API shows it. Key order follows Toxiproxy's output. */
export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: ToxicTypeName;
  stream: Direction;
  toxicity: number;
}

/**
 * What every toxic shares, written once: its name, type, stream (direction),
 * toxicity and attributes, and the toxic built from them. The toxic itself
 * only knows its own attributes.
 */
export class ToxicWrapper {
  readonly name: string;
  readonly type: ToxicTypeName;
  readonly stream: Direction;
  /** Probability that a connection gets the toxic (not range-checked, as in Toxiproxy: ≥ 1 always, ≤ 0 never). */
  toxicity: number;
  attributes: Record<string, number>;
  toxic: Toxic;

  private constructor(name: string, type: ToxicTypeName, stream: Direction, toxicity: number, attributes: Record<string, number>) {
    this.name = name;
    this.type = type;
    this.stream = stream;
    this.toxicity = toxicity;
    this.attributes = attributes;
    this.toxic = toxicTypes[type].create(attributes as never);
  }

  get bufferSize(): number {
    const type = toxicTypes[this.type] as { bufferSize?: number };
    return type.bufferSize ?? defaultBufferSize;
  }

  /**
   * Builds a toxic from a create request, checking in Toxiproxy's order:
   * stream, then type, then (by the caller) the name, then the attributes.
   * `nameTaken` is asked before the attributes are read.
   */
  static fromCreate(body: unknown, nameTaken: (name: string) => boolean): ToxicWrapper {
    const input = asObject(body, 'a toxic');
    const stream = stringField(input, 'stream', 'downstream');
    const type = stringField(input, 'type', '');
    const toxicity = numberField(input, 'toxicity', 1);
    const name = stringField(input, 'name', '') || `${type}_${stream}`;
    if (stream !== 'upstream' && stream !== 'downstream') throw new ApiError('invalidStream');
    if (!isToxicTypeName(type)) throw new ApiError('invalidToxicType');
    if (nameTaken(name)) throw new ApiError('toxicAlreadyExists');
    const attributes = readAttributes(type, input.attributes, zeroAttributes(type));
    return new ToxicWrapper(name, type, stream, toxicity, attributes);
  }

  /**
   * Applies an update request: only `attributes` (merged over the current
   * ones) and `toxicity` change; a new name, type or stream is ignored, as
   * in Toxiproxy. Nothing changes if the request is invalid.
   */
  applyUpdate(body: unknown): void {
    const input = asObject(body, 'a toxic');
    const toxicity = numberField(input, 'toxicity', this.toxicity);
    const attributes = readAttributes(this.type, input.attributes, this.attributes);
    this.toxic = toxicTypes[this.type].create(attributes as never);
    this.attributes = attributes;
    this.toxicity = toxicity;
  }

  toJSON(): ToxicJson {
    return { attributes: { ...this.attributes }, name: this.name, type: this.type, stream: this.stream, toxicity: this.toxicity };
  }
}

function zeroAttributes(type: ToxicTypeName): Record<string, number> {
  return Object.fromEntries(toxicTypes[type].attributes.map((name) => [name, 0]));
}

/** The type's attributes read over `base`; unknown keys are ignored, every value must be a whole number. */
function readAttributes(type: ToxicTypeName, value: unknown, base: Record<string, number>): Record<string, number> {
  const input: JsonObject = value === undefined ? {} : asObject(value, `${type} attributes`);
  const result: Record<string, number> = {};
  for (const name of toxicTypes[type].attributes) result[name] = integerField(input, name, base[name] ?? 0);
  return result;
}
