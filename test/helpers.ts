import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import assert from 'node:assert/strict';
import { SpecError } from '../src/errors.js';
import { parseSpecText } from '../src/sweep-file/load.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'tfsweep.js');

export function tempDir(prefix = 'tfsweep-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `tfsweep` binary in a child process, as a user would. */
export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, TFSWEEP_DB: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A tiny grid over learning rate × units on a few hundred MNIST images, 1 epoch: seconds per trial. */
export function tinySweep(name: string, extra = ''): string {
  return `name: ${name}
method: grid
seed: 11
metric: {name: val_accuracy, goal: maximize}
parameters:
  learning_rate: {values: [0.01, 0.001]}
  units: {values: [16, 32]}
train: {epochs: 1, train_size: 400, batch_size: 32}
${extra}`;
}

export interface InProcess {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured output, as `main(argv)` is documented to be used. */
export async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<InProcess> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: CliIo = { stdout, stderr, tty: false, env, cwd };
  const code = await main(args, io);
  return { code, stdout: out, stderr: err };
}


/** Parses a sweep file's text expecting it to be refused; returns the one-line message the CLI would print. */
export function specErrorOf(text: string, file = 'sweep.yaml'): string {
  try {
    parseSpecText(text, file);
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected a SpecError, got ${String(err)}`);
    return err.format();
  }
  assert.fail('expected the sweep file to be refused');
}
