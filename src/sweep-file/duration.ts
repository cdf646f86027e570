/** Durations as a sweep file and `--max-time` give them: seconds (3600), or 90m, 8h, 1h30m, 2d, 45s. */
const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };

/**
 * The durations a budget may have: at least a second (less would let no trial start: surely a slip), at
 * most a year (beyond it a number is a mistake, not a budget).
 */
const MIN_SECONDS = 1;
const MAX_SECONDS = 366 * 86_400;

/** Seconds, or a message saying what was expected. */
export function parseDuration(value: unknown): number | string {
  const seconds = parseAnyDuration(value);
  if (typeof seconds === 'string') return seconds;
  if (seconds < MIN_SECONDS) return `expected a duration of at least 1 second (no trial could start in less); got ${JSON.stringify(value)}`;
  if (seconds > MAX_SECONDS) return `expected a duration of at most 366 days; got ${JSON.stringify(value)}`;
  return seconds;
}

function parseAnyDuration(value: unknown): number | string {
  const expected = 'expected a duration: seconds (3600) or a number with a unit, e.g. 90m, 8h, 1h30m, 2d';
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : `${expected}; got ${value}`;
  if (typeof value !== 'string') return `${expected}; got ${JSON.stringify(value)}`;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) > 0 ? Number(text) : `${expected}; got ${JSON.stringify(value)}`;
  const parts = /^(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!parts || text === '') return `${expected}; got ${JSON.stringify(value)}`;
  const seconds = ['d', 'h', 'm', 's'].reduce((sum, unit, i) => sum + Number(parts[i + 1] ?? 0) * UNIT_SECONDS[unit]!, 0);
  return seconds > 0 ? seconds : `${expected}; got ${JSON.stringify(value)}`;
}

export function formatDurationSpec(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
