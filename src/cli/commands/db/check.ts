import { ruleCatalogue } from '../../../pipeline/lint-definition.js';
import { defaultPolicy } from '../../../policy/policy.js';
import { openDatabase } from '../../../db/open-database.js';
import { roleChecks } from '../../../db/role-check.js';
import { ExdefCommand } from '../../exdef-command.js';
import { catalogueForCommand } from '../../load-catalogue-for-cli.js';
import { catalogueFlag, databaseFlag, jsonFlag } from '../../shared-flags.js';
import { textTable } from '../../text-table.js';

export default class DbCheck extends ExdefCommand {
  static override summary = 'Check that the database role has what extracts need, before go-live';
  static override description =
    "Connects as the extract role and checks, without changing anything: the catalogue's tables exist and are readable, the state schema can be kept, temporary tables can be made, the server is recent enough to end a killed run's queries, and the terminology holds what the policy's sensitive code sets are built from (an embedded database: its tables and terminology). Each missing grant is printed with the statement that gives it. Seeing other sessions' transactions (pg_read_all_stats) is not needed: a delta compares every row with what the recipient holds, so a row committed late is in the next delta. Exit 0 when everything is in place, 1 when something is missing, 2 when the database cannot be reached.";
  static override examples = [
    { description: 'Check the extract role of a reporting database', command: '<%= config.bin %> db check --database postgres://exdef_extract@db.example.nhs.uk/reporting' },
    { description: 'The same, as JSON for a deployment pipeline', command: '<%= config.bin %> db check --database "$EXDEF_DATABASE_URL" --json' },
  ];
  static override flags = {
    database: databaseFlag,
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbCheck);
    const catalogue = catalogueForCommand(flags.catalogue);
    const db = await openDatabase({ url: flags.database });
    let result: Awaited<ReturnType<typeof roleChecks>>;
    try {
      result = await roleChecks(db, catalogue, defaultPolicy(ruleCatalogue).sensitiveCodeSets);
    } finally {
      await db.close();
    }
    const missing = result.checks.filter((c) => !c.ok);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ database: db.target, ...result, ok: missing.length === 0 }, null, 2)}\n`);
    } else {
      process.stdout.write(`${db.target} (${result.server}) as role ${result.role}\n\n`);
      process.stdout.write(`${textTable(['', 'needed', 'found'], result.checks.map((c) => [c.ok ? 'ok' : 'MISSING', c.need, c.found]))}\n`);
      if (missing.length > 0) {
        process.stdout.write(`\nto give what is missing, as an administrator:\n${missing.map((c) => `  ${c.fix ?? '(see the check)'}`).join('\n')}\n`);
      }
    }
    if (missing.length > 0) this.exit(1);
  }
}
