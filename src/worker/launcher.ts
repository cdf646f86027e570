/**
 * Runs one trial's command for tfsweep and makes sure it never outlives tfsweep. tfsweep starts this small
 * process as the leader of a process group of its own (`detached`), with an IPC channel; the command runs
 * in the same group, its output straight to tfsweep's pipes. When tfsweep ends in any way, `kill -9`
 * included, the channel closes: the launcher then sends SIGTERM to the whole group (the command and anything
 * it started), and SIGKILL after the grace period. tfsweep stops a trial (pruning, `stop --now`) the same
 * way, by signalling the group.
 *
 *   node launcher.js GRACE_MS -- COMMAND ARGS…
 */
import { spawn } from 'node:child_process';

const [graceArg, separator, ...argv] = process.argv.slice(2);
if (separator !== '--' || argv.length === 0) {
  process.stderr.write('usage: launcher GRACE_MS -- COMMAND ARGS…\n');
  process.exit(2);
}
const graceMs = Number(graceArg);

const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
let ending = false;

/** SIGTERM to the group (the launcher ignores it), then SIGKILL to the group, the launcher included. */
function endGroup(): void {
  if (ending) return;
  ending = true;
  try {
    process.kill(-process.pid, 'SIGTERM');
  } catch {
    // The group is empty but for this process.
  }
  setTimeout(() => process.kill(-process.pid, 'SIGKILL'), graceMs);
}

// tfsweep signals the group: the command gets its SIGTERM and the grace period; the launcher stays to enforce it.
process.on('SIGTERM', endGroup);
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// tfsweep is gone (its end closed the channel).
process.on('disconnect', endGroup);

child.on('error', (err) => {
  process.stderr.write(`cannot start ${JSON.stringify(argv[0])}: ${err.message}\n`);
  process.exitCode = 127;
  process.disconnect?.();
});
child.on('exit', (code, signal) => {
  // What the command left behind in the group goes with it; the exit status reaches tfsweep on the channel
  // first (the group's SIGKILL ends this process too).
  const status = { code, signal };
  const finish = () => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(code ?? 1);
    }
  };
  if (process.send && process.connected) process.send(status, finish);
  else finish();
});
