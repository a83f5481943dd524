#!/usr/bin/env node
'use strict';
// The `lifeboat` command: runs the TypeScript sources directly through tsx's CommonJS hook.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
const { main } = require('../src/cli/main.ts');

// `lifeboat … | head` closes stdout early: stop quietly, as other command line tools do.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

// Ctrl-C / SIGTERM: the command says what was done and how to go on, then exits 130 / 143 at once
// (a second Ctrl-C while it writes that exits as well).
const interruptListeners = [];
let interrupted = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    if (!interrupted) {
      interrupted = true;
      for (const listener of interruptListeners) listener();
    }
    process.exit(code);
  });
}

main(process.argv.slice(2), {
  interrupts: { on: (listener) => interruptListeners.push(listener) },
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // A getter: touching process.stdin opens a handle, so only a command that reads it pays for it.
  get stdin() {
    return process.stdin;
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
