/**
 * Regression tests for the audit's file-system and output defects (D4, D5, D7, D14, D15, D18, D26, D28):
 * nothing outside the sweep's own folders is deleted, replaced or copied; saves that fail are reported;
 * degenerate datasets are refused; output cannot be abused as formulas, escapes or table syntax.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadMnist } from '../../src/trainer/mnist.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { IS_ROOT, cli, folderWithSweep, isOneLineError, mountTmpfs, query, remount, stateCounts } from '../sweeps.js';

const mnist = loadMnist();

/** IDX files of MNIST's first images (or `rows`×`cols` zero images), plain. */
function idxFolder(dir: string, train: number, test: number, rows = 28, cols = 28): string {
  mkdirSync(dir, { recursive: true });
  const images = (count: number, offset: number): Buffer => {
    const head = Buffer.alloc(16);
    head.writeUInt32BE(2051, 0);
    head.writeUInt32BE(count, 4);
    head.writeUInt32BE(rows, 8);
    head.writeUInt32BE(cols, 12);
    const body = rows === 28 && cols === 28 ? Buffer.from(mnist.train.images.subarray(offset * 784, (offset + count) * 784)) : Buffer.alloc(count * rows * cols);
    return Buffer.concat([head, body]);
  };
  const labels = (count: number, offset: number): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(2049, 0);
    head.writeUInt32BE(count, 4);
    return Buffer.concat([head, Buffer.from(mnist.train.labels.subarray(offset, offset + count))]);
  };
  writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images(train, 0));
  writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), labels(train, 0));
  writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images(test, train));
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), labels(test, train));
  return dir;
}

const tinyTrain = (name: string, dataset: string, lrs: string, extra = ''): string =>
  `name: ${name}\nmethod: grid\nseed: 1\nworkers: 1\n${extra}train: {dataset: "${dataset}", epochs: 1, train_size: 150, units: 64}\nparameters:\n  learning_rate: {values: [${lrs}]}\n`;

describe('audit D4: a folder named by the database is never deleted or copied', () => {
  const dir = tempDir();
  before(async () => {
    idxFolder(path.join(dir, 'data'), 200, 50);
    mkdirSync(path.join(dir, 'victim'));
    writeFile(dir, 'victim/thesis.tex', 'important');
    writeFile(dir, 's.yaml', tinyTrain('m', 'idx:data', '0.01, 0.0001, 0.003', 'save_models: 1\n'));
    const r = await runCli(['run', 's.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  });

  it('D4: a resumed sweep with save_models does not rm -rf a model_path pointing outside its models folder', async () => {
    // A shared or edited database: the worst trial's model_path names the victim, and the sweep is unfinished.
    const db = new Database(path.join(dir, 'x.db'));
    db.prepare("UPDATE sweeps SET state = 'stopped'").run();
    db.prepare("UPDATE trials SET model_path = ? WHERE number = (SELECT number FROM trials ORDER BY value ASC LIMIT 1)").run(path.join(dir, 'victim'));
    db.close();
    const r = await runCli(['run', 's.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path.join(dir, 'victim', 'thesis.tex'), 'utf8'), 'important');
  });

  it('D4: a trial folder that is a symlink out of the models folder is neither copied nor deleted', async () => {
    const best = query<{ number: number; model_path: string }>(path.join(dir, 'x.db'), 'SELECT number, model_path FROM trials WHERE model_path IS NOT NULL')[0]!;
    const link = path.join(dir, 'm', 'trial-0042');
    symlinkSync(path.join(dir, 'victim'), link);
    const db = new Database(path.join(dir, 'x.db'));
    db.prepare('UPDATE trials SET model_path = ? WHERE number = ?').run(link, best.number);
    db.close();
    const r = await cli(['export-model', 'm', '--db', 'x.db', '--out', 'copy'], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, /is not a trial folder inside .*; refusing to copy it/);
    assert.ok(!existsSync(path.join(dir, 'copy')));
    const outside = new Database(path.join(dir, 'x.db'));
    outside.prepare('UPDATE trials SET model_path = ? WHERE number = ?').run(path.join(dir, 'victim'), best.number);
    outside.close();
    const r2 = await cli(['export-model', 'm', '--db', 'x.db', '--out', 'copy'], dir);
    assert.ok(isOneLineError(r2), r2.stderr);
    assert.equal(readFileSync(path.join(dir, 'victim', 'thesis.tex'), 'utf8'), 'important');
  });
});

describe('audit D15: models of trials that did not complete are removed', () => {
  it('D15: an interrupted trial\'s folder and a half-written save go; a stranger\'s folder and the kept models stay', async () => {
    const dir = tempDir();
    idxFolder(path.join(dir, 'data'), 200, 50);
    writeFile(dir, 's.yaml', tinyTrain('o', 'idx:data', '0.01, 0.003'));
    assert.equal((await runCli(['run', 's.yaml', '--db', 'x.db'], { cwd: dir })).code, 0);
    // As a kill -9 during trial 1 leaves it: running, its first execution's model already on disk.
    const db = new Database(path.join(dir, 'x.db'));
    db.prepare("UPDATE trials SET state = 'running', model_path = NULL WHERE number = 1").run();
    db.prepare("UPDATE sweeps SET state = 'running', owner = 'gone-host/1', heartbeat_at = '2020-01-01T00:00:00.000Z'").run();
    db.close();
    const models = path.join(dir, 'o');
    mkdirSync(path.join(models, 'trial-0001.tmp-99999'));
    mkdirSync(path.join(models, 'trial-0777'));
    mkdirSync(path.join(models, 'notes'));
    const r = await runCli(['run', 's.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const rows = query<{ number: number; state: string; model_path: string | null }>(path.join(dir, 'x.db'), 'SELECT number, state, model_path FROM trials ORDER BY number');
    // Trial 1 ran again as itself: its half-written save went, and its folder holds the model of its new run.
    assert.deepEqual(rows.map((t) => t.state), ['complete', 'complete']);
    assert.deepEqual(readdirSync(models).sort(), ['notes', 'trial-0000', 'trial-0001', 'trial-0777']);
  });
});

describe('audit D7: a model that cannot be saved is a failed save, not a failed trial', () => {
  it('D7: disk full while saving keeps the trial\'s result, leaves no partial save, stops the sweep; a rerun goes on', async (t) => {
    if (!IS_ROOT) return t.skip('needs root to mount a small tmpfs');
    const dir = tempDir();
    idxFolder(path.join(dir, 'data'), 200, 50);
    const mnt = path.join(dir, 'mnt');
    mkdirSync(mnt);
    mkdirSync(path.join(dir, 'db'));
    let unmount: () => void;
    try {
      unmount = mountTmpfs(mnt, '700k');
    } catch {
      return t.skip('mounting is not allowed here');
    }
    try {
      // The models folder (db/msave) lives on the small disk; the database does not.
      symlinkSync(mnt, path.join(dir, 'db', 'msave'));
      writeFile(dir, 'msave.yaml', tinyTrain('msave', 'idx:data', '0.01, 0.003, 0.001, 0.0003').replace('units: 64', 'units: 128'));
      const full = await runCli(['run', 'msave.yaml', '--db', 'db/x.db'], { cwd: dir });
      assert.equal(full.code, 1, full.stdout + full.stderr);
      assert.match(full.stdout, /model could not be saved \(ENOSPC: no space left on device/);
      const db = path.join(dir, 'db', 'x.db');
      const rows = query<{ number: number; state: string; error: string | null; model_path: string | null }>(db, 'SELECT number, state, error, model_path FROM trials ORDER BY number');
      assert.ok(rows.every((r) => r.state === 'complete'), JSON.stringify(rows));
      const unsaved = rows.filter((r) => r.model_path === null);
      assert.ok(unsaved.length >= 1 && unsaved.every((r) => /^model not saved: ENOSPC/.test(r.error ?? '')), JSON.stringify(rows));
      assert.deepEqual(readdirSync(mnt).filter((f) => f.includes('.tmp-')), [], 'no partial save left');
      remount(mnt, 'size=64m');
      const again = await runCli(['run', 'msave.yaml', '--db', 'db/x.db'], { cwd: dir });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(stateCounts(db, 'msave').complete, 4);
      assert.equal(query(db, "SELECT 1 FROM trials WHERE state != 'complete'").length, 0, 'no grid point lost');
    } finally {
      unmount();
    }
  });
});

describe('audit D5: export --out never replaces a symlink, FIFO or device', () => {
  let dir = '';
  before(async () => {
    dir = await folderWithSweep('x.db');
  });

  it('D5: through a symlink the target file is replaced and the link stays', async () => {
    mkdirSync(path.join(dir, 'shared'));
    writeFile(dir, 'shared/report.csv', 'old\n');
    symlinkSync('shared/report.csv', path.join(dir, 'link.csv'));
    const r = await cli(['export', 'p', '--db', 'x.db', '--out', 'link.csv'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(path.join(dir, 'link.csv')).isSymbolicLink());
    assert.equal(readlinkSync(path.join(dir, 'link.csv')), 'shared/report.csv');
    assert.match(readFileSync(path.join(dir, 'shared', 'report.csv'), 'utf8'), /^rank,number,value/);
  });

  it('D5: a FIFO is written through to its reader, and stays a FIFO', async (t) => {
    try {
      execFileSync('mkfifo', [path.join(dir, 'f.csv')]);
    } catch {
      return t.skip('mkfifo is not available');
    }
    const reader = new Promise<string>((resolve) => {
      const cat = spawn('cat', [path.join(dir, 'f.csv')]);
      let text = '';
      cat.stdout.on('data', (d: Buffer) => (text += d.toString()));
      cat.on('close', () => resolve(text));
    });
    const r = await cli(['export', 'p', '--db', 'x.db', '--out', 'f.csv'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await reader, /^rank,number,value/);
    assert.ok(lstatSync(path.join(dir, 'f.csv')).isFIFO());
  });

  it('D5: a character device is written through, never replaced (a private copy of /dev/null)', async (t) => {
    if (!IS_ROOT) return t.skip('mknod needs root');
    const dev = path.join(dir, 'null');
    try {
      execFileSync('mknod', [dev, 'c', '1', '3']);
    } catch {
      return t.skip('mknod is not allowed here');
    }
    const r = await cli(['export', 'p', '--db', 'x.db', '--out', 'null'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(dev).isCharacterDevice());
  });

  it('D5: a failed write (the target is a folder) says so and leaves no temporary file', async () => {
    mkdirSync(path.join(dir, 'd'));
    const r = await cli(['export', 'p', '--db', 'x.db', '--out', 'd'], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });
});

describe('audit D14/D18: datasets that cannot train anything are refused before anything is written', () => {
  const dir = tempDir();
  const cases: Array<[string, () => string, RegExp]> = [
    ['0×0-pixel images', () => `idx:${idxFolder(path.join(dir, 'zero'), 100, 20, 0, 0)}`, /its images are 0×0 pixels: nothing to learn from/],
    ['no images', () => `idx:${idxFolder(path.join(dir, 'none'), 0, 0)}`, /holds no images/],
    ['a one-row CSV', () => `csv:${writeFile(dir, 'one.csv', 'label,a,b,c,d\n1,0,0,0,0\n')}`, /all have label 1: a classifier needs at least 2 classes/],
    ['a header-only CSV', () => `csv:${writeFile(dir, 'head.csv', 'label,a,b,c,d\n')}`, /no data rows \(only a header\)/],
    [
      'a corrupt .gz',
      () => {
        const d = path.join(dir, 'gz');
        mkdirSync(d);
        writeFileSync(path.join(d, 'train-images-idx3-ubyte.gz'), Buffer.from([0x1f, 0x8b, 0x67, 0x61, 0x72, 0x62]));
        writeFileSync(path.join(d, 'train-labels-idx1-ubyte'), '');
        return `idx:${d}`;
      },
      /train-images-idx3-ubyte\.gz: not a readable gzip file \(unknown compression method\)/,
    ],
    [
      'a truncated .gz',
      () => {
        const d = path.join(dir, 'tgz');
        idxFolder(d, 100, 20);
        writeFileSync(path.join(d, 'train-images-idx3-ubyte.gz'), gzipSync(readFileSync(path.join(d, 'train-images-idx3-ubyte'))).subarray(0, 500));
        execFileSync('rm', [path.join(d, 'train-images-idx3-ubyte')]);
        return `idx:${d}`;
      },
      /not a readable gzip file \(unexpected end of file\)/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`D14/D18: ${what}`, async () => {
      const dataset = make();
      const file = `${what.replace(/\W+/g, '-')}.yaml`;
      writeFile(dir, file, `name: d\nmethod: grid\nseed: 1\ntrain: {dataset: "${dataset}", epochs: 1}\nparameters:\n  learning_rate: {values: [0.01]}\n`);
      const db = `${file}.db`;
      const r = await cli(['run', file, '--db', db], dir);
      assert.ok(isOneLineError(r), `${what}: ${r.stderr}`);
      assert.match(r.stderr, /train\.dataset: /);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(path.join(dir, db)));
    });
  }
});

describe('audit D26/D28: exports and tables cannot be abused through stored strings', () => {
  const dir = tempDir();
  before(async () => {
    writeFile(dir, 'obj.mjs', 'export default (p) => p.x;\n');
    writeFile(
      dir,
      'inj.yaml',
      'name: inj\nmethod: grid\nprogram: ./obj.mjs\nparameters:\n  x: {values: [1, 2, 3]}\n' +
        '  label: {values: ["\\e[2J\\e[31mRED", "=HYPERLINK(\\"http://evil.example/\\",\\"click\\")", "a|b\\nc"]}\n  rank: {value: 7}\n',
    );
    const r = await cli(['run', 'inj.yaml', '--db', 'x.db'], dir);
    assert.equal(r.code, 0, r.stderr);
  });

  it('D26: CSV column names are unique (a program\'s metric "value", a parameter named "rank")', async () => {
    const r = await cli(['export', 'inj', '--db', 'x.db'], dir);
    const header = r.stdout.split('\n')[0]!.split(',');
    assert.deepEqual(header, ['rank', 'number', 'value', 'x', 'label', 'param:rank', 'metric:value', 'duration_s']);
  });

  it('D28: no raw escape reaches the terminal; formulas are neutralised in CSV; Markdown cells are escaped', async () => {
    for (const args of [['trials', 'inj'], ['best', 'inj'], ['status', 'inj'], ['list']]) {
      const r = await cli([...args, '--db', 'x.db'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /\x1b/, args.join(' '));
    }
    const trials = await cli(['trials', 'inj', '--db', 'x.db'], dir);
    assert.match(trials.stdout, /\\x1b\[2J\\x1b\[31mRED/);
    const csv = (await cli(['export', 'inj', '--db', 'x.db'], dir)).stdout;
    assert.match(csv, /,"'=HYPERLINK\(""http:\/\/evil\.example\/"",""click""\)",/);
    assert.doesNotMatch(csv, /,"?=HYPERLINK/);
    const md = (await cli(['export', 'inj', '--db', 'x.db', '--format', 'md'], dir)).stdout;
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    assert.equal(rows.length, 11, md);
    // Every row has the header's 9 cell borders: no value added a column or broke the row.
    for (const row of rows) assert.equal(row.replace(/\\\|/g, '').split('|').length - 1, 9, row);
    assert.match(md, /a\\\|b\\nc/);
    const json = JSON.parse((await cli(['export', 'inj', '--db', 'x.db', '--format', 'json'], dir)).stdout) as { trials: Array<{ params: { label: string } }> };
    assert.ok(json.trials.some((t) => t.params.label === 'a|b\nc'), 'JSON keeps the value exactly');
  });
});
