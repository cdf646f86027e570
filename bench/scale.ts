/**
 * Many processes on one sweep: a trivial objective (one reported step, no work), BENCH_TRIALS (default 2,000)
 * trials, random and TPE, with 1, 2 and 4 `tfsweep run` processes (1 worker each) on SQLite and on
 * PostgreSQL (when TFSWEEP_BENCH_POSTGRES or TFSWEEP_TEST_POSTGRES names a server). Reports trials/s and the
 * overhead per trial per process (wall time × processes / trials: everything tfsweep spends on a trial whose
 * objective costs nothing). Each configuration runs in a fresh database; wall time includes starting the
 * processes. A second series gives the objective BENCH_WAIT_MS (default 20) of waiting that uses no CPU, as
 * a trial that waits on a GPU or a remote service would, with 1 and 4 processes: on a machine with fewer
 * cores than processes, the trivial objective measures the cores, this one measures the coordination.
 *
 *   npm run bench:scale       (BENCH_TRIALS, BENCH_PROCESSES=1,2,4, BENCH_METHODS=random,bayes, BENCH_BACKENDS=sqlite,postgres,
 *                              BENCH_WAIT_MS=20, 0 to skip the second series)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { writeResult } from './common.js';
import { openStorage } from '../src/storage/open.js';

const BIN = fileURLToPath(new URL('../../bin/tfsweep.js', import.meta.url));
const TRIALS = Number(process.env.BENCH_TRIALS ?? 2000);
const PROCESSES = (process.env.BENCH_PROCESSES ?? '1,2,4').split(',').map(Number);
const METHODS = (process.env.BENCH_METHODS ?? 'random,bayes').split(',');
const PG_URL = process.env.TFSWEEP_BENCH_POSTGRES ?? process.env.TFSWEEP_TEST_POSTGRES;
const WAIT_MS = Number(process.env.BENCH_WAIT_MS ?? 20);

interface Row {
  backend: string;
  method: string;
  wait_ms: number;
  processes: number;
  trials: number;
  seconds: number;
  trials_per_s: number;
  ms_per_trial_per_process: number;
}

function run(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TFSWEEP_DB: '' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tfsweep ${args.join(' ')} exited ${code}: ${err.slice(-500)}`))));
  });
}

async function one(backend: 'sqlite' | 'postgres', method: string, processes: number, waitMs: number): Promise<Row> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-scale-'));
  const wait = waitMs > 0 ? `await new Promise((r) => setTimeout(r, ${waitMs})); ` : '';
  writeFileSync(path.join(dir, 'obj.mjs'), `export default async (p, trial) => { trial.report(1, { value: p.x }); ${wait}return p.x; };\n`);
  const name = `scale-${method}-${processes}`;
  writeFileSync(
    path.join(dir, 's.yaml'),
    `name: ${name}\nmethod: ${method}\nseed: 1\nrun_cap: ${TRIALS}\nworkers: 1\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n  y: {min: -1.0, max: 1.0}\n  k: {values: [a, b, c]}\n`,
  );
  let db = path.join(dir, 'scale.db');
  let schema: string | null = null;
  if (backend === 'postgres') {
    schema = `scale_${randomBytes(5).toString('hex')}`;
    const u = new URL(PG_URL!);
    u.searchParams.set('schema', schema);
    db = u.toString();
  }
  try {
    // The sweep and its schema exist before the clock starts, so that all processes join at once.
    await run(['validate', 's.yaml'], dir);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: processes }, () => run(['run', 's.yaml', '--db', db, '--workers', '1', '--top', '1'], dir)));
    const seconds = (performance.now() - t0) / 1000;
    const storage = await openStorage(db);
    const sweep = (await storage.getSweep(name))!;
    const trials = await storage.listTrials(sweep.id);
    await storage.close();
    const complete = trials.filter((t) => t.state === 'complete');
    if (complete.length !== TRIALS || new Set(complete.map((t) => t.configIndex)).size !== TRIALS) {
      throw new Error(`${backend} ${method} ×${processes}: ${complete.length} complete trials, ${new Set(complete.map((t) => t.configIndex)).size} configurations (expected ${TRIALS})`);
    }
    return {
      backend,
      method,
      wait_ms: waitMs,
      processes,
      trials: TRIALS,
      seconds,
      trials_per_s: TRIALS / seconds,
      ms_per_trial_per_process: (seconds * 1000 * processes) / TRIALS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (schema) {
      const admin = new pg.Client({ connectionString: PG_URL! });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }
}

const rows: Row[] = [];
const backends = (PG_URL ? ['sqlite', 'postgres'] : ['sqlite']).filter((b) => !process.env.BENCH_BACKENDS || process.env.BENCH_BACKENDS.split(',').includes(b)) as Array<'sqlite' | 'postgres'>;
if (!PG_URL) console.error('PostgreSQL: skipped (set TFSWEEP_BENCH_POSTGRES=postgres://… to include it)');
const series = [{ wait: 0, processes: PROCESSES }, ...(WAIT_MS > 0 ? [{ wait: WAIT_MS, processes: PROCESSES.filter((p) => p === 1 || p === Math.max(...PROCESSES)) }] : [])];
for (const { wait, processes: counts } of series) {
  for (const backend of backends) {
    for (const method of METHODS) {
      for (const processes of counts) {
        const row = await one(backend, method, processes, wait);
        rows.push(row);
        console.error(`${backend} ${method} wait ${wait} ms ×${processes}: ${row.seconds.toFixed(1)} s, ${row.trials_per_s.toFixed(0)} trials/s, ${row.ms_per_trial_per_process.toFixed(2)} ms per trial per process`);
      }
    }
  }
}
for (const { wait } of series) {
  const these = rows.filter((r) => r.wait_ms === wait);
  console.log(`\n${TRIALS} trials of ${wait ? `an objective that waits ${wait} ms (no CPU)` : 'a trivial objective'}, 1 worker per process, ${os.availableParallelism()} cores`);
  console.log(`| database | method | processes | wall s | trials/s | vs 1 process | ${wait ? 'overhead ms per trial per process (beyond the wait)' : 'ms per trial per process'} |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of these) {
    const base = these.find((x) => x.backend === r.backend && x.method === r.method && x.processes === 1);
    const speedup = base ? r.trials_per_s / base.trials_per_s : NaN;
    console.log(`| ${r.backend} | ${r.method === 'bayes' ? 'TPE' : r.method} | ${r.processes} | ${r.seconds.toFixed(1)} | ${r.trials_per_s.toFixed(0)} | ${speedup.toFixed(2)}× | ${(r.ms_per_trial_per_process - wait).toFixed(2)} |`);
  }
}
console.log(`\nwrote ${writeResult('scale', rows)}`);
