import { z } from 'zod';

const units: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/**
 * Parses a memory size as docker writes it ("512m", "2g", "1.5G", "262144k",
 * optionally with a trailing "b") or a number of MB. Returns whole MB
 * (rounded up), or undefined when it is not a size.
 */
export function parseMemorySize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])b?\s*$/i.exec(value);
  if (!match) return undefined;
  const mb = Number(match[1]) * units[match[2].toLowerCase()];
  return mb > 0 ? Math.ceil(mb) : undefined;
}

/** A memory size in MB, written as MB or as docker writes it ("512m", "2g"). */
export const memorySizeMB = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseMemorySize(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a memory size: write MB as a number, or text such as "512m" or "2g"` });
    return z.NEVER;
  }
  return parsed;
});
