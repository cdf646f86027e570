import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { enqueueConfigurations, importResults } from '../../orchestrator/enqueue.js';
import { readResultsFile } from '../../orchestrator/results-file.js';
import { resumableSpec } from '../../orchestrator/resume.js';
import { loadSpecFile } from '../../sweep-file/load.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';
import type { SweepSpec } from '../../sweep-file/types.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, withStorage } from '../context.js';
import { openStorage } from '../../storage/open.js';
import { println } from '../io.js';

export const importCommand: Command<{ target: string; results: string; db?: string }> = {
  command: 'import <target> <results>',
  describe: 'known results become complete trials of a sweep (named, or created from a sweep file): JSON [{params, value | values, metrics}] or CSV',
  builder: (y) =>
    y
      .positional('target', { describe: 'a sweep in the database, or a sweep file (the sweep is created if it does not exist)', type: 'string', demandOption: true })
      .positional('results', { describe: 'a .json or .csv file of results', type: 'string', demandOption: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openStorage(dbLocation(io, args.db)), async (storage) => {
      const file = path.resolve(io.cwd, args.target);
      const isFile = /\.(ya?ml|json)$/i.test(args.target) && existsSync(file) && statSync(file).isFile();
      let sweepId: number;
      let spec: SweepSpec;
      let name: string;
      let created = false;
      if (isFile) {
        const loaded = loadSpecFile(file, args.target);
        const stored = await storage.getSweep(loaded.spec.name);
        // The same check as a run's: a stored sweep of that name must have the file's definition.
        spec = stored ? resumableSpec(stored, loaded.spec) : loaded.spec;
        const results = readResultsFile(path.resolve(io.cwd, args.results), args.results, spec.parameters, spec.metrics ?? [spec.metric]);
        if (!results.rows.length) throw new UsageError(`${args.results}: no results in it`);
        const joined = await storage.joinSweep(spec, loaded.source);
        ({ id: sweepId, name } = joined.sweep);
        created = joined.created;
        try {
          const trials = await importResults(storage, sweepId, spec, results.rows, results.where);
          if (created) {
            // As a run that created it would: the file's `enqueue:` configurations wait for the first run.
            if (spec.enqueue?.length) await enqueueConfigurations(storage, sweepId, spec, spec.enqueue, (i) => `enqueue[${i}]`);
            await storage.setSweepState(sweepId, 'stopped', 'created by tfsweep import; run its file to search on');
          }
          println(io.stdout, `${name}: imported ${trials.length} result(s) as complete trials ${trials[0]!.number}–${trials[trials.length - 1]!.number}${created ? ' (a new sweep: run its file to search on from them)' : ''}`);
        } catch (err) {
          // A sweep this command created for rows that were then refused is removed: nothing half-imported.
          if (created) await storage.deleteSweep(sweepId);
          throw err;
        }
        return 0;
      }
      const sweep = await findSweep(storage, args.target);
      spec = sweepSpecOf(sweep);
      const results = readResultsFile(path.resolve(io.cwd, args.results), args.results, spec.parameters, spec.metrics ?? [spec.metric]);
      if (!results.rows.length) throw new UsageError(`${args.results}: no results in it`);
      const trials = await importResults(storage, sweep.id, spec, results.rows, results.where);
      println(io.stdout, `${sweep.name}: imported ${trials.length} result(s) as complete trials ${trials[0]!.number}–${trials[trials.length - 1]!.number}`);
      return 0;
    }),
};
