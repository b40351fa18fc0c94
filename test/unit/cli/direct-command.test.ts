import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import Lint from '../../../src/cli/commands/lint.js';
import { DIRECT_COMMANDS, directCommand, parsePlainArgv } from '../../../src/cli/direct-command.js';
import { packageRoot } from '../../../src/resources.js';

// The manifest `npm run build` writes (oclif manifest): what the direct path reads the flags from.
const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8'));
const lintSpec = manifest.commands.lint;
const integerFlags = ['max-warnings'];

const definedOnly = (flags: Record<string, unknown>) => Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));

describe('commands run without oclif read their arguments as oclif does', () => {
  it('the manifest records the flags the lint command declares (rebuild when they change)', () => {
    for (const [name, flag] of Object.entries(Lint.flags)) {
      const recorded = lintSpec.flags[name];
      expect(recorded, name).toBeDefined();
      expect(recorded.type, name).toBe(flag.type);
      expect(recorded.options, name).toEqual(flag.type === 'option' ? flag.options : undefined);
      expect(recorded.default, name).toEqual(flag.default);
    }
    expect(Object.keys(lintSpec.flags).sort()).toEqual(Object.keys(Lint.flags).sort());
    // Integer flags are plain options in the manifest: the direct path is told which they are.
    for (const name of integerFlags) expect(Lint.flags[name as keyof typeof Lint.flags].type).toBe('option');
  });

  const plain = [
    ['a.exdef.yaml'],
    ['a.exdef.yaml', 'b.exdef', 'definitions/'],
    ['a.exdef.yaml', '--format', 'json'],
    ['--format=sarif', 'a.exdef.yaml'],
    ['a.exdef.yaml', '--quiet', '--today', '2026-11-21'],
    ['a.exdef.yaml', '--max-warnings', '0'],
    ['--max-warnings=12', 'a.exdef.yaml', '--policy', 'p.yaml', '--terminology', 'rf2/', '--catalogue', 'c.yaml'],
    ["definitions/**/*.exdef*", '--format', 'junit'],
    ['a.exdef.yaml', '--today=2026-01-01'],
  ];
  it.each(plain)('%j: the same files and flags as oclif', async (...argv) => {
    const direct = parsePlainArgv(lintSpec, argv, integerFlags);
    expect(direct).toBeDefined();
    const oclif = await Parser.parse(argv, { flags: Lint.flags, args: Lint.args, strict: false });
    expect(direct!.argv).toEqual(oclif.argv);
    expect(definedOnly(direct!.flags)).toEqual(definedOnly(oclif.flags));
  });

  // Each of these is oclif's to answer: help, a usage error, or a reading this parser does not model.
  const notPlain = [
    [],
    ['--help'],
    ['a.exdef.yaml', '-h'],
    ['a.exdef.yaml', '--format', 'xml'],
    ['a.exdef.yaml', '--format'],
    ['a.exdef.yaml', '--max-warnings', 'many'],
    ['a.exdef.yaml', '--max-warnings', '-1'],
    ['a.exdef.yaml', '--quiet', '--quiet'],
    ['a.exdef.yaml', '--today', '2026-01-01', '--today', '2026-01-02'],
    ['a.exdef.yaml', '--quiet=yes'],
    ['a.exdef.yaml', '--unknown'],
    ['--', '-a.exdef.yaml'],
    ['-'],
    ['a.exdef.yaml', '--policy', '--quiet'],
  ];
  it.each(notPlain.map((argv) => [argv]))('%j goes to oclif', (argv) => {
    expect(parsePlainArgv(lintSpec, argv, integerFlags)).toBeUndefined();
  });

  it('a plain `exdef lint FILE` runs directly; other commands and help go to oclif', async () => {
    expect(DIRECT_COMMANDS).toEqual(['lint']);
    expect((await directCommand(['lint', 'a.exdef.yaml'], packageRoot))?.run).toBeTypeOf('function');
    expect(await directCommand(['lint', '--help'], packageRoot)).toBeUndefined();
    expect(await directCommand(['compile', 'a.exdef.yaml'], packageRoot)).toBeUndefined();
    expect(await directCommand(['--help'], packageRoot)).toBeUndefined();
    expect(await directCommand([], packageRoot)).toBeUndefined();
    // Without a manifest (a tree built by tsc alone), everything goes to oclif.
    expect(await directCommand(['lint', 'a.exdef.yaml'], '/nonexistent')).toBeUndefined();
  });
});
