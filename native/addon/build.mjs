// Builds tfsweep's native CPU kernels (native/addon) at `npm install`, with the node-gyp npm ships. It never
// fails the install: without a C compiler, on another architecture, or when the build breaks, it says so in one
// line and tfsweep trains with its wasm kernels. TFSWEEP_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const say = (line) => console.log(`tfsweep native kernels: ${line}`);

function nodeGyp() {
  // npm tells its lifecycle scripts where its node-gyp is; else the copy inside npm itself.
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((p) => p && existsSync(p));
}

if (process.env.TFSWEEP_SKIP_NATIVE === '1') {
  say('skipped (TFSWEEP_SKIP_NATIVE=1); the wasm kernels are used');
} else if (process.arch !== 'x64') {
  say(`not built: they are for x86-64, this is ${process.arch}; the wasm kernels are used`);
} else {
  const gyp = nodeGyp();
  if (!gyp) {
    say("not built: npm's node-gyp was not found; the wasm kernels are used");
  } else {
    const run = spawnSync(process.execPath, [gyp, 'rebuild', '--loglevel=error'], { cwd: here, encoding: 'utf8' });
    if (run.status === 0) say('built');
    else {
      // The most telling line: a missing tool or file first, then the first error node-gyp names.
      const lines = `${run.stderr ?? ''}\n${run.stdout ?? ''}`.split('\n').map((l) => l.replace(/^gyp ERR! (stack )?/, '').trim());
      const why = lines.find((l) => /not found|No such file|can't find|could not find/i.test(l)) ?? lines.find((l) => /error/i.test(l) && !/configure error|build error/.test(l)) ?? `node-gyp exited with ${run.status}`;
      say(`not built (${why.slice(0, 200)}); the wasm kernels are used`);
    }
  }
}
