#!/usr/bin/env node
/** Entry point of the `reload-node` command. */
import { main } from './cli.js';

const code = await main(process.argv);
if (code !== 0) process.exit(code);
