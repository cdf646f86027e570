/**
 * A night on a real (one-node) Slurm cluster: a 3-task job array of deploy/slurm/tfsweep.sbatch finishes one
 * sweep on PostgreSQL, the database handing each trial to one task. .ci/run starts the cluster
 * (deploy/slurm/local-cluster.sh) and sets SLURM_CONF; elsewhere the test is skipped and says why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, tempDir, writeFile } from '../helpers.js';
import { PG_SKIP, pgSchemas } from '../postgres.js';
import { openStorage, parseLocation } from '../../src/storage/open.js';

const SLURM_SKIP: string | false = process.env.SLURM_CONF ? false : 'no Slurm cluster: .ci/run starts one (deploy/slurm/local-cluster.sh) and sets SLURM_CONF';

describe('deploy/slurm/tfsweep.sbatch on a one-node Slurm cluster', { skip: SLURM_SKIP || PG_SKIP }, () => {
  const schemas = pgSchemas('tfsweep_slurm');
  after(() => schemas.drop());

  it('a 3-task job array finishes a sweep on PostgreSQL, each trial once', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async ({ x }, trial) => { await new Promise((r) => setTimeout(r, 800)); trial.report(1, { value: x }); return x; };\n');
    writeFile(dir, 's.yaml', 'name: array\nmethod: random\nseed: 1\nrun_cap: 12\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const url = schemas.url();
    const env = { ...process.env, TFSWEEP_DB: url, TFSWEEP_BIN: BIN };
    const out = execFileSync('sbatch', ['--parsable', '--array=0-2', '--cpus-per-task=1', '--export=ALL', path.join(ROOT, 'deploy', 'slurm', 'tfsweep.sbatch'), 's.yaml'], { cwd: dir, env, encoding: 'utf8' });
    const job = out.trim().split(';')[0]!;
    for (let i = 0; ; i++) {
      if (!execFileSync('squeue', ['-h', '-j', job], { env, encoding: 'utf8' }).trim()) break;
      if (i > 600) assert.fail(`job ${job} did not end`);
      await delay(200);
    }
    const logs = readdirSync(dir).filter((f) => f.startsWith(`tfsweep-${job}_`));
    assert.equal(logs.length, 3, 'one log per task');
    for (const log of logs) {
      const lines = readFileSync(path.join(dir, log), 'utf8').trim().split('\n');
      const result = JSON.parse(lines.at(-1)!) as { event: string; status: string };
      assert.equal(result.event, 'result', `${log}: ${lines.slice(-3).join('\n')}`);
      assert.ok(['finished', 'already-finished'].includes(result.status));
    }
    const storage = await openStorage(parseLocation(url, dir));
    try {
      const sweep = (await storage.getSweep('array'))!;
      assert.equal(sweep.state, 'finished');
      const trials = await storage.listTrials(sweep.id);
      assert.equal(trials.length, 12);
      assert.ok(trials.every((t) => t.state === 'complete'));
      const processes = await storage.listProcesses(sweep.id);
      assert.ok(processes.length >= 2, `${processes.length} task(s) took part`);
      assert.ok(new Set(trials.map((t) => t.processId)).size >= 2, 'trials ran in several tasks');
    } finally {
      await storage.close();
    }
  });
});
