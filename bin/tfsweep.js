#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// The command has ended and only its output is left to flush: a Ctrl-C (or SIGTERM, SIGHUP) now changes
// nothing, and must not replace the exit code with a death by signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
// Exit explicitly: a worker thread or handle left behind must not keep a finished command alive. A stdout
// whose reader has gone cannot flush: exit at once then.
if (process.stdout.destroyed || process.stdout.writableEnded) process.exit(code);
else {
  process.stdout.write('', () => process.exit(code));
  // A reader that stopped reading without going away would hold the flush (and, signals ignored, the
  // process) forever: what it has not read after 5 s is dropped.
  setTimeout(() => process.exit(code), 5000).unref();
}
