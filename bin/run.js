#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// Always run the compiled commands in dist/, even when NODE_ENV is "test" or "development"
// (oclif would otherwise look for TypeScript sources beside them).
settings.enableAutoTranspile = false;

await execute({ dir: import.meta.url });
