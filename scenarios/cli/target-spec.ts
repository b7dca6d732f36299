import { existsSync, readFileSync } from 'node:fs';
import { AftershockError } from '../errors.ts';
import { parseMemorySize } from '../schema/memory-size-schema.ts';
import { referenceImageName } from '../targets/container/reference-image.ts';

/** Keys of the `container:KEY=VALUE,...` shorthand, each with how its value is read. */
const shorthandKeys = {
  /** CPU limit in cores. */
  cpus: (text: string): number | undefined => {
    const value = Number(text);
    return /^\s*$/.test(text) || !Number.isFinite(value) || value <= 0 ? undefined : value;
  },
  /** Memory limit as docker writes it ("512m", "2g") or MB as a number; the schema turns it into MB. */
  memory: (text: string): string | number | undefined => {
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text) > 0 ? Number(text) : undefined;
    return parseMemorySize(text) === undefined ? undefined : text;
  },
  /** Another image than the reference backend's. */
  image: (text: string): string | undefined => text,
  /** The port the image listens on (another image cannot be told a free port). */
  port: (text: string): number | undefined => (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : undefined),
} as const;

type ShorthandKey = keyof typeof shorthandKeys;

const expected: Record<ShorthandKey, string> = {
  cpus: 'a number of cores greater than 0, such as 0.5 or 2',
  memory: 'a size such as 512m or 2g, or MB as a number',
  image: 'an image name',
  port: 'a port from 1 to 65535',
};

const keyList = Object.keys(shorthandKeys).join(', ');

/** True for text in the shorthand's form: `container` or `container:...`. */
export function isContainerShorthand(text: string): boolean {
  return /^container(:|$)/.test(text.trim());
}

/**
 * The one-line form of a container target: `container:cpus=0.5,memory=512m`
 * is `{"kind":"container","cpus":0.5,"memory":"512m"}` (the reference image
 * with those limits); `image=NAME,port=N` runs another image. Every key at
 * most once; a bad key or value is refused naming it (exit 2). The result
 * still goes through the scenario schema, which checks the limits' ranges.
 */
export function parseContainerShorthand(flag: string, text: string): Record<string, unknown> {
  const trimmed = text.trim();
  const body = trimmed.slice('container'.length).replace(/^:/, '');
  const target: Record<string, unknown> = { kind: 'container' };
  const refuse = (problem: string): never => {
    throw new AftershockError('bad-flag', `${flag} ${trimmed}: ${problem}; valid keys: ${keyList} (e.g. container:cpus=0.5,memory=512m)`);
  };
  if (body === '') return target;
  for (const item of body.split(',')) {
    const equals = item.indexOf('=');
    const key = (equals < 0 ? item : item.slice(0, equals)).trim();
    const value = equals < 0 ? '' : item.slice(equals + 1).trim();
    if (key === '') refuse(`"${item}" has no key; write KEY=VALUE, separated by commas`);
    if (!Object.hasOwn(shorthandKeys, key)) refuse(`unknown key "${key}"`);
    const name = key as ShorthandKey;
    if (Object.hasOwn(target, name)) refuse(`${name} is given twice; give each key once`);
    if (value === '') refuse(`${name} has no value; write ${name}=VALUE (${expected[name]})`);
    const parsed = shorthandKeys[name](value);
    if (parsed === undefined) refuse(`${name} must be ${expected[name]}, got "${value}"`);
    target[name] = parsed;
  }
  if (target.image !== undefined && target.image !== referenceImageName && target.port === undefined) {
    refuse(`image=${String(target.image)} needs port=N, the port that image listens on (for env, command or readyPath give the target as JSON)`);
  }
  return target;
}

/** A target from the container shorthand, JSON text or a JSON file. */
export function readTargetSpec(flag: string, text: string): unknown {
  if (isContainerShorthand(text)) return parseContainerShorthand(flag, text);
  const trimmed = text.trim();
  const json = trimmed.startsWith('{') ? trimmed : existsSync(trimmed) ? readFileSync(trimmed, 'utf8') : undefined;
  if (json === undefined) {
    throw new AftershockError(
      'bad-flag',
      `${flag} must be container:KEY=VALUE,... (keys: ${keyList}), a target as JSON ('{"kind":"container","cpus":0.5}') or a JSON file; "${text}" is none of these`,
    );
  }
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw new AftershockError('bad-flag', `${flag} is not valid JSON: ${(error as Error).message}`);
  }
}
