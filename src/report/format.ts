/** Number and value formatting shared by tables, progress lines and exports. */
import type { ParamValue, Params } from '../space/distributions.js';
import { printable } from '../core/text.js';

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(digits - 1);
  return value.toPrecision(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function formatValue(value: ParamValue): string {
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

/** A value for a terminal: control characters made visible, so a stored string cannot drive the terminal. */
export function showValue(value: ParamValue): string {
  return printable(formatValue(value));
}

export function formatParams(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => `${printable(k)}=${showValue(v)}`)
    .join(' ');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
