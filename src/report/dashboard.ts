/**
 * `tfsweep dashboard`: a local web server showing every sweep of a database with the report's views,
 * refreshed while sweeps run (each page polls its sweep's data every 2 s and redraws when it changed). It
 * opens the database read-only and listens on loopback unless told otherwise.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import { plannedOrNull } from '../samplers/index.js';
import type { ProcessRecord, Storage } from '../storage/storage.js';
import { loadReportData } from './report-data.js';
import { escapeHtml, reportHtml } from './page/html.js';
import { STYLES } from './page/styles.js';
import { summarize } from './leaderboard.js';
import { formatNumber } from './format.js';

export interface DashboardOptions {
  storage: Storage;
  /** Whether a process row is a live process (the CLI passes the leases' rule, as `list` and `status` do). */
  isLive: (p: ProcessRecord) => boolean;
  host: string;
  port: number;
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

async function indexPage(storage: Storage, isLive: (p: ProcessRecord) => boolean): Promise<string> {
  const sweeps = (await storage.listSweeps()).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const items = await Promise.all(
    sweeps.map(async (s) => {
      const summary = summarize(s, await storage.listTrials(s.id), plannedOrNull(s.spec), (await storage.listProcesses(s.id)).filter(isLive).length);
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
  const { storage } = options;
  const pollMs = options.pollMs ?? 2000;
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const route = /^\/(sweep|api\/sweep)\/([^/]+)$/.exec(url.pathname);
    (async () => {
      if (req.method !== 'GET') return send(405, 'text/plain', 'read-only: GET only');
      if (url.pathname === '/') return send(200, 'text/html', await indexPage(storage, options.isLive));
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (route) {
        const name = decodeURIComponent(route[2]!);
        const sweep = await storage.getSweep(name);
        if (!sweep) return send(404, 'text/plain', `no sweep named ${name}`);
        const data = await loadReportData(storage, sweep, plannedOrNull(sweep.spec), options.isLive);
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
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
