#!/usr/bin/env node
import { settings } from '@oclif/core';

// Always run the compiled commands in dist/, even when NODE_ENV is "test" or "development"
// (oclif would otherwise look for TypeScript sources beside them).
settings.enableAutoTranspile = false;

// exdef's own entry point: it drains stdout and stderr before the process exits (see main.ts).
const { main } = await import('../dist/src/cli/main.js');
await main(process.argv.slice(2), import.meta.url);
