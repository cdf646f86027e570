import path from 'node:path';
import { UsageError } from '../../errors.js';
import { importIntoFileSweep } from '../../orchestrator/enqueue.js';
import { preflight, runSweep } from '../../orchestrator/run-sweep.js';
import { configurationProblem, completeConfiguration } from '../../space/configuration.js';
import { deriveSeed } from '../../space/rng.js';
import { SqliteStorage } from '../../storage/sqlite.js';
import { openStorage } from '../../storage/open.js';
import { loadSpecFile } from '../../sweep-file/load.js';
import type { LoadedSpec, SweepSpec } from '../../sweep-file/types.js';
import type { ParamValue } from '../../space/distributions.js';
import type { EpochRecord, TrialRecord } from '../../core/records.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation } from '../context.js';
import { println } from '../io.js';

/** `--set k=v`: the value as JSON when it reads as JSON (numbers, true, false, null, quoted strings), else the text. */
function parseSet(pairs: readonly string[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected NAME=VALUE`);
    const text = pair.slice(eq + 1);
    let value: ParamValue = text;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || ['number', 'boolean', 'string'].includes(typeof parsed)) value = parsed as ParamValue;
    } catch {
      // text
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/** Katib's metrics line: `epoch=3 loss=0.25 accuracy=0.9`. */
const line = (step: number, metrics: Record<string, number>) => [`epoch=${step}`, ...Object.entries(metrics).map(([k, v]) => `${k}=${v}`)].join(' ');

export const trialCommand: Command<{ file: string; set: string[]; db?: string; json: boolean }> = {
  command: 'trial <file>',
  describe: "run one configuration of a sweep file (trainer, program or command) and print a name=value line per epoch: a trial for Katib, a W&B agent or Optuna's ask/tell",
  builder: (y) =>
    y
      .positional('file', { describe: 'the sweep file', type: 'string', demandOption: true })
      .option('set', { describe: 'a parameter value, NAME=VALUE (repeatable); parameters not set are drawn', type: 'string', array: true, default: [] })
      .option('db', { ...dbOption, describe: 'record the trial in this database (as an imported trial of the sweep); default: nothing is written' })
      .option('json', jsonOption),
  handler: async (args, io) => {
    const loaded = loadSpecFile(path.resolve(io.cwd, args.file), args.file);
    const { spec } = loaded;
    const given = parseSet(args.set);
    const problem = configurationProblem(spec.parameters, spec.conditions, given);
    if (problem) throw new UsageError(`--set ${problem.name}: ${problem.message}`);
    const params = completeConfiguration(spec.parameters, spec.conditions, given, deriveSeed(spec.seed, 'tfsweep trial'));
    // One trial, run as the sweep would run it, in a database in memory: nothing is written anywhere.
    const one: SweepSpec = { ...spec, method: 'random', run_cap: 1, workers: 1, enqueue: [params], save_models: 0, max_retries: 0, pruner: null };
    delete (one as Partial<SweepSpec>).bayes;
    const single: LoadedSpec = { ...loaded, spec: one };
    await preflight(single);
    const memory = new SqliteStorage(':memory:');
    let trial: TrialRecord | undefined;
    const epochs: EpochRecord[] = [];
    try {
      await runSweep({
        loaded: single,
        storage: memory,
        workers: 1,
        onEvent: (e) => {
          if (e.type === 'epoch') {
            epochs.push(e.epoch);
            // With --json, stdout holds only the record: the lines go to stderr.
            println(args.json ? io.stderr : io.stdout, line(e.epoch.epoch, e.epoch.metrics));
          }
          if (e.type === 'trial-end') trial = e.trial;
        },
      });
    } finally {
      await memory.close();
    }
    if (!trial) throw new UsageError('the trial did not run');
    if (args.json) println(io.stdout, JSON.stringify({ params: trial.params, state: trial.state, value: trial.value, metrics: trial.metrics, ...(trial.error ? { error: trial.error } : {}) }));
    if (trial.state !== 'complete') {
      println(io.stderr, `error: the trial ${trial.state}: ${trial.error ?? ''}`);
      return 1;
    }
    if (args.db !== undefined) {
      const storage = await openStorage(dbLocation(io, args.db));
      try {
        const { sweep, trials } = await importIntoFileSweep(storage, loaded, [{ params: trial.params, metrics: trial.metrics ?? {}, epochs }], () => 'the trial', 'tfsweep trial');
        const kept = trials[0];
        println(io.stderr, `recorded as trial ${kept!.number} of sweep "${sweep.name}" in ${storage.location}`);
      } finally {
        await storage.close();
      }
    }
    return 0;
  },
};
