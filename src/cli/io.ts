import { createInterface } from 'node:readline/promises';
/** Where CLI output goes; tests pass their own streams to run commands in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stdout is a terminal: chooses the live progress display over plain lines. */
  tty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ends a long-running command (the dashboard) as Ctrl-C would: for programs that run the CLI in-process. */
  signal?: AbortSignal;
  /** Asks a person a question and returns the answer: only where there is a terminal to ask on. */
  ask?: (question: string) => Promise<string>;
}

export function processIo(): CliIo {
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    tty: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    ...(terminal ? { ask: askOnTerminal } : {}),
  };
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that goes away (`tfsweep run … | head -1`, a closed terminal) makes writes fail with EPIPE or EIO.
 * Output is then lost, but the sweep must go on: without a listener the error event would kill the process.
 */
export function guardStreams(io: CliIo): void {
  for (const stream of [io.stdout, io.stderr]) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', () => {});
  }
}

export function println(stream: NodeJS.WritableStream, text = ''): void {
  const s = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  if (s.destroyed || s.writableEnded) return;
  stream.write(`${text}\n`);
}
