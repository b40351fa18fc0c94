#!/usr/bin/env node
// exdef's own entry point: it drains stdout and stderr before the process exits, and loads oclif
// only for the commands that need it (see main.ts).
const { main } = await import('../dist/src/cli/main.js');
await main(process.argv.slice(2), import.meta.url);
