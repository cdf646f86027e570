/**
 * Where a database is, and how that is printed. A path or `sqlite:PATH` is a SQLite file; `postgres://…` or
 * `postgresql://…` is a PostgreSQL database. Anything else that looks like a URL (`scheme://…`) is refused —
 * it is never taken for a file path. A password in a URL is never printed.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';

export type StorageLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

const URL_LIKE = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Where a `--db` value (or TFSWEEP_DB) points; relative SQLite paths are resolved against `cwd`. */
export function parseLocation(value: string, cwd: string = process.cwd()): StorageLocation {
  if (value.trim() === '') throw new UsageError('--db: expected a database file path or a postgres:// URL, got an empty string');
  const scheme = URL_LIKE.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: value };
  if (scheme !== undefined) {
    throw new UsageError(`--db ${redactUrl(value)}: unknown database URL scheme "${scheme}://"; expected a file path, sqlite:PATH, or postgres://USER@HOST/DATABASE`);
  }
  const file = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : value;
  if (file === '') throw new UsageError('--db sqlite:: expected a file path after "sqlite:"');
  return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
}

/** A location as it may be printed: a URL's password is never shown. */
export function displayLocation(location: StorageLocation): string {
  return location.kind === 'sqlite' ? location.file : redactUrl(location.url);
}

/**
 * A URL with its password, if any, shown as `***`: the one in the user part, and a `password=` query
 * parameter. A URL that does not parse (an unencoded `/` or `@` in the password) loses everything between
 * the user name and the last `@`.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString().replace('password=%2A%2A%2A', 'password=***');
  } catch {
    const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i.exec(url);
    let out = url;
    if (m && m[2]!.includes(':')) out = `${m[1]}${m[2]!.slice(0, m[2]!.indexOf(':'))}:***@${url.slice(m[0].length)}`;
    return out.replace(/([?&]password=)[^&#]*/gi, '$1***');
  }
}

/**
 * libpq's forms that WHATWG URLs refuse, as ones they accept: `postgres://USER[:PASSWORD]@/DB?host=/socket`
 * (a user and no host: a unix socket) becomes `postgres:///DB?host=/socket&user=USER&password=PASSWORD`.
 */
export function normalizePostgresUrl(url: string): string {
  const m = /^(postgres(?:ql)?:\/\/)([^/?#]*)@(\/.*)?$/i.exec(url);
  if (!m) return url;
  const userinfo = m[2]!;
  const colon = userinfo.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? null : decodeURIComponent(userinfo.slice(colon + 1));
  const rest = m[3] ?? '/';
  const extra = new URLSearchParams({ user, ...(password !== null ? { password } : {}) }).toString();
  return `${m[1]}${rest}${rest.includes('?') ? '&' : '?'}${extra}`;
}
