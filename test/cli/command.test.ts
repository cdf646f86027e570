/**
 * Any program as an objective: a W&B-style sweep running a Python script and a shell script as child
 * processes (their own process groups), and no trial process outliving tfsweep: pruned, stopped, or after
 * `kill -9` of tfsweep itself.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BIN, tempDir, writeFile } from '../helpers.js';
import { cli, query } from '../sweeps.js';

/** The pids of processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}

const TRAIN_PY = `import argparse, json, time
p = argparse.ArgumentParser()
p.add_argument('--lr', type=float); p.add_argument('--layers', type=int); p.add_argument('--act')
a = p.parse_args()
loss = 1.0
for epoch in range(1, 4):
    loss = loss * (0.5 + abs(a.lr - 0.01) * 10) + 0.01 * a.layers
    print(f"epoch={epoch} loss={loss:.5f} accuracy={1 - loss / 2:.5f}", flush=True)
print(json.dumps({"val_loss": loss}))
`;

describe('command: trials as child processes', () => {
  it('runs a Python script with ${args}: its name=value and JSON lines are its steps and metrics', async () => {
    const dir = tempDir();
    writeFile(dir, 'train.py', TRAIN_PY);
    writeFile(dir, 'py.yaml', 'name: py\nmethod: random\nseed: 1\nrun_cap: 3\nprogram: train.py\nmetric: {name: val_loss, goal: minimize}\nparameters:\n  lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n  layers: {values: [1, 2]}\n  act: {values: [relu, tanh]}\n');
    const r = await cli(['run', 'py.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const trials = JSON.parse((await cli(['trials', 'py', '--db', 'r.db', '--json'], dir)).stdout) as Array<{ state: string; params: { lr: number; layers: number }; value: number; metrics: Record<string, number>; epochs: Array<{ epoch: number; loss?: number }> }>;
    assert.equal(trials.length, 3);
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      // What the script computes from the arguments it was given.
      let loss = 1;
      for (let e = 1; e <= 3; e++) loss = loss * (0.5 + Math.abs(t.params.lr - 0.01) * 10) + 0.01 * t.params.layers;
      assert.ok(Math.abs(t.value - loss) < 1e-9, `${t.value} vs ${loss}`);
      assert.deepEqual(t.epochs.map((e) => e.epoch), [1, 2, 3, 4], 'epoch= names the step; a line without one is the next');
      assert.equal(t.metrics.loss, t.epochs[2]!.loss);
    }
  });

  it('runs a shell script with ${args_json_file}; a nonzero exit fails the trial with its stderr, and the sweep goes on', async () => {
    const dir = tempDir();
    writeFile(dir, 'run.sh', `x=$(python3 -c "import json; print(json.load(open('$1'))['x'])")\necho "{\\"value\\": $x}"\nif [ "$TFSWEEP_TRIAL" = "1" ]; then echo "out of memory on trial $TFSWEEP_TRIAL of $TFSWEEP_SWEEP" >&2; exit 3; fi\n`);
    writeFile(dir, 'sh.yaml', 'name: sh\nmethod: random\nseed: 1\nrun_cap: 3\nprogram: run.sh\ncommand: [sh, "${program}", "${args_json_file}"]\nmetric: {name: value, goal: minimize}\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const r = await cli(['run', 'sh.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const trials = JSON.parse((await cli(['trials', 'sh', '--db', 'r.db', '--json'], dir)).stdout) as Array<{ number: number; state: string; params: { x: number }; value: number; error: string | null }>;
    assert.equal(trials.filter((t) => t.state === 'complete').length, 3);
    const failed = trials.find((t) => t.number === 1)!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error, 'the command exited with code 3: out of memory on trial 1 of sh');
    for (const t of trials.filter((u) => u.state === 'complete')) assert.equal(t.value, t.params.x);
  });

  it('leaves no trial process behind: pruned, stopped with stop --now, or after kill -9 of tfsweep', async () => {
    const dir = tempDir();
    // Reports a step, then waits (as a long epoch would) in a child of its own.
    writeFile(dir, 'slow.sh', 'i=0\nwhile [ $i -lt 40 ]; do i=$((i+1)); echo "step=$i value=$(( 100 - i ))"; sleep 0.25; done\n');
    const sweep = (name: string, marker: string, extra = '') =>
      `name: ${name}\nmethod: random\nseed: 2\nrun_cap: 6\nworkers: 2\nstop_grace: 1\nprogram: slow.sh\ncommand: [sh, "\${program}", "${marker}"]\nparameters:\n  x: {min: 0.0, max: 1.0}\n${extra}`;
    // Pruned: a threshold the second trial's steps are judged against from its first step on.
    writeFile(dir, 'p.yaml', sweep('pruned', 'marker-pruned-x', 'run_cap: 2\npruner: {type: threshold, upper: 50}\n').replace('run_cap: 6\n', ''));
    const pruned = await cli(['run', 'p.yaml', '--db', 'r.db'], dir);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.ok(query<{ state: string }>(path.join(dir, 'r.db'), "SELECT state FROM trials WHERE state = 'pruned'").length >= 1);
    assert.deepEqual(processesWith('marker-pruned-x'), []);

    for (const how of ['stop', 'kill'] as const) {
      const marker = `marker-${how}-x`;
      writeFile(dir, `${how}.yaml`, sweep(how, marker));
      const child = spawn(process.execPath, [BIN, 'run', `${how}.yaml`, '--db', `${how}.db`], { cwd: dir, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await until('two trials running', () => processesWith(marker).length >= 2);
      if (how === 'stop') assert.equal((await cli(['stop', how, '--now', '--db', `${how}.db`], dir)).code, 0);
      else child.kill('SIGKILL');
      await exited;
      await until(`no trial process left after ${how}`, () => processesWith(marker).length === 0, 10_000);
    }
  });
});

describe('on a cluster', () => {
  it('--log json prints one JSON object per line, each whole', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async ({ x }, trial) => { trial.report(1, { value: x }); return x; };\n');
    writeFile(dir, 'j.yaml', 'name: j\nmethod: random\nseed: 1\nrun_cap: 3\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const r = await cli(['run', 'j.yaml', '--db', 'r.db', '--log', 'json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; time: string; trial?: { number: number; value?: number } | number; best?: unknown[] });
    assert.deepEqual([...new Set(lines.map((l) => l.event))].sort(), ['epoch', 'result', 'sweep-end', 'sweep-start', 'trial-backend', 'trial-end', 'trial-start'].sort());
    assert.equal(lines.filter((l) => l.event === 'trial-end').length, 3);
    assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.time))));
    assert.equal(lines.at(-1)!.event, 'result');
    assert.equal(lines.at(-1)!.best!.length, 3);
  });

  it("a scheduler's SIGTERM drains: no new trial, running ones finish, exit 0, the sweep resumable", async () => {
    const dir = tempDir();
    writeFile(dir, 'slow.mjs', 'export default async ({ x }) => { await new Promise((r) => setTimeout(r, 700)); return x; };\n');
    writeFile(dir, 'd.yaml', 'name: d\nmethod: random\nseed: 1\nrun_cap: 10\nworkers: 2\nprogram: ./slow.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const child = spawn(process.execPath, [BIN, 'run', 'd.yaml', '--db', 'r.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const db = path.join(dir, 'r.db');
    await until('two trials running', () => query(db, "SELECT 1 FROM trials WHERE state = 'running'").length === 2);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    assert.match(err, /stopping \(SIGTERM\): no new trials; running trials finish/);
    const states = query<{ state: string }>(db, 'SELECT state FROM trials').map((t) => t.state);
    assert.ok(states.length < 10 && states.every((s) => s === 'complete'), JSON.stringify(states));
    assert.equal(query<{ state: string }>(db, 'SELECT state FROM sweeps')[0]!.state, 'stopped');
  });
});

describe('tfsweep trial', () => {
  it('runs one configuration of the trainer, printing a name=value line per epoch; --json ends with the record', async () => {
    const dir = tempDir();
    writeFile(dir, 't.yaml', 'name: t\nmethod: random\nrun_cap: 5\nparameters:\n  units: {values: [16, 32]}\n  learning_rate: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}\ntrain: {epochs: 2, train_size: 400}\n');
    const r = await cli(['trial', 't.yaml', '--set', 'units=32', '--set', 'learning_rate=0.005'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^epoch=1 (?=.*val_accuracy=0\.\d+)(?=.*loss=\d)/);
    assert.match(lines[1]!, /^epoch=2 /);
    const json = await cli(['trial', 't.yaml', '--set', 'units=16', '--json'], dir);
    const record = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { params: { units: number; learning_rate: number }; state: string; metrics: { params: number } };
    assert.equal(record.state, 'complete');
    assert.equal(record.params.units, 16);
    assert.ok(record.params.learning_rate >= 1e-3 && record.params.learning_rate <= 1e-2, 'a parameter not set is drawn');
    assert.equal(record.metrics.params, 784 * 16 + 16 + 16 * 10 + 10);
    const bad = await cli(['trial', 't.yaml', '--set', 'units=48'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--set units: "units": expected one of \[16,32\], got 48/);
    assert.ok(!(await import('node:fs')).existsSync(path.join(dir, 'results')), 'nothing written without --db');
    // With --db: recorded as an imported trial of the sweep, its epochs with it.
    assert.equal((await cli(['trial', 't.yaml', '--set', 'units=32', '--db', 'r.db'], dir)).code, 0);
    const [kept] = JSON.parse((await cli(['trials', 't', '--db', 'r.db', '--json'], dir)).stdout) as Array<{ origin: string; params: { units: number }; epochs: Array<{ epoch: number }> }>;
    assert.deepEqual([kept!.origin, kept!.params.units, kept!.epochs.map((e) => e.epoch)], ['imported', 32, [1, 2]]);
  });
});
