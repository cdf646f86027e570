#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: a worker thread or handle left behind must not keep a finished command alive. A stdout
// whose reader has gone cannot flush: exit at once then.
if (process.stdout.destroyed || process.stdout.writableEnded) process.exit(code);
else process.stdout.write('', () => process.exit(code));
