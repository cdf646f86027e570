export type { SweepEvent, SweepListener, SweepOutcome, SweepOutcomeStatus } from '../core/events.js';
