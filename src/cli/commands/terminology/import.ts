import { existsSync, statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { openDatabase } from '../../../db/open-database.js';
import { ensureTerminologyTables } from '../../../db/reporting-schema.js';
import { hasErrors } from '../../../diagnostics/diagnostic.js';
import { paletteFor, renderDiagnostics } from '../../../diagnostics/render-terminal.js';
import { ExdefError } from '../../../failure.js';
import { resources } from '../../../resources.js';
import { importTerminology } from '../../../terminology/import-terminology.js';
import { defaultPolicy } from '../../../policy/policy.js';
import { ruleCatalogue } from '../../../pipeline/lint-definition.js';
import { sensitiveSetSources } from '../../../sql/terminology-coverage.js';
import { ExdefCommand } from '../../exdef-command.js';
import { catalogueForCommand } from '../../load-catalogue-for-cli.js';
import { textTable } from '../../text-table.js';
import { catalogueFlag, databaseFlag, jsonFlag } from '../../shared-flags.js';

export default class TerminologyImport extends ExdefCommand {
  static override summary = 'Load SNOMED CT from RF2 snapshot files and build the is-a closure';
  static override description =
    'Reads sct2_Concept_Snapshot*, sct2_Description_Snapshot* (for fully specified names), the active is-a (116680003) rows of sct2_Relationship_Snapshot* and der2_Refset_Simple*Snapshot* under DIR, checks them (columns, identifiers, cycles), and replaces the contents of terminology.concept, terminology.closure (reflexive-transitive) and terminology.refset_member in one transaction.';
  static override examples = [
    { description: 'Load the sample terminology that ships with exdef', command: '<%= config.bin %> terminology import --sample' },
    { description: 'Load a UK release into PostgreSQL', command: '<%= config.bin %> terminology import ./SnomedCT_UKClinicalRF2_PRODUCTION/Snapshot --database postgres://exdef@localhost/reporting' },
  ];
  static override args = {
    dir: Args.string({ description: 'Directory holding the RF2 snapshot files (searched recursively)' }),
  };
  static override flags = {
    sample: Flags.boolean({ description: 'Load the small sample terminology that ships with exdef', exclusive: ['dir'] }),
    database: databaseFlag,
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(TerminologyImport);
    if (!args.dir && !flags.sample) throw new ExdefError('name a directory of RF2 snapshot files, or use --sample', { exitCode: 2 });
    const dir = args.dir ?? resources.sampleTerminology;
    if (!existsSync(dir)) throw new ExdefError(`${dir}: no such directory`, { exitCode: 2, step: 'terminology import' });
    if (!statSync(dir).isDirectory()) throw new ExdefError(`${dir} is a file: name the directory of an RF2 snapshot release`, { exitCode: 2, step: 'terminology import' });
    const catalogue = catalogueForCommand(flags.catalogue);
    const db = await openDatabase({ url: flags.database });
    try {
      await ensureTerminologyTables(db, catalogue);
      // The IM1 policy's sensitive sets are built from the release: one that lacks their reference
      // sets or concepts is refused, not loaded over a terminology that has them.
      const { summary, diagnostics } = await importTerminology(db, dir, sensitiveSetSources(defaultPolicy(ruleCatalogue).sensitiveCodeSets));
      if (diagnostics.length > 0) process.stderr.write(renderDiagnostics(diagnostics, undefined, paletteFor(process.stderr)));
      // No RF2 file at all (an empty or mistyped directory) is a usage error, as --terminology's in every command.
      const noFiles = !summary && diagnostics.length > 0 && diagnostics.every((d) => d.code === 'rf2-missing-file' || d.code === 'rf2-no-directory');
      if (noFiles) throw new ExdefError(`nothing was loaded: ${dir} holds no RF2 snapshot files (sct2_Concept_Snapshot*, sct2_Relationship_Snapshot*)`, { exitCode: 2, step: 'terminology import' });
      if (!summary || hasErrors(diagnostics)) throw new ExdefError(`nothing was loaded: the RF2 files in ${dir} have errors`, { exitCode: 1, step: 'terminology import' });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        process.stdout.write(
          textTable(
            ['loaded', 'count'],
            [
              ['concepts', summary.concepts],
              ['active concepts', summary.activeConcepts],
              ['is-a relationships', summary.isARelationships],
              ['closure rows', summary.closureRows],
              ['simple refsets', summary.refsets],
              ['refset members', summary.refsetMembers],
            ],
          ),
        );
        this.say(`terminology loaded into ${db.target}`);
      }
    } finally {
      await db.close();
    }
  }
}
