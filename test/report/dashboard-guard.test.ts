/**
 * Regression tests for the second audit's dashboard findings: M2 (any Host header served; no warning when
 * it listens beyond loopback), M3 (malformed percent-encoding blamed on the database), M4 (a deleted or
 * replaced database served from the old handle).
 */
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isLive } from '../../src/core/ownership.js';
import { startDashboard } from '../../src/report/dashboard.js';
import { openStorage } from '../../src/storage/open.js';
import { cli } from '../helpers.js';
import { folderWithSweep } from '../sweeps.js';

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the dashboard guards', () => {
  it('M2/M3: answers only to its own name, and says 400 for a malformed sweep name', async () => {
    const dir = await folderWithSweep('r.db');
    const file = path.join(dir, 'r.db');
    const storage = await openStorage(file, { readonly: true });
    const dashboard = await startDashboard({ storage, isLive, host: '127.0.0.1', port: 0, reopen: () => openStorage(file, { readonly: true }) });
    try {
      assert.equal((await get(dashboard.url)).status, 200);
      assert.equal((await get(dashboard.url, `localhost:${new URL(dashboard.url).port}`)).status, 200);
      const rebound = await get(dashboard.url, 'evil.example.com');
      assert.equal(rebound.status, 421);
      assert.doesNotMatch(rebound.body, /tfsweep dashboard|sweep/i);
      const bad = await get(`${dashboard.url}sweep/%E0%A4%A`);
      assert.equal(bad.status, 400);
      assert.doesNotMatch(bad.body, /database/);
    } finally {
      await dashboard.close();
      await storage.close();
    }
  });

  it('M4: a deleted database is said (503), and a replaced one is read anew', async () => {
    const dir = await folderWithSweep('r.db');
    const other = await folderWithSweep('r.db');
    const file = path.join(dir, 'r.db');
    const storage = await openStorage(file, { readonly: true });
    const dashboard = await startDashboard({ storage, isLive, host: '127.0.0.1', port: 0, reopen: () => openStorage(file, { readonly: true }) });
    try {
      assert.equal((await get(`${dashboard.url}sweep/p`)).status, 200);
      rmSync(file);
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
      const gone = await get(dashboard.url);
      assert.equal(gone.status, 503);
      assert.match(gone.body, /was deleted or moved/);
      // Another database put in its place: shown, not the old one.
      copyFileSync(path.join(other, 'r.db'), `${file}.new`);
      renameSync(`${file}.new`, file);
      const renamed = await cli(['list', '--db', 'r.db', '--json'], dir);
      assert.equal(renamed.code, 0, renamed.stderr);
      assert.equal((await get(`${dashboard.url}sweep/p`)).status, 200);
      assert.equal((await get(dashboard.url)).status, 200);
    } finally {
      await dashboard.close();
      await storage.close();
    }
  });

  it('M2: warns when told to listen beyond loopback', async () => {
    const dir = await folderWithSweep('r.db');
    const controller = new AbortController();
    const stderr: string[] = [];
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    const err = new PassThrough();
    err.on('data', (d: Buffer) => stderr.push(d.toString()));
    const { main } = await import('../../src/cli/main.js');
    const running = main(['dashboard', '--db', 'r.db', '--host', '0.0.0.0', '--port', '0'], { stdout: out, stderr: err, tty: false, env: {}, cwd: dir, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 500));
    controller.abort();
    assert.equal(await running, 0);
    assert.match(stderr.join(''), /warning: --host 0\.0\.0\.0: the dashboard is open to other machines, with no password/);
  });
});
