/** What the regression tests of the reliability audit share: in-process CLI runs, objectives, databases. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cli, tempDir, writeFile } from './helpers.js';

export { cli } from './helpers.js';


/** An objective module reporting `steps` steps of `value: p.x + step` and returning p.x. */
export function objective(dir: string, file = 'obj.mjs', steps = 3, waitMs = 0): string {
  return writeFile(
    dir,
    file,
    `export default async (p, trial) => { for (let e = 1; e <= ${steps}; e++) trial.report(e, { value: p.x + e }); await new Promise((r) => setTimeout(r, ${waitMs})); return p.x; };\n`,
  );
}

/** A random-search program sweep over x in [0, 1]. */
export function programSweep(name: string, runCap: number, extra = '', program = './obj.mjs'): string {
  return `name: ${name}\nmethod: random\nseed: 3\nrun_cap: ${runCap}\nworkers: 2\nprogram: ${program}\nparameters:\n  x: {min: 0.0, max: 1.0}\n${extra}`;
}

/** A new folder holding a finished 3-trial program sweep "p" (objective obj.mjs, file p.yaml) in `db`. */
export async function folderWithSweep(db: string): Promise<string> {
  const dir = tempDir();
  objective(dir);
  writeFile(dir, 'p.yaml', programSweep('p', 3));
  const r = await cli(['run', 'p.yaml', '--db', db], dir);
  if (r.code !== 0) throw new Error(`the setup sweep failed: ${r.stderr}`);
  return dir;
}

/** Rows of a query on a database file, opened read-only. */
export function query<T = Record<string, unknown>>(db: string, sql: string, ...params: unknown[]): T[] {
  if (!existsSync(db)) return [];
  let conn: Database.Database | undefined;
  try {
    conn = new Database(db, { readonly: true });
    return conn.prepare(sql).all(...params) as T[];
  } catch (err) {
    // Polled while another process creates the schema: not there yet.
    if (/no such table|database is locked/.test((err as Error).message)) return [];
    throw err;
  } finally {
    conn?.close();
  }
}

/** Trial states of one sweep, by count. */
export function stateCounts(db: string, sweep: string): Record<string, number> {
  const rows = query<{ state: string; n: number }>(
    db,
    'SELECT t.state, COUNT(*) AS n FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ? GROUP BY t.state',
    sweep,
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

/** A one-line error: exit 2, exactly one line on stderr starting "error:", no stack frame. */
export function isOneLineError(r: { code: number | null; stderr: string }): boolean {
  const lines = r.stderr.trimEnd().split('\n');
  return r.code === 2 && lines.length === 1 && lines[0]!.startsWith('error: ') && !/\n\s+at /.test(r.stderr);
}

export const IS_ROOT = process.getuid?.() === 0;

/** A small tmpfs (root only) for disk-full tests; returns an unmount function. */
export function mountTmpfs(dir: string, size: string): () => void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return () => execFileSync('umount', ['-l', dir]);
}

export function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir]);
}

/** Whether mounting works here (root in a container may still be refused). */
export function canMount(): boolean {
  if (!IS_ROOT) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function join(...parts: string[]): string {
  return path.join(...parts);
}
