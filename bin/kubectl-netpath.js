#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm run build` (run on `npm ci` through `prepare`).
import '../dist/kubectl-netpath.js';
