import { Help } from '@oclif/core';

/**
 * Root help that lists every command with its one-line summary (oclif's default shows only the
 * topics), so `exdef --help` is the whole map of the tool.
 */
export default class ExdefHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    this.log(this.formatRoot());
    this.log('');
    const commands = this.sortedCommands.filter((c) => !c.hidden);
    if (commands.length > 0) {
      this.log(this.formatCommands(commands));
      this.log('');
    }
    this.log(`Run \`${this.config.bin} COMMAND --help\` for a command's flags and examples.`);
  }
}
