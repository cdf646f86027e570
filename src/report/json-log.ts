/**
 * `--log json`: one JSON object per line for every event of a run, for log collectors on a cluster
 * (Kubernetes, Slurm): no progress bars, no tables, nothing but whole lines that parse on their own.
 */
import type { SweepEvent } from '../orchestrator/events.js';
import type { TrialRecord } from '../core/records.js';

const trial = (t: TrialRecord) => ({
  number: t.number,
  state: t.state,
  params: t.params,
  ...(t.value !== null ? { value: t.value } : {}),
  ...(t.values ? { values: t.values } : {}),
  ...(t.metrics ? { metrics: t.metrics } : {}),
  ...(t.error ? { error: t.error } : {}),
  ...(t.attempt && t.attempt > 1 ? { attempt: t.attempt } : {}),
});

/** The line an event becomes; every line has `time` (ISO-8601) and `event`. */
export function jsonLogLine(e: SweepEvent): string {
  const base = { time: new Date().toISOString(), event: e.type };
  switch (e.type) {
    case 'sweep-start':
      return JSON.stringify({ ...base, sweep: e.sweep.name, method: e.sweep.method, resumed: e.resumed, completed: e.completed, planned: e.planned, workers: e.workers, process: e.processId });
    case 'trial-start':
      return JSON.stringify({ ...base, trial: trial(e.trial), rerun: e.rerun });
    case 'trial-backend':
      return JSON.stringify({ ...base, trial: e.trial.number, backend: e.backend });
    case 'epoch':
      return JSON.stringify({ ...base, trial: e.trial.number, epoch: e.epoch.epoch, ...(e.epoch.execution ? { execution: e.epoch.execution } : {}), metrics: e.epoch.metrics });
    case 'trial-end':
      return JSON.stringify({ ...base, trial: trial(e.trial), completed: e.completed, best: e.best });
    case 'evaluating':
      return JSON.stringify({ ...base, trial: e.trial.number });
    case 'warning':
    case 'notice':
      return JSON.stringify({ ...base, message: e.message });
    case 'sweep-end':
      return JSON.stringify({ ...base, status: e.outcome.status, message: e.outcome.message, sweep: e.outcome.sweep.name });
  }
}
