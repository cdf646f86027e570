#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly: a worker thread or handle left behind must not keep a finished command alive.
process.stdout.write('', () => process.exit(code));
