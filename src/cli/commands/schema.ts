import { editorSchema } from '../../sweep-file/editor-schema.js';
import type { Command } from '../command.js';
import { println } from '../io.js';

export const schemaCommand: Command<Record<string, never>> = {
  command: 'schema',
  describe: "print the sweep file's JSON Schema (draft-07), for editors: # yaml-language-server: $schema=…",
  builder: (y) => y,
  handler: async (_args, io) => {
    println(io.stdout, JSON.stringify(editorSchema(), null, 2));
    return 0;
  },
};
