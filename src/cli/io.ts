/** Where CLI output goes; tests pass their own streams to run commands in-process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stdout is a terminal: chooses the live progress display over plain lines. */
  tty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, tty: Boolean(process.stdout.isTTY), env: process.env, cwd: process.cwd() };
}

export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
