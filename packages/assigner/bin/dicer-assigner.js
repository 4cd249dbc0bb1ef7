#!/usr/bin/env node
// Launcher for `dicer-assigner`. It exists in the repository (unlike dist/) so that `npm ci` can
// link the bin before the `prepare` script builds dist/; importing the compiled CLI runs it.
import '../dist/cli/main.js';
