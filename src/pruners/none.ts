/** `pruner: {type: none}`: every trial runs to its end (the same as no pruner block). */
import { definePruner } from './plugin.js';

export const nonePlugin = definePruner({
  type: 'none',
  example: {},
  description: 'no pruning: every trial runs to its end',
  keys: {},
  resolve: () => ({}),
  create: () => null,
});
