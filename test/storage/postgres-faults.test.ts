/**
 * The audit's storage defects D1, D10 and D11 on PostgreSQL (their SQLite tests are in faults.test.ts): real
 * `tfsweep` processes on a real server, each test in its own schema. Needs TFSWEEP_TEST_POSTGRES (.ci/run
 * starts a server and sets it).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/open.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { objective, programSweep } from '../sweeps.js';
import { PG_SKIP, pgSchemas } from '../postgres.js';

const schemas = pgSchemas('audit');
const freshUrl = (): string => schemas.url();

async function counts(url: string, name: string): Promise<{ states: Record<string, number>; configs: number }> {
  const storage = await openStorage(url, { readonly: true });
  try {
    const sweep = (await storage.getSweep(name))!;
    const trials = await storage.listTrials(sweep.id);
    const states: Record<string, number> = {};
    for (const t of trials) states[t.state] = (states[t.state] ?? 0) + 1;
    return { states, configs: new Set(trials.map((t) => t.configIndex)).size };
  } finally {
    await storage.close();
  }
}

describe('audit D1/D10/D11 on PostgreSQL', { skip: PG_SKIP }, () => {
  after(() => schemas.drop());

  it('D1: two different sweeps on one database at once both finish, with no trial failed or lost', async () => {
    const dir = tempDir();
    const url = freshUrl();
    objective(dir, 'obj.mjs', 10, 5);
    writeFile(dir, 'g.yaml', 'name: g\nmethod: grid\nworkers: 2\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: int_uniform, min: 1, max: 40}\n');
    writeFile(dir, 'r.yaml', programSweep('r', 40));
    const [g, r] = await Promise.all([runCli(['run', 'g.yaml', '--db', url], { cwd: dir }), runCli(['run', 'r.yaml', '--db', url], { cwd: dir })]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await counts(url, 'g'), { states: { complete: 40 }, configs: 40 });
    assert.deepEqual(await counts(url, 'r'), { states: { complete: 40 }, configs: 40 });
  });

  it('D10: processes creating the schema of a new database at once: all run the one sweep, each trial once', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 3, 20);
    writeFile(dir, 'k.yaml', programSweep('k', 6).replace('workers: 2', 'workers: 1'));
    for (let round = 0; round < 3; round++) {
      const url = freshUrl();
      const all = await Promise.all([0, 1, 2].map(() => runCli(['run', 'k.yaml', '--db', url], { cwd: dir })));
      for (const r of all) {
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /already exists|duplicate key|\n\s+at /);
      }
      assert.deepEqual(await counts(url, 'k'), { states: { complete: 6 }, configs: 6 });
    }
  });

  it('D11: every complete trial read during a run has all its epochs, every trial its params', async () => {
    const dir = tempDir();
    const url = freshUrl();
    objective(dir, 'obj.mjs', 10, 0);
    writeFile(dir, 'w.yaml', programSweep('w', 80));
    const writer = runCli(['run', 'w.yaml', '--db', url], { cwd: dir });
    let done = false;
    void writer.then(() => (done = true));
    let snapshots = 0;
    while (!done) {
      await delay(20);
      const storage = await openStorage(url, { readonly: true }).catch(() => null);
      if (!storage) continue; // not migrated yet
      try {
        const sweep = await storage.getSweep('w');
        if (!sweep) continue;
        for (const t of await storage.listTrials(sweep.id, { withEpochs: true })) {
          if (t.state === 'complete') assert.equal(t.epochs!.length, 10, `trial ${t.number} complete with ${t.epochs!.length} epochs`);
          assert.deepEqual(Object.keys(t.params), ['x'], `trial ${t.number} without params`);
        }
        snapshots++;
      } finally {
        await storage.close();
      }
    }
    assert.equal((await writer).code, 0);
    assert.ok(snapshots >= 3, `${snapshots} snapshots`);
  });
});

/**
 * A TCP proxy in front of the server that, once armed, forwards the next COMMIT to the server and then cuts
 * the connection before the server's answer comes back: the client cannot know whether it committed.
 */
async function commitCutter(target: URL): Promise<{ url(schemaUrl: string): string; arm(): void; cuts: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let armed = false;
  const state = { cuts: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      // A simple-protocol query message: 'Q', length, "COMMIT\0".
      if (armed && chunk.includes('COMMIT\0')) {
        armed = false;
        state.cuts++;
        // Give the server the time to run it, then drop both sides before the reply reaches the client.
        upstream.pause();
        setTimeout(cut, 200);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url(schemaUrl: string) {
      const u = new URL(schemaUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    arm() {
      armed = true;
    },
    get cuts() {
      return state.cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a claim whose COMMIT answer is lost', { skip: PG_SKIP }, () => {
  after(() => schemas.drop());

  it('is found again by its retry: one trial recorded, the same one returned, no second running trial', async () => {
    const schemaUrl = freshUrl();
    const proxy = await commitCutter(new URL(schemaUrl));
    const storage = await openStorage(proxy.url(schemaUrl));
    try {
      const loaded = parseSpecText('name: cut\nmethod: random\nseed: 1\nrun_cap: 5\nparameters:\n  learning_rate: {min: 0.001, max: 0.1}\n', 'cut.yaml');
      const { sweep } = await storage.joinSweep(loaded.spec, loaded.source);
      const proc = await storage.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
      let chosen = 0;
      for (const history of [false, true]) {
        proxy.arm();
        const trial = await storage.claimTrial(
          sweep.id,
          proc.id,
          () => {
            chosen++;
            return { configIndex: chosen - 1, params: { learning_rate: 0.05 }, distributions: { learning_rate: loaded.spec.parameters.learning_rate! }, seed: chosen };
          },
          { history },
        );
        assert.equal(proxy.cuts, history ? 2 : 1, 'the COMMIT was cut');
        const all = await storage.listTrials(sweep.id);
        assert.equal(all.length, history ? 2 : 1, JSON.stringify(all.map((t) => [t.number, t.state])));
        assert.equal(trial!.id, all[all.length - 1]!.id);
        assert.equal(trial!.state, 'running');
        assert.deepEqual(trial!.params, { learning_rate: 0.05 });
      }
      assert.equal(chosen, 2, 'each claim chose once: the retry found what the first attempt committed');
    } finally {
      await storage.close();
      await proxy.close();
    }
  });
});
