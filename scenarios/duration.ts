import ms from 'ms';

/**
 * Parses a duration written as milliseconds (a number) or as text such as
 * "250ms", "90s", "6m", "1.5h", or a sum of those ("3m30s", "1h 2m").
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  // `ms` reads a bare number as milliseconds; require a unit on every part so
  // that "60" is not silently taken as 60 ms when 60 s was meant.
  if (!/^(\d+(\.\d+)?\s*[a-z]+\s*)+$/i.test(text)) return undefined;
  let total = 0;
  for (const [part] of text.matchAll(/\d+(\.\d+)?\s*[a-z]+/gi)) {
    const parsed = ms(part as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) return undefined;
    total += parsed;
  }
  return total;
}

/** Formats milliseconds for people: 950ms, 42.5s, 6m, 6m30s, 1h2m. */
export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds)) return String(milliseconds);
  const sign = milliseconds < 0 ? '-' : '';
  const abs = Math.abs(milliseconds);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${+(abs / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(abs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${sign}${hours}h${minutes > 0 ? `${minutes}m` : ''}`;
  return `${sign}${minutes}m${seconds > 0 ? `${seconds}s` : ''}`;
}
