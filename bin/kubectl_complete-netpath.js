#!/usr/bin/env node
// kubectl plugin completion helper (kubectl >= 1.26 runs `kubectl_complete-netpath ARGS… PARTIAL` on TAB after
// `kubectl netpath`): the CLI's hidden `__complete` command (src/cli/complete.ts).
process.argv.splice(2, 0, '__complete');
await import('./kubectl-netpath.js');
