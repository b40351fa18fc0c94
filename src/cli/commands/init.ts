import { basename, dirname, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { ExdefError } from '../../failure.js';
import { ANSWER_CHECKS, CARE_TYPES, careTypeOf, MODES, scaffold, USE_CASES, type CareType, type ScaffoldAnswers, type Syntax, type UseCase } from '../../init/scaffold.js';
import { resources } from '../../resources.js';
import { ExdefCommand } from '../exdef-command.js';
import { writeFileAtomically, writeNewFile } from '../write-file.js';
import { formatDefinitionText } from '../../print/format-text.js';

type Answers = Omit<ScaffoldAnswers, 'schemaPath'>;

export default class Init extends ExdefCommand {
  static override summary = 'Scaffold a new definition with every governance field and a commented example dataset';
  static override description = [
    'Writes a new definition, in YAML or the exdef language, with the values given as flags; on a terminal, asks for the ones not given. Everything only the author can write (the intended use, the legal basis, the DPIA, the risk statements, each justification) is left as a TODO placeholder, which `exdef lint` reports until it is replaced; the review date is left for the IG reviewer.',
    'Without FILE the definition is written to ID.exdef.yaml (or ID.exdef) in the current directory. An existing file is never overwritten unless --force is given. Off a terminal (or with --no-input), --id, --organisation, --contact and --practice are required. Exit code 0 when the file is written, 2 when it is not (a usage error, an existing file, a directory that cannot be written).',
  ].join('\n');
  static override examples = [
    { description: 'Ask for everything on a terminal', command: '<%= config.bin %> init' },
    {
      description: 'A direct-care recall in YAML, without prompts',
      command: "<%= config.bin %> init definitions/asthma-review.exdef.yaml --id asthma-review --title 'Asthma annual review recall' --organisation 'Example Street Surgery (A81001)' --contact pm@example-surgery.nhs.uk --use-case direct_care_planning --practice A81001",
    },
    { description: 'An indirect-care delta feed in the exdef language', command: "<%= config.bin %> init --syntax exdef --id copd-feed --organisation 'NHS Example ICB' --contact ig@example-icb.nhs.uk --use-case data_warehouse --practice A81001 --practice A81002 --mode delta" },
  ];
  static override args = {
    file: Args.string({ description: 'Where to write the definition (*.exdef.yaml or *.exdef); default ID.exdef.yaml in the current directory' }),
  };
  static override flags = {
    id: Flags.string({ description: 'Identifier in kebab-case; it names the output files and the delta state (default: from FILE)', helpValue: 'ID' }),
    title: Flags.string({ description: 'A short human-readable name (default: from the id)', helpValue: 'TEXT' }),
    organisation: Flags.string({ description: 'The organisation that receives the extract', helpValue: 'NAME' }),
    contact: Flags.string({ description: 'Email address of the person or team accountable for the extract', helpValue: 'EMAIL' }),
    'use-case': Flags.string({ description: 'What the extract is for (default: targeted_reporting)', options: [...USE_CASES] }),
    'care-type': Flags.string({ description: 'Direct or indirect care (default: direct for direct_care_planning, else indirect)', options: [...CARE_TYPES] }),
    practice: Flags.string({ description: 'ODS code of a practice in scope (repeat for more, or separate with commas)', multiple: true, helpValue: 'ODS' }),
    mode: Flags.string({ description: 'full: everything each run; delta: the changes since the last run', options: [...MODES], default: 'full' }),
    syntax: Flags.string({ description: 'YAML or the exdef language (default: from FILE, else yaml)', options: ['yaml', 'exdef'] }),
    force: Flags.boolean({ description: 'Overwrite FILE if it exists' }),
    input: Flags.boolean({ description: 'Ask for missing values on a terminal (--no-input never asks)', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init);
    const fileSyntax: Syntax | undefined = args.file === undefined ? undefined : args.file.endsWith('.exdef.yaml') ? 'yaml' : args.file.endsWith('.exdef') ? 'exdef' : undefined;
    if (args.file !== undefined && fileSyntax === undefined) throw new ExdefError(`${args.file}: a definition file is named NAME.exdef.yaml (YAML) or NAME.exdef (the exdef language)`, { exitCode: 2 });
    if (flags.syntax !== undefined && fileSyntax !== undefined && flags.syntax !== fileSyntax) throw new ExdefError(`--syntax ${flags.syntax} does not match ${args.file}, which names a ${fileSyntax === 'yaml' ? 'YAML' : 'exdef-language'} file`, { exitCode: 2 });

    const given: Partial<Answers> = {
      id: flags.id ?? (args.file === undefined ? undefined : basename(args.file).replace(/\.exdef(\.yaml)?$/, '')),
      title: flags.title,
      organisation: flags.organisation,
      contact: flags.contact,
      useCase: flags['use-case'] as UseCase | undefined,
      careType: flags['care-type'] as CareType | undefined,
      practices: flags.practice?.flatMap(splitList),
      mode: flags.mode as Answers['mode'],
      syntax: (flags.syntax as Syntax | undefined) ?? fileSyntax,
    };
    for (const [name, flag] of [['id', '--id'], ['title', '--title'], ['organisation', '--organisation'], ['contact', '--contact']] as const) {
      const value = given[name];
      const problem = value === undefined ? undefined : ANSWER_CHECKS[name](value);
      if (problem) throw new ExdefError(`${flag} "${value}" is not ${problem}`, { exitCode: 2 });
    }
    if (given.practices !== undefined) {
      const problem = ANSWER_CHECKS.practices(given.practices);
      if (problem) throw new ExdefError(`--practice: expected ${problem}`, { exitCode: 2 });
    }

    const interactive = flags.input && process.stdin.isTTY === true && process.stdout.isTTY === true;
    const answers = interactive ? await ask(given, args.file === undefined) : complete(given);
    const file = args.file ?? `${answers.id}.${answers.syntax === 'exdef' ? 'exdef' : 'exdef.yaml'}`;
    const schemaPath = relative(dirname(file) === '' ? '.' : dirname(file), resources.definitionSchema).split(sep).join('/');
    // As `exdef fmt` would write it, so that `fmt --check` passes the new file.
    const scaffolded = scaffold({ ...answers, schemaPath });
    const text = formatDefinitionText(file, scaffolded).formatted ?? scaffolded;
    if (flags.force) writeFileAtomically(file, text, { exitCode: 2 });
    else writeNewFile(file, text, { exitCode: 2, exists: 'already exists; choose another FILE or --id, or give --force to overwrite it' });
    // A placeholder is a value (quoted, after a key, or on the line of its own a folded text starts).
    const todos = text.split('\n').filter((line) => /(['"]|: |^\s*)TODO:/.test(line)).length;
    process.stdout.write(
      [
        `wrote ${file}`,
        `next: replace its ${todos} TODO placeholders (\`exdef lint ${file}\` shows where), describe a few test patients in ${join(dirname(file), `${answers.id}.test.yaml`)} (\`exdef test\`), and send \`exdef report ${file}\` to the IG reviewer`,
        '',
      ].join('\n'),
    );
  }
}

/** Off a terminal: every required value must have come as a flag; the rest take their defaults. */
function complete(given: Partial<Answers>): Answers {
  const missing = [
    ['--id', given.id],
    ['--organisation', given.organisation],
    ['--contact', given.contact],
    ['--practice', given.practices?.length ? given.practices : undefined],
  ]
    .filter(([, v]) => v === undefined)
    .map(([flag]) => flag);
  if (missing.length > 0) throw new ExdefError(`not on a terminal, so nothing can be asked: give ${missing.join(', ')} (see \`exdef init --help\`)`, { exitCode: 2 });
  return withDefaults(given as Answers & Partial<Answers>);
}

function withDefaults(given: Partial<Answers> & Pick<Answers, 'id' | 'organisation' | 'contact' | 'practices'>): Answers {
  const useCase = given.useCase ?? 'targeted_reporting';
  return {
    id: given.id,
    title: given.title ?? titleOf(given.id),
    organisation: given.organisation,
    contact: given.contact,
    useCase,
    careType: given.careType ?? careTypeOf(useCase),
    practices: given.practices,
    mode: given.mode ?? 'full',
    syntax: given.syntax ?? 'yaml',
  };
}

/** "asthma-review" → "Asthma review". */
function titleOf(id: string): string {
  const words = id.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * On a terminal: ask for each value not given, re-asking until it is valid; Enter takes the
 * default shown. Lines are queued as they arrive, so answers pasted in one go are all used.
 */
async function ask(given: Partial<Answers>, askSyntax: boolean): Promise<Answers> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const queued: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  rl.on('line', (line) => {
    if (waiting) {
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    } else {
      queued.push(line);
    }
  });
  rl.on('close', () => {
    ended = true;
    waiting?.(undefined);
  });
  const nextLine = (prompt: string): Promise<string | undefined> => {
    rl.setPrompt(prompt);
    rl.prompt();
    if (queued.length > 0) return Promise.resolve(queued.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (waiting = resolve));
  };
  const question = async (prompt: string, fallback: string | undefined, check: (v: string) => string | undefined): Promise<string> => {
    for (;;) {
      const line = await nextLine(`${prompt}${fallback !== undefined ? ` [${fallback}]` : ''}: `);
      if (line === undefined) throw new ExdefError('input ended before every question was answered', { exitCode: 2 });
      const answer = line.trim();
      const value = answer === '' && fallback !== undefined ? fallback : answer;
      const problem = check(value);
      if (!problem) return value;
      process.stdout.write(`  expected ${problem}\n`);
    }
  };
  const choice = <T extends string>(options: readonly T[]) => (v: string) => (options.includes(v as T) ? undefined : `one of ${options.join(', ')}`);
  try {
    const id = given.id ?? (await question('Identifier (kebab-case, names the output files)', undefined, ANSWER_CHECKS.id));
    const title = given.title ?? (await question('Title', titleOf(id), ANSWER_CHECKS.title));
    const organisation = given.organisation ?? (await question('Receiving organisation', undefined, ANSWER_CHECKS.organisation));
    const contact = given.contact ?? (await question('Contact email', undefined, ANSWER_CHECKS.contact));
    const useCase = given.useCase ?? ((await question(`Use case (${USE_CASES.join(', ')})`, 'targeted_reporting', choice(USE_CASES))) as UseCase);
    const careType = given.careType ?? ((await question('Care type (direct, indirect)', careTypeOf(useCase), choice(CARE_TYPES))) as CareType);
    const practices = given.practices ?? splitList(await question('Practice ODS codes (separated by commas)', undefined, (v) => ANSWER_CHECKS.practices(splitList(v))));
    const mode = given.mode ?? 'full';
    const syntax = given.syntax ?? (askSyntax ? ((await question('Syntax (yaml, exdef)', 'yaml', choice(['yaml', 'exdef'] as const))) as Syntax) : 'yaml');
    return { id, title, organisation, contact, useCase, careType, practices, mode, syntax };
  } finally {
    rl.close();
  }
}

function splitList(value: string): string[] {
  return value.split(',').map((p) => p.trim()).filter((p) => p !== '');
}
