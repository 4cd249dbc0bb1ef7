#!/usr/bin/env node
// Launcher for `dicer-sim`. It exists in the repository (unlike dist/) so that `npm ci` can link
// the bin before the `prepare` script builds dist/.
import { main } from '../dist/cli.js';

process.exitCode = main(process.argv.slice(2));
