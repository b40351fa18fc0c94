import { Flags } from '@oclif/core';
import { ddlScript, generateDdl } from '../../../catalogue/ddl.js';
import { openDatabase } from '../../../db/open-database.js';
import { dropSchema, ensureSchema } from '../../../db/reporting-schema.js';
import { ExdefCommand } from '../../exdef-command.js';
import { catalogueForCommand } from '../../load-catalogue-for-cli.js';
import { catalogueFlag, databaseFlag } from '../../shared-flags.js';

export default class DbInit extends ExdefCommand {
  static override summary = 'Create the reporting and terminology schema from the catalogue';
  static override description =
    'Creates every table of the catalogue with its primary key, foreign keys, the indexes extracts need (by patient, practice, code and change time) and the change-tracking triggers. The DDL is generated from the catalogue, never written by hand.';
  static override examples = [
    { description: 'Create the schema in the embedded database', command: '<%= config.bin %> db init' },
    { description: 'Create it in PostgreSQL', command: '<%= config.bin %> db init --database postgres://exdef@localhost/reporting' },
    { description: 'Print the DDL generated from a provider catalogue, without a database', command: '<%= config.bin %> db init --print --catalogue my.catalogue.yaml' },
  ];
  static override flags = {
    database: databaseFlag,
    catalogue: catalogueFlag,
    print: Flags.boolean({ description: 'Print the DDL instead of running it' }),
    replace: Flags.boolean({ description: 'Drop the tables first (deletes their data)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbInit);
    const catalogue = catalogueForCommand(flags.catalogue);
    if (flags.print) {
      process.stdout.write(ddlScript(generateDdl(catalogue)));
      return;
    }
    const db = await openDatabase({ url: flags.database, schemaFor: catalogue });
    try {
      if (flags.replace) await dropSchema(db, catalogue);
      const created = await ensureSchema(db, catalogue);
      this.say(created ? `created ${catalogue.tables.length} tables in ${db.target}` : `the schema already exists in ${db.target}; nothing to do`);
    } finally {
      await db.close();
    }
  }
}
