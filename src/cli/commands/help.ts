import { Args, loadHelpClass } from '@oclif/core';
import { ExdefError } from '../../failure.js';
import { ExdefCommand } from '../exdef-command.js';
import { nearestCommand } from '../nearest-command.js';

export default class HelpCommand extends ExdefCommand {
  static override summary = 'Show the help of exdef or of one command';
  static override strict = false;
  static override examples = [
    { description: 'Every command', command: '<%= config.bin %> help' },
    { description: "One command's flags and examples", command: '<%= config.bin %> help lint' },
  ];
  static override args = {
    command: Args.string({ description: 'The command (e.g. lint, db seed)' }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const words = (argv as string[]).filter((w) => !w.startsWith('-'));
    const id = words.join(':');
    if (id !== '' && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const word = words.join(' ');
      throw new ExdefError(`\`${word}\` is not an exdef command${nearestCommand(word, this.config.commandIDs)}`, {
        exitCode: 2,
        hints: ['`exdef help` lists the commands'],
      });
    }
    const Help = await loadHelpClass(this.config);
    await new Help(this.config, this.config.pjson.oclif.helpOptions ?? this.config.pjson.helpOptions).showHelp(id === '' ? [] : words);
  }
}
