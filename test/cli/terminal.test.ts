/**
 * What a person sees at the end of `tfsweep run` on a terminal: a real pseudo-terminal (tmux, 150×40), its
 * screen captured once the command has ended. The progress bars are gone, nothing is drawn over the final
 * leaderboard, and no bar says "waiting for the next trial" while the best model is evaluated.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BIN, tempDir, tinySweep, writeFile } from '../helpers.js';

const TMUX = ['/usr/bin/tmux', '/bin/tmux'].find((p) => existsSync(p));
const SKIP: string | false = TMUX ? false : 'no tmux: install Debian\'s tmux package (.ci/run does) to see the terminal screen';

describe('the end of a run on a terminal', { skip: SKIP }, () => {
  it('leaves the trial lines, the evaluation line and the whole leaderboard on screen, and no bar', () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', tinySweep('tty-end'));
    const socket = path.join(dir, 'tmux.sock');
    const tmux = (...args: string[]): string => execFileSync(TMUX!, ['-S', socket, ...args], { encoding: 'utf8' });
    const command = `cd ${JSON.stringify(dir)} && TFSWEEP_DB= ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run s.yaml --db r.db; tmux -S ${JSON.stringify(socket)} wait-for -S ran; sleep 60`;
    tmux('new-session', '-d', '-x', '150', '-y', '40', '-s', 'run', command);
    try {
      const waited = spawnSync(TMUX!, ['-S', socket, 'wait-for', 'ran'], { timeout: 120_000 });
      assert.equal(waited.status, 0, 'the run ended');
      const screen = tmux('capture-pane', '-p', '-t', 'run').split('\n').map((l) => l.trimEnd());
      while (screen.length && screen[screen.length - 1] === '') screen.pop();
      const text = screen.join('\n');
      assert.doesNotMatch(text, /[░█]/, `no progress bar is left on screen:\n${text}`);
      assert.doesNotMatch(text, /waiting for the next trial/);
      // The screen, line by line: the start, four trial lines, the evaluation, the summary, the table, the pointer.
      assert.match(screen[0]!, /^sweep tty-end: grid search, 4 trials, \d worker\(s\), val_accuracy \(maximize\)$/);
      for (let i = 1; i <= 4; i++) assert.match(screen[i]!, new RegExp(`^\\[${i}/4\\] trial \\d complete val_accuracy=`));
      assert.match(screen[5]!, /^every trial is done; evaluating the best model \(trial \d\) once on the test split…$/);
      assert.equal(screen[6], 'tty-end: 4 trial(s) complete');
      assert.match(screen[7]!, /^┌─+┬/);
      assert.match(screen[8]!, /^│ rank │ # +│ val_accuracy │ test_accuracy │/);
      for (let i = 9; i <= 12; i++) assert.match(screen[i]!, new RegExp(`^│ ${i - 8} +│ \\d │ 0\\.\\d+ +│`));
      assert.match(screen[13]!, /^└─+┴.*┘$/);
      assert.match(screen[14]!, /^saved in .*r\.db; more with: tfsweep best tty-end --db r\.db, tfsweep export tty-end --db r\.db$/);
      assert.equal(screen.length, 15, `nothing after the pointer line:\n${text}`);
    } finally {
      spawnSync(TMUX!, ['-S', socket, 'kill-server']);
    }
  });
});
