import ms from 'ms';

/**
 * Parses a duration written as milliseconds (a number) or as text such as
 * "250ms", "90s", "6m", "1.5h". Returns milliseconds, or undefined when the
 * text is not a duration.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const trimmed = value.trim();
  // `ms` reads a bare number as milliseconds; require a unit in text so that
  // "60" is not silently taken as 60 ms when 60 s was meant.
  if (!/^\d+(\.\d+)?\s*[a-z]+$/i.test(trimmed)) return undefined;
  const parsed = ms(trimmed as ms.StringValue);
  return typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
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
