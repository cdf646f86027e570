/**
 * `tfsweep dashboard`: a local web server showing every sweep of a database with the report's views,
 * refreshed while sweeps run (each page polls its sweep's data every 2 s and redraws when it changed). It
 * opens the database read-only and listens on loopback unless told otherwise.
 */
import { statSync } from 'node:fs';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import os from 'node:os';
import { UsageError } from '../errors.js';
import { plannedOrNull } from '../samplers/index.js';
import type { ProcessRecord, Storage } from '../storage/storage.js';
import { loadReportData } from './report-data.js';
import { escapeHtml, reportHtml } from './page/html.js';
import { STYLES } from './page/styles.js';
import { summarize } from './leaderboard.js';
import { formatNumber } from './format.js';
import { sweepSpecOf } from '../sweep-file/stored.js';

export interface DashboardOptions {
  storage: Storage;
  /** Whether a process row is a live process (the CLI passes the leases' rule, as `list` and `status` do). */
  isLive: (p: ProcessRecord) => boolean;
  host: string;
  port: number;
  pollMs?: number;
  /**
   * Opens the database again: with a SQLite file (`storage.localFile`), a file replaced while the dashboard
   * runs is opened anew, and a deleted one is said (503) rather than served from the old handle.
   */
  reopen?: () => Promise<Storage>;
}

/** Whether an address is loopback (only this machine reaches it). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * The Host header names this server, not a name an attacker's DNS points here (DNS rebinding: a page of
 * theirs would then read every sweep through the person's browser). Accepted: loopback names and
 * addresses, any IP literal when the server listens beyond loopback, and this machine's own name.
 */
function hostAllowed(header: string | undefined, boundToLoopback: boolean): boolean {
  if (!header) return false;
  const name = header.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(name)) return true;
  if (boundToLoopback) return false;
  const self = os.hostname().toLowerCase();
  return isIP(name) !== 0 || name === self || name.startsWith(`${self}.`);
}

/** The inode of a database file, or null when it is gone. */
function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino;
  } catch {
    return null;
  }
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

async function indexPage(storage: Storage, isLive: (p: ProcessRecord) => boolean): Promise<string> {
  const sweeps = (await storage.listSweeps()).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const items = await Promise.all(
    sweeps.map(async (s) => {
      const summary = summarize(s, await storage.listTrials(s.id), plannedOrNull(sweepSpecOf(s)), (await storage.listProcesses(s.id)).filter(isLive).length);
      const c = summary.counts;
      const best = summary.best === null ? '' : ` · best ${summary.metric} ${formatNumber(summary.best)}`;
      return `<li><a href="/sweep/${encodeURIComponent(s.name)}">${escapeHtml(s.name)}</a> — ${escapeHtml(`${s.method}, ${summary.state}, ${c.complete + c.pruned}/${summary.planned ?? '∞'} finished (${c.pruned} pruned, ${c.failed} failed)${best}`)}</li>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>tfsweep dashboard</title><style>${STYLES}</style></head>
<body><main><h1>tfsweep dashboard</h1><p class="note">${escapeHtml(storage.location)} · ${sweeps.length} sweep(s) · this list refreshes every 5 s</p>
<ul class="sweeps">${items.join('\n') || '<li>no sweep yet</li>'}</ul></main></body></html>`;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  let storage = options.storage;
  const pollMs = options.pollMs ?? 2000;
  const file = storage.localFile;
  let inode = file ? inodeOf(file) : null;
  const loopback = isLoopback(options.host);
  /** The database as it is now: a replaced file is opened anew; a deleted one is an error said as such. */
  const current = async (): Promise<Storage | string> => {
    if (!file) return storage;
    const now = inodeOf(file);
    if (now === null) return `the database file ${file} was deleted or moved; nothing to show`;
    if (now !== inode && options.reopen) {
      const fresh = await options.reopen();
      await storage.close();
      storage = fresh;
      inode = now;
    }
    return storage;
  };
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const route = /^\/(sweep|api\/sweep)\/([^/]+)$/.exec(url.pathname);
    (async () => {
      if (!hostAllowed(req.headers.host, loopback)) return send(421, 'text/plain', 'this dashboard answers only to its own address (the Host header names another)');
      if (req.method !== 'GET') return send(405, 'text/plain', 'read-only: GET only');
      const db = await current();
      if (typeof db === 'string') return send(503, 'text/plain', db);
      if (url.pathname === '/') return send(200, 'text/html', await indexPage(db, options.isLive));
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (route) {
        let name: string;
        try {
          name = decodeURIComponent(route[2]!);
        } catch {
          return send(400, 'text/plain', 'malformed percent-encoding in the sweep name');
        }
        const sweep = await db.getSweep(name);
        if (!sweep) return send(404, 'text/plain', `no sweep named ${name}`);
        const data = await loadReportData(db, sweep, plannedOrNull(sweepSpecOf(sweep)), options.isLive);
        if (route[1] === 'api/sweep') return send(200, 'application/json', JSON.stringify(data));
        return send(200, 'text/html', reportHtml(data, { live: { url: `/api/sweep/${encodeURIComponent(name)}`, pollMs, home: '/' } }));
      }
      return send(404, 'text/plain', 'not found');
    })().catch((err: unknown) => send(500, 'text/plain', `the database could not be read: ${(err as Error).message}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`--port ${options.port}: the port is taken on ${options.host}; choose another (--port 0 picks a free one)`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UsageError(`--host ${options.host}: not an address of this machine`));
      else if (err.code === 'EACCES') reject(new UsageError(`--port ${options.port}: not allowed (ports below 1024 need privileges)`));
      else reject(err);
    });
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => (storage !== options.storage ? storage.close() : undefined)),
  };
}
