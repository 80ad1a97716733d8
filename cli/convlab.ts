#!/usr/bin/env node
/** Entry point of the `convlab` command (package.json "bin"). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
