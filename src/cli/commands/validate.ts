import path from 'node:path';
import { objectivesInput, plannedTrialCount, samplerOf, samplerSettings } from '../../samplers/index.js';
import { describeConstraint } from '../../core/metric.js';
import { describe as describeDist } from '../../space/distributions.js';
import { loadSpecFile } from '../../sweep-file/load.js';
import type { Command } from '../command.js';
import { println } from '../io.js';
import { formatDurationSpec } from '../../sweep-file/duration.js';
import { describeConditions } from '../../space/conditions.js';
import { impliedConditions } from '../../sweep-file/parameters.js';

export const validateCommand: Command<{ file: string; json: boolean }> = {
  command: 'validate <file>',
  describe: 'check a sweep file and print the search space it defines',
  builder: (y) =>
    y
      .positional('file', { describe: 'sweep file (YAML or JSON)', type: 'string', demandOption: true })
      .option('json', { describe: 'print the parsed spec as JSON', type: 'boolean', default: false }),
  handler: (args, io) => {
    const loaded = loadSpecFile(path.resolve(io.cwd, args.file), args.file);
    for (const warning of loaded.warnings) println(io.stderr, `warning: ${args.file}: ${warning}`);
    const { spec } = loaded;
    const planned = plannedTrialCount(spec);
    if (args.json) {
      println(io.stdout, JSON.stringify({ ...spec, planned_trials: planned }, null, 2));
      return 0;
    }
    println(io.stdout, `${args.file}: ok`);
    println(io.stdout, `sweep     ${spec.name}`);
    println(io.stdout, `method    ${spec.method}${spec.seed_given ? ` (seed ${spec.seed})` : ''}`);
    if (spec.metrics) println(io.stdout, `metrics   ${spec.metrics.map((m) => `${m.name} (${m.goal})`).join(', ')}: the Pareto front`);
    else println(io.stdout, `metric    ${spec.metric.name} (${spec.metric.goal})`);
    if (spec.constraints) println(io.stdout, `subject   ${spec.constraints.map(describeConstraint).join(', ')}`);
    println(io.stdout, `trials    ${planned ?? 'unbounded'}${spec.method === 'grid' ? ' (grid' + (spec.run_cap !== null ? `, run_cap ${spec.run_cap})` : ')') : ''}`);
    println(io.stdout, 'parameters');
    const width = Math.max(...Object.keys(spec.parameters).map((k) => k.length));
    // The trainer's own conditions are marked (those the file writes differently are not).
    const implied = spec.program ? {} : impliedConditions(spec.parameters);
    for (const [name, dist] of Object.entries(spec.parameters)) {
      const when = spec.conditions?.[name];
      const own = when && implied[name] && Object.keys(when).every((p) => JSON.stringify(when[p]) === JSON.stringify(implied[name]![p]));
      println(io.stdout, `  ${name.padEnd(width)}  ${describeDist(dist)}${when ? `  when ${describeConditions(when)}${own ? ' (the trainer\'s)' : ''}` : ''}`);
    }
    if (spec.program) {
      println(io.stdout, `program   ${spec.program}`);
    } else {
      const fixed = Object.entries(spec.train).filter(([k]) => !(k in spec.parameters));
      println(io.stdout, `train     ${fixed.map(([k, v]) => `${k}=${v ?? 'all'}`).join(' ')}`);
    }
    const sampler = samplerOf(spec).describe(samplerSettings(spec), { parameters: spec.parameters, ...(spec.conditions ? { conditions: spec.conditions } : {}), ...objectivesInput(spec) });
    if (sampler) println(io.stdout, `${spec.method.padEnd(9)} ${sampler}`);
    if (spec.pruner && spec.pruner.type !== 'none') {
      const { type, ...settings } = spec.pruner;
      const shown = Object.entries(settings).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${v}`).join(' ');
      println(io.stdout, `pruner    ${type === 'wandb_hyperband' ? 'early_terminate hyperband (W&B)' : type} ${shown}`);
    }
    const budgets = [
      ...(spec.max_time ? [`max_time ${formatDurationSpec(spec.max_time)}`] : []),
      ...(spec.metric.target !== undefined ? [`metric.target ${spec.metric.target}`] : []),
    ];
    if (budgets.length) println(io.stdout, `budget    ${budgets.join(', ')}`);
    return 0;
  },
};
