import { UsageError } from '../../errors.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openExisting, withStorage } from '../context.js';
import { println } from '../io.js';

/** A note of at most this many characters: it is shown in tables and exports. */
export const MAX_NOTE = 2000;

export const noteCommand: Command<{ sweep: string; first?: string; second?: string; db?: string; clear: boolean }> = {
  command: 'note <sweep> [first] [second]',
  describe: 'note something on a sweep or on one of its trials: `tfsweep note SWEEP [TRIAL] "TEXT"` (--clear removes it)',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .positional('first', { describe: 'the text, or a trial number followed by the text', type: 'string' })
      .positional('second', { describe: 'the text, after a trial number', type: 'string' })
      .option('clear', { describe: 'remove the note (of the sweep, or of the trial named)', type: 'boolean', default: false })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openExisting(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      // TRIAL TEXT, or TEXT alone; with --clear, an optional TRIAL.
      const numbered = (s: string | undefined) => s !== undefined && /^\d+$/.test(s);
      const trial = args.second !== undefined || (args.clear && numbered(args.first)) ? args.first : undefined;
      if (trial !== undefined && !numbered(trial)) throw new UsageError(`"${trial}" is not a trial number: \`tfsweep note SWEEP [TRIAL] "TEXT"\` (quote a text of several words)`);
      const text = (args.second ?? (trial === undefined ? args.first : undefined) ?? '').trim();
      if (!args.clear && !text) throw new UsageError('no text to note: `tfsweep note SWEEP [TRIAL] "TEXT"` (or --clear to remove a note)');
      if (text.length > MAX_NOTE) throw new UsageError(`the note has ${text.length} characters; at most ${MAX_NOTE}`);
      const number = trial === undefined ? null : Number(trial);
      const done = await storage.setNote(sweep.id, number, args.clear ? null : text);
      if (!done) throw new UsageError(`sweep "${sweep.name}" has no trial ${number}`);
      println(io.stdout, `${sweep.name}${number === null ? '' : `, trial ${number}`}: ${args.clear ? 'note removed' : 'noted'}`);
      return 0;
    }),
};
