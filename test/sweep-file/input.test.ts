/**
 * Regression tests for the audit's sweep-file and objective-input defects (D3, D6, D13, D17, D19, D24, D25,
 * D29): every one is refused at validation in one line with exit 2, or stored exactly as meant.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { tempDir, writeFile } from '../helpers.js';
import { cli, isOneLineError, objective, programSweep, query } from '../sweeps.js';

async function refused(dir: string, file: string, text: string, message: RegExp, command = 'validate'): Promise<void> {
  writeFile(dir, file, text);
  const args = command === 'run' ? ['run', file, '--db', 'x.db'] : ['validate', file];
  const r = await cli(args, dir);
  assert.ok(isOneLineError(r), `${file}: ${r.code} ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.ok(!existsSync(path.join(dir, 'x.db')), `${file}: nothing written`);
}

describe('audit D3: a sweep named after its file obeys the name rule, and its models stay in results/', () => {
  it('D3: "...yaml" (name ".."), ".yaml" (empty name) and a 300-character file name are refused', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'sweeps'));
    mkdirSync(path.join(dir, 'trial-0000'));
    writeFile(dir, 'trial-0000/notes.txt', 'my notes');
    const body = 'method: grid\nseed: 1\nworkers: 1\ntrain: {epochs: 1, train_size: 500}\nparameters:\n  learning_rate: {values: [0.01]}\n';
    await refused(dir, 'sweeps/...yaml', body, /^error: sweeps\/\.\.\.yaml:1: name: is not given, and the file name "\.\." is not a valid sweep name/, 'run');
    await refused(dir, 'sweeps/.yaml', body, /the file name "" is not a valid sweep name/, 'run');
    await refused(dir, `sweeps/${'a'.repeat(200)}.yaml`, body, /is not a valid sweep name \(.*at most 128 characters\)/);
    await refused(dir, 'sweeps/x; rm -rf ~.yaml', body, /is not a valid sweep name/);
    await refused(dir, 'sweeps/名前.yaml', body, /is not a valid sweep name/);
    assert.equal(readFileSync(path.join(dir, 'trial-0000', 'notes.txt'), 'utf8'), 'my notes');
    assert.ok(!existsSync(path.join(dir, 'results')));
    // The explicit name has the same length limit.
    await refused(dir, 'long.yaml', `name: ${'b'.repeat(129)}\n${body}`, /name: expected at most 128 characters, got 129/);
  });

  it('D3: a valid file name still names the sweep', async () => {
    const dir = tempDir();
    writeFile(dir, 'my-sweep.v2.yaml', 'method: grid\nparameters:\n  learning_rate: {values: [0.01]}\n');
    const r = await cli(['validate', 'my-sweep.v2.yaml'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sweep {5}my-sweep\.v2\n/);
  });
});

describe('audit D6: grids are never listed in memory', () => {
  it('D6: an int_uniform grid over [0, 1e9] validates at once and runs its run_cap; list and status work after', async () => {
    const dir = tempDir();
    objective(dir);
    writeFile(dir, 'big.yaml', 'name: intgrid\nmethod: grid\nrun_cap: 3\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: int_uniform, min: 0, max: 1000000000}\n');
    const started = Date.now();
    const v = await cli(['validate', 'big.yaml'], dir);
    assert.equal(v.code, 0, v.stderr);
    assert.ok(Date.now() - started < 2000, `validate took ${Date.now() - started} ms`);
    const r = await cli(['run', 'big.yaml', '--db', 'x.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      query<{ v: string }>(path.join(dir, 'x.db'), 'SELECT value_json AS v FROM trial_params ORDER BY trial_id').map((row) => Number(row.v)),
      [0, 1, 2],
    );
    for (const args of [['list'], ['status', 'intgrid']]) assert.equal((await cli([...args, '--db', 'x.db'], dir)).code, 0);
  });

  it('D6: a grid above 2^53 configurations, or above 1,000,000 without run_cap, is refused with exit 2', async () => {
    const dir = tempDir();
    objective(dir);
    await refused(
      dir,
      'nocap.yaml',
      'name: g\nmethod: grid\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: int_uniform, min: 0, max: 1000000000}\n',
      /the grid has 1000000001 configurations \(x 1000000001\) and no run_cap; at most 1000000 run without one/,
    );
    await refused(
      dir,
      'huge.yaml',
      'name: g\nmethod: grid\nrun_cap: 2\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: q_uniform, min: 0, max: 1000, q: 1.0e-6}\n  y: {distribution: int_uniform, min: 0, max: 100000000}\n',
      /the grid has 1\.00e\+17 configurations .* more than tfsweep can number/,
    );
  });
});

describe('audit D13/D19/D29: numeric bounds are checked for overflow and NaN at validation', () => {
  const dir = tempDir();
  objective(dir);
  const head = 'name: b\nmethod: random\nseed: 1\nrun_cap: 2\nprogram: ./obj.mjs\nparameters:\n';
  const cases: Array<[string, RegExp]> = [
    ['  x: {distribution: log_uniform, min: 0, max: 1000}\n', /parameters\.x\.max: expected a natural log ≤ 709 \(e\^max overflows to infinity above it\), got 1000/],
    ['  x: {distribution: log_uniform, min: -800, max: 0}\n', /parameters\.x\.min: expected a natural log ≥ -745/],
    ['  x: {min: -1.0e308, max: 1.0e308}\n', /the range \[-1e\+308, 1e\+308\] is wider than a double can hold/],
    ['  x: {distribution: int_uniform, min: 0, max: 1.0e300}\n', /expected an integer within ±9007199254740991/],
    ['  x: {distribution: q_uniform, min: 0, max: 1, q: 1.0e-300}\n', /parameters\.x\.q: q=1e-300 is too small for the range \[0, 1\]/],
    ['  x: {min: .nan, max: 1.0}\n', /parameters\.x\.min: expected a finite number, got NaN \(not a number\)\n$/],
    ['  x: {min: 0.0, max: .inf}\n', /parameters\.x\.max: expected a finite number, got infinity\n$/],
    ['  x: {values: [1, 2]}\nbayes: {n_ei_candidates: 1.0e+12}\n', /bayes.n_ei_candidates: expected a value ≤ 100000/],
  ];
  for (const [params, message] of cases) {
    it(`D13: refuses ${params.trim()}`, async () => {
      await refused(dir, 'b.yaml', head + params, message, 'run');
    });
  }

  it('D13: the built-in trainer\'s log_uniform learning rate says what is wrong, not "got null"', async () => {
    await refused(dir, 'lr.yaml', 'name: l\nmethod: random\nrun_cap: 2\nparameters:\n  learning_rate: {distribution: log_uniform, min: -10, max: 1000}\n', /natural log ≤ 709/);
  });

  it('D19: a q of 1e-300 over a range that fits runs (no toFixed RangeError), values on the grid of q', async () => {
    const d = tempDir();
    objective(d);
    writeFile(d, 'q.yaml', 'name: q\nmethod: grid\nrun_cap: 3\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: q_uniform, min: 0, max: 1.0e-290, q: 1.0e-300}\n');
    const r = await cli(['run', 'q.yaml', '--db', 'x.db'], d);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const values = query<{ v: string }>(path.join(d, 'x.db'), 'SELECT value_json AS v FROM trial_params ORDER BY trial_id').map((row) => Number(row.v));
    assert.deepEqual(values, [0, 1e-300, 2e-300]);
  });
});

describe('audit D17/D29: YAML problems are one line', () => {
  const dir = tempDir();
  objective(dir);

  it('D17: a billion-laughs file is refused quickly; a DRY file with 120 aliases is fine', async () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    let prev = 'a';
    for (const n of 'bcdefghi') {
      lol.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(',')}]`);
      prev = n;
    }
    const started = Date.now();
    await refused(dir, 'bomb.yaml', `${lol.join('\n')}\nmethod: grid\nparameters:\n  x: {values: *i}\n`, /^error: bomb\.yaml: too many YAML aliases: expanding them exceeds the limit of 1000/);
    assert.ok(Date.now() - started < 3000);
    const dry = ['method: random', 'seed: 1', 'run_cap: 2', 'program: ./obj.mjs', 'parameters:', '  base: &lr {min: 0.0, max: 1.0}'];
    for (let i = 0; i < 120; i++) dry.push(`  p${i}: *lr`);
    writeFile(dir, 'aliases.yaml', `${dry.join('\n')}\n`);
    assert.equal((await cli(['validate', 'aliases.yaml'], dir)).code, 0);
  });

  it('D29: two documents, binary garbage and NaN bounds get plain messages', async () => {
    await refused(dir, 'two.yaml', 'method: random\n---\nmethod: grid\n', /the file holds more than one YAML document \(a line "---" starts another\)/);
    const garbage = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 131 + 7) % 256));
    writeFileSync(path.join(dir, 'garbage.yaml'), garbage);
    const r = await cli(['validate', 'garbage.yaml'], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, /not a text file: character \d+ is (a NUL byte|not valid UTF-8)/);
    assert.ok(r.stderr.length < 300, `${r.stderr.length} characters`);
  });
});

describe('audit D29: an objective returning NaN or -Infinity is told so, not "null"', () => {
  it('D29: the failed trial\'s message names NaN and -Infinity', async () => {
    const dir = tempDir();
    writeFile(dir, 'nan.mjs', 'export default (p) => (p.x < 2 ? NaN : { value: -Infinity });\n');
    writeFile(dir, 'nan.yaml', 'name: nan\nmethod: grid\nprogram: ./nan.mjs\nparameters:\n  x: {values: [1, 3]}\n');
    const r = await cli(['run', 'nan.yaml', '--db', 'x.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const errors = query<{ error: string }>(path.join(dir, 'x.db'), 'SELECT error FROM trials ORDER BY number').map((row) => row.error);
    assert.deepEqual(errors, ['the objective returned no finite "value" (got {"value":NaN})', 'the objective returned no finite "value" (got {"value":-Infinity})']);
    assert.match(r.stderr, /^warning: nan: 0 trial\(s\) complete, 2 failed; see `tfsweep trials nan` for the errors$/m);
  });
});

describe('audit D24: trial.report checks what it stores', () => {
  it('D24: NaN, strings, negative and repeated steps fail the trial with a message; nothing odd is stored', async () => {
    const dir = tempDir();
    const bodies: Record<string, string> = {
      nan: 'trial.report(1, { value: NaN });',
      str: "trial.report(1, { value: 1, s: 'str' });",
      neg: 'trial.report(-5, { value: 3 });',
      rep: 'trial.report(1, { value: 1 }); trial.report(1, { value: 2 });',
      frac: 'trial.report(1.5, { value: 1 });',
    };
    for (const [name, body] of Object.entries(bodies)) writeFile(dir, `${name}.mjs`, `export default async (p, trial) => { ${body} return 1; };\n`);
    const expected: Record<string, RegExp> = {
      nan: /trial\.report\(1\): metric "value" is NaN; metrics must be finite numbers/,
      str: /trial\.report\(1\): metric "s" is "str"; metrics must be finite numbers/,
      neg: /trial\.report: step must be an integer ≥ 0, got -5/,
      rep: /trial\.report: step 1 was already reported; report each step once/,
      frac: /trial\.report: step must be an integer ≥ 0, got 1\.5/,
    };
    for (const name of Object.keys(bodies)) {
      writeFile(dir, `${name}.yaml`, programSweep(name, 1, 'max_consecutive_failures: 1\n', `./${name}.mjs`));
      const r = await cli(['run', `${name}.yaml`, '--db', 'x.db'], dir);
      assert.equal(r.code, 1, name);
      const [row] = query<{ state: string; error: string }>(path.join(dir, 'x.db'), 'SELECT t.state, t.error FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ?', name);
      assert.equal(row!.state, 'failed', name);
      assert.match(row!.error, expected[name]!, name);
    }
    // The valid first report of "rep" is kept; no null, string or negative step reached the table.
    const epochs = query<{ epoch: number; metrics_json: string }>(path.join(dir, 'x.db'), 'SELECT epoch, metrics_json FROM epochs');
    assert.deepEqual(epochs, [{ epoch: 1, metrics_json: '{"value":1}' }]);
  });
});

describe('audit D25: a large categorical is stored once per sweep', () => {
  it('D25: 10,000 categories cost no bytes per trial; each trial still reads its distribution', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default (p) => p.c;\n');
    const values = Array.from({ length: 10_000 }, (_, i) => i);
    writeFile(dir, 'cat.yaml', `name: cat\nmethod: random\nseed: 1\nrun_cap: 20\nprogram: ./obj.mjs\nparameters:\n  c: {values: [${values.join(', ')}]}\n`);
    assert.equal((await cli(['run', 'cat.yaml', '--db', 'x.db', '--workers', '1'], dir)).code, 0);
    const db = path.join(dir, 'x.db');
    const [params] = query<{ bytes: number; n: number }>(db, 'SELECT SUM(length(value_json)) AS bytes, COUNT(*) AS n FROM trial_params');
    assert.equal(params!.n, 20);
    assert.ok(params!.bytes < 20 * 6, `${params!.bytes} bytes of params for 20 trials`);
    assert.equal(query(db, 'SELECT * FROM sweep_parameters').length, 1);
    const storage = new SqliteStorage(db, { mustExist: true, readonly: true });
    const trials = await storage.listTrials((await storage.getSweep('cat'))!.id);
    await storage.close();
    assert.equal(trials.length, 20);
    for (const t of trials) assert.deepEqual(t.distributions.c, { type: 'categorical', values });
  });

  it('D25: more than 100,000 values is refused at validation', async () => {
    const dir = tempDir();
    objective(dir);
    const values = Array.from({ length: 100_001 }, (_, i) => i).join(',');
    await refused(dir, 'many.yaml', `name: m\nmethod: random\nrun_cap: 1\nprogram: ./obj.mjs\nparameters:\n  x: {values: [${values}]}\n`, /parameters\.x\.values: expected at most 100000 values, got 100001/);
  });

  it('D25: a version-2 database migrates its per-trial distributions into sweep_parameters, in file order', async () => {
    const file = path.join(tempDir(), 'v2.db');
    const v2 = new Database(file);
    v2.exec(MIGRATIONS[0]!);
    v2.exec(MIGRATIONS[1]!);
    v2.pragma('user_version = 2');
    const spec = { name: 'old', parameters: { units: { type: 'categorical', values: [8, 16] }, lr: { type: 'uniform', min: 0.1, max: 0.2 } } };
    v2.prepare(`INSERT INTO sweeps (id, name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, created_at, updated_at)
      VALUES (1, 'old', 'random', 'loss', 'minimize', 'finished', '', ?, 1, 'now', 'now')`).run(JSON.stringify(spec));
    v2.prepare(`INSERT INTO trials (id, sweep_id, number, config_index, state, value, seed) VALUES (1, 1, 0, 0, 'complete', 0.5, 7)`).run();
    v2.prepare('INSERT INTO trial_params VALUES (1, ?, ?, ?)').run('units', '16', JSON.stringify(spec.parameters.units));
    v2.prepare('INSERT INTO trial_params VALUES (1, ?, ?, ?)').run('lr', '0.15', JSON.stringify(spec.parameters.lr));
    v2.close();
    const s = new SqliteStorage(file);
    const [trial] = await s.listTrials(1);
    await s.close();
    assert.deepEqual(trial!.params, { units: 16, lr: 0.15 });
    assert.deepEqual(trial!.distributions, spec.parameters);
    assert.deepEqual(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.db')), ['v2.db']);
  });
});
