/**
 * Writing a user-named output file whole or not at all, without harming what the name points at: a symlink
 * is followed (its target is replaced, the link stays), a FIFO, device or socket is written through (never
 * replaced by a regular file), a folder is refused, and a failed write leaves no temporary file behind.
 */
import { lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UsageError, errnoCode } from '../errors.js';

function statOrNull(file: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(file) : lstatSync(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    if (errnoCode(err) === 'ENOTDIR') throw new UsageError(`${file}: cannot write it: a part of the path is a file, not a folder`);
    throw new UsageError(`${file}: cannot write it (${errnoCode(err) ?? String(err)})`);
  }
}

function cannot(file: string, err: unknown): UsageError {
  const code = errnoCode(err);
  const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of the path is a file, not a folder' : err instanceof Error ? err.message : String(err);
  return new UsageError(`${file}: cannot write it (${why})`);
}

/** Writes `text` to `target` as described above; returns the path of the file actually written. */
export function writeFileSafely(target: string, text: string | Uint8Array): string {
  let real = target;
  let stats = statOrNull(target, false);
  if (stats?.isSymbolicLink()) {
    stats = statOrNull(target, true);
    if (!stats) throw new UsageError(`${target}: is a symbolic link to a file that does not exist`);
    real = realpathSync(target);
  }
  if (stats?.isDirectory()) throw new UsageError(`${target}: is a folder; give a file name`);
  if (stats && !stats.isFile()) {
    // A FIFO, device or socket: what is written goes to whoever reads it, as with a shell's `>`.
    try {
      writeFileSync(real, text);
    } catch (err) {
      throw cannot(target, err);
    }
    return real;
  }
  const dir = path.dirname(real);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw cannot(target, err);
  }
  const tmp = path.join(dir, `.${path.basename(real)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    writeFileSync(tmp, text, { flag: 'wx', mode: stats ? stats.mode & 0o777 : 0o666 });
    renameSync(tmp, real);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw cannot(target, err);
  }
  return real;
}
