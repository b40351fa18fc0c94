/**
 * What the commands that run without oclif need, in one module: the build bundles this module and
 * everything it imports into one file (bundle-direct-commands.ts), which loads in a fraction of the
 * time of its hundred-odd modules. reportFailure travels with the commands so that it recognises
 * the ExdefErrors they throw (the bundle holds its own copy of the class).
 */
export { runLint } from './run-lint.js';
export { reportFailure } from './report-failure.js';
