import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { fileSpecIn, importIntoFileSweep, importResults } from '../../orchestrator/enqueue.js';
import { readResultsFile } from '../../orchestrator/results-file.js';
import { loadSpecFile } from '../../sweep-file/load.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';
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
      const loaded = isFile ? loadSpecFile(file, args.target) : null;
      const existing = loaded ? null : await findSweep(storage, args.target);
      // Read and checked whole before anything is written: a bad results file writes nothing.
      const spec = loaded ? fileSpecIn(await storage.getSweep(loaded.spec.name), loaded) : sweepSpecOf(existing!);
      const results = readResultsFile(path.resolve(io.cwd, args.results), args.results, spec.parameters, spec.metrics ?? [spec.metric]);
      if (!results.rows.length) throw new UsageError(`${args.results}: no results in it`);
      const { sweep, trials, created } = loaded
        ? await importIntoFileSweep(storage, loaded, results.rows, results.where, 'tfsweep import')
        : { sweep: existing!, trials: await importResults(storage, existing!.id, spec, results.rows, results.where), created: false };
      const span = `${trials[0]!.number}–${trials[trials.length - 1]!.number}`;
      println(io.stdout, `${sweep.name}: imported ${trials.length} result(s) as complete trials ${span}${created ? ' (a new sweep: run its file to search on from them)' : ''}`);
      return 0;
    }),
};
