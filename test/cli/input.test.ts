/**
 * Regression tests for the audit's CLI-misuse defects (D2, D16, D22, D23, D27, D29, D30): a bad argument
 * vector, database file or output path is refused in one line with exit 2, before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, tempDir, tinySweep, writeFile } from '../helpers.js';
import { cli, folderWithSweep, isOneLineError, objective, programSweep, query } from '../sweeps.js';

describe('audit D2: the whole argument vector is checked before any command runs', () => {
  const dir = tempDir();
  before(() => {
    objective(dir);
    writeFile(dir, 'p.yaml', programSweep('p', 5));
  });

  it('D2: run with an unknown flag (--dbb, --worker) runs nothing and writes nothing', async () => {
    for (const typo of [['--dbb', 'mine.db'], ['--worker', '1']]) {
      const r = await cli(['run', 'p.yaml', ...typo], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`Unknown argument: ${typo[0]!.slice(2)}`));
      assert.equal(r.stdout, '', 'no sweep output');
      assert.ok(!existsSync(path.join(dir, 'results')), 'no default database');
      assert.ok(!existsSync(path.join(dir, 'mine.db')));
    }
  });

  it('D2: best --top -1, 0 and abc are refused before any table is printed', async () => {
    assert.equal((await cli(['run', 'p.yaml', '--db', 'x.db'], dir)).code, 0);
    for (const top of ['-1', '0', 'abc', '1.5']) {
      const r = await cli(['best', 'p', '--db', 'x.db', '--top', top], dir);
      assert.equal(r.code, 2, top);
      assert.equal(r.stdout, '', top);
      assert.match(r.stderr, /--top: expected an integer ≥ 1, got/);
    }
    const ok = await cli(['best', 'p', '--db', 'x.db', '--top', '2', '--json'], dir);
    assert.equal((JSON.parse(ok.stdout) as unknown[]).length, 2);
  });

  it('D2: list --frob prints no table; a repeated single-valued flag is refused', async () => {
    const r = await cli(['list', '--frob', '--db', 'x.db'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const twice = await cli(['list', '--db', 'x.db', '--db', 'y.db'], dir);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /--db was given 2 times; give it once/);
    const workers = await cli(['run', 'p.yaml', '--db', 'z.db', '--workers', '1', '--workers', '2'], dir);
    assert.equal(workers.code, 2);
    assert.ok(!existsSync(path.join(dir, 'z.db')));
  });

  it('D23: --workers is bounded by 256 like the file\'s workers, and run --top is checked', async () => {
    for (const [flag, value, message] of [
      ['--workers', '300', /--workers: expected an integer from 1 to 256, got 300/],
      ['--workers', '100000', /--workers: expected an integer from 1 to 256/],
      ['--top', '-5', /--top: expected an integer ≥ 1, got -5/],
      ['--top', 'abc', /--top: expected an integer ≥ 1, got something that is not a number/],
    ] as const) {
      const r = await cli(['run', 'p.yaml', '--db', 'w.db', flag, value], dir);
      assert.equal(r.code, 2, `${flag} ${value}`);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(path.join(dir, 'w.db')));
    }
  });

  it('D29: an unknown command gets a did-you-mean; a trial number that is not a number is refused', async () => {
    const r = await cli(['bset', 'p'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'unknown command "bset"; did you mean "best"? (commands: run, agent, validate, list, status, stop, trials, best, importance, report, dashboard, export, export-model, enqueue, import, copy, note, rename, delete, schema, trial)');
    const t = await cli(['export-model', 'p', 'abc', '--db', 'x.db', '--out', 'o'], dir);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /trial: expected an integer ≥ 0, got something that is not a number/);
  });

  it('D27: the copy-paste hint quotes a --db path that a shell would split', async () => {
    const r = await runCli(['run', 'p.yaml', '--db', 'my results.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /more with: tfsweep best p --db 'my results\.db', tfsweep export p --db 'my results\.db'/);
  });
});

describe('audit D16/D22: bad database files and paths are one line, exit 2, and left untouched', () => {
  let dir = '';
  before(async () => {
    dir = await folderWithSweep('good.db');
  });

  it('D16: text, random bytes, a folder, an empty path, a truncated file and a foreign SQLite file', async () => {
    writeFileSync(path.join(dir, 'text.db'), 'not a db\n');
    writeFileSync(path.join(dir, 'random.db'), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 251)));
    mkdirSync(path.join(dir, 'dir.db'));
    const good = new Database(path.join(dir, 'good.db'));
    good.pragma('wal_checkpoint(TRUNCATE)');
    good.close();
    writeFileSync(path.join(dir, 'trunc.db'), (await import('node:fs')).readFileSync(path.join(dir, 'good.db')).subarray(0, 8192));
    const foreign = new Database(path.join(dir, 'foreign.db'));
    foreign.exec('CREATE TABLE invoices (id INTEGER)');
    foreign.close();
    const cases: Array<[string, RegExp]> = [
      ['text.db', /text\.db: not a tfsweep database \(file is not a database\)$/],
      ['random.db', /random\.db: not a tfsweep database/],
      ['dir.db', /dir\.db: is a folder, not a database file$/],
      ['', /--db: expected a database file path or a postgres:\/\/ URL, got an empty string$/],
      ['trunc.db', /trunc\.db: not a tfsweep database \(database disk image is malformed\)$/],
      ['foreign.db', /foreign\.db: not a tfsweep database \(it holds other tables: invoices\)$/],
    ];
    for (const [db, message] of cases) {
      for (const args of [['list', '--db', db], ['run', 'p.yaml', '--db', db]]) {
        const r = await cli(args, dir);
        assert.ok(isOneLineError(r), `${args.join(' ')}: ${r.code} ${r.stderr}`);
        assert.match(r.stderr.trim(), message, args.join(' '));
      }
    }
    // Files that are not tfsweep databases are never modified, let alone migrated.
    assert.equal((await import('node:fs')).readFileSync(path.join(dir, 'text.db'), 'utf8'), 'not a db\n');
    assert.deepEqual(query(path.join(dir, 'foreign.db'), "SELECT name FROM sqlite_master WHERE type = 'table'"), [{ name: 'invoices' }]);
  });

  it('D16: a database whose folder would sit under a file, and outputs that cannot be written', async () => {
    writeFile(dir, 'existing.txt', 'x');
    const cases: Array<[string[], RegExp]> = [
      [['run', 'p.yaml', '--db', 'existing.txt/x.db'], /cannot create its folder .*existing\.txt \(a file is in the way\)/],
      [['export', 'p', '--db', 'good.db', '--out', 'existing.txt/x.csv'], /cannot write it: a part of the path is a file, not a folder/],
      [['export', 'p', '--db', 'good.db', '--out', '.'], /is a folder; give a file name/],
      [['export-model', 'p', '--db', 'good.db', '--out', 'existing.txt'], /has no completed trial|has no saved model|is a file; give a folder/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, dir);
      assert.ok(isOneLineError(r), `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('D16: an edited tfsweep database (a table dropped, a value that is not JSON) is one line, not a stack trace', async () => {
    const { copyFileSync } = await import('node:fs');
    for (const [name, sql, message] of [
      ['dropped.db', 'DROP TABLE executions', /the database is damaged: table\(s\) executions missing$/],
      ['badjson.db', "UPDATE trial_params SET value_json = '{bad'", /the database is damaged: a value in trial_params\.value_json is not JSON/],
    ] as const) {
      copyFileSync(path.join(dir, 'good.db'), path.join(dir, name));
      const db = new Database(path.join(dir, name));
      db.exec(sql);
      db.close();
      const r = await cli(['trials', 'p', '--db', name], dir);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr.trim(), message);
    }
  });

  it('D22: read commands on a database from a newer tfsweep say to upgrade tfsweep', async () => {
    const file = path.join(dir, 'newer.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    for (const args of [['list'], ['best', 'p'], ['run', 'p.yaml']]) {
      const r = await cli([...args, '--db', 'newer.db'], dir);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /database schema version 99 is newer than this tfsweep understands \(\d+\); upgrade tfsweep$/m);
    }
  });
});

describe('audit D30: export-model writes a new or empty folder, never into the model itself', () => {
  const dir = tempDir();
  let modelDir = '';
  before(async () => {
    writeFile(dir, 'grid.yaml', tinySweep('em').replace('units: {values: [16, 32]}', 'units: {values: [16]}').replace('[0.01, 0.001]', '[0.01]'));
    const r = await runCli(['run', 'grid.yaml', '--db', 'x.db', '--workers', '1'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    modelDir = path.join(dir, 'em', 'trial-0000');
    assert.ok(existsSync(path.join(modelDir, 'model.json')));
  });

  it('D30: --out inside the saved model, or the model folder itself, is refused and creates nothing there', async () => {
    for (const out of [path.join(modelDir, 'sub'), modelDir, path.join(dir, 'em')]) {
      const r = await cli(['export-model', 'em', '--db', 'x.db', '--out', out], dir);
      assert.ok(isOneLineError(r), r.stderr);
    }
    assert.deepEqual(readdirSync(modelDir).sort(), ['model.json', 'weights.bin']);
  });

  it('D30: a non-empty --out is refused unless --force; a new folder gets exactly the model', async () => {
    mkdirSync(path.join(dir, 'keep'));
    writeFile(dir, 'keep/notes.txt', 'mine');
    const refused = await cli(['export-model', 'em', '--db', 'x.db', '--out', 'keep'], dir);
    assert.ok(isOneLineError(refused));
    assert.match(refused.stderr, /the folder is not empty; choose another, or pass --force/);
    assert.deepEqual(readdirSync(path.join(dir, 'keep')), ['notes.txt']);
    const forced = await cli(['export-model', 'em', '--db', 'x.db', '--out', 'keep', '--force'], dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(readdirSync(path.join(dir, 'keep')).sort(), ['model.json', 'notes.txt', 'weights.bin']);
    const fresh = await cli(['export-model', 'em', '--db', 'x.db', '--out', 'new/deep'], dir);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.deepEqual(readdirSync(path.join(dir, 'new', 'deep')).sort(), ['model.json', 'weights.bin']);
    assert.deepEqual(readdirSync(path.join(dir, 'new')), ['deep'], 'no temporary folder left');
  });
});
