import type { YamlPath } from '../source/yaml-source.js';

/** The exdef-language clause that writes each key of the document (by dotted path without indexes). */
const CLAUSES: Record<string, string> = {
  exdef: 'EXDEF',
  id: 'the EXTRACT name',
  title: 'TITLE',
  version: 'VERSION',
  owner: 'OWNER and CONTACT',
  'owner.organisation': 'OWNER',
  'owner.contact': 'CONTACT',
  use_case: 'USE CASE',
  care_type: 'CARE',
  intended_use: 'INTENDED USE',
  legal_basis: 'LEGAL BASIS',
  'legal_basis.article_6': 'LEGAL BASIS ARTICLE 6',
  'legal_basis.article_9': 'LEGAL BASIS ARTICLE 9',
  'legal_basis.statement': 'LEGAL BASIS STATEMENT',
  'legal_basis.data_provision_notice': 'LEGAL BASIS NOTICE',
  dpia: 'DPIA',
  risk: 'SINGLING OUT and LINKABILITY',
  'risk.singling_out': 'SINGLING OUT',
  'risk.linkability': 'LINKABILITY',
  review: 'REVIEWED',
  'review.last_reviewed': 'the date of REVIEWED',
  'review.reviewer': 'REVIEWED BY',
  processing_location: 'PROCESSING IN',
  population: 'POPULATION',
  'population.registration': 'REGISTRATION',
  'population.registration_justification': 'REGISTRATION ... JUSTIFIED',
  'population.deceased': 'DECEASED',
  'population.deceased_justification': 'DECEASED ... JUSTIFIED',
  'population.type1_opt_out': 'TYPE1 OPT OUT',
  'population.type1_opt_out_justification': 'TYPE1 OPT OUT ... JUSTIFIED',
  'population.national_data_opt_out': 'NATIONAL OPT OUT',
  'population.national_data_opt_out_justification': 'NATIONAL OPT OUT ... JUSTIFIED',
  'population.on_opt_back_in': 'ON OPT BACK IN',
  'population.on_leave': 'ON LEAVE',
  'population.practices': 'PRACTICES',
  'population.where': 'the POPULATION filter (WHERE)',
  mode: 'MODE',
  schedule: 'SCHEDULE',
  'schedule.frequency': 'the SCHEDULE frequency',
  'schedule.window': 'WINDOW',
  output: 'OUTPUT',
  'output.csv': 'CSV',
  'output.csv.delimiter': 'CSV DELIMITER',
  'output.csv.quote': 'CSV QUOTE',
  'output.csv.header': 'CSV HEADER',
  'output.csv.line_ending': 'LINE ENDING',
  'output.layout': 'LAYOUT',
  'output.compression': 'COMPRESSION',
  'output.encryption': 'ENCRYPT TO',
  'output.encryption.certificate': 'ENCRYPT TO',
  'output.delivery': 'DELIVER',
  'output.delivery.sftp': 'DELIVER SFTP',
  'output.delivery.sftp.host': 'SFTP HOST',
  'output.delivery.sftp.port': 'SFTP PORT',
  'output.delivery.sftp.user': 'SFTP USER',
  'output.delivery.sftp.directory': 'SFTP DIRECTORY',
  'output.delivery.sftp.host_key': 'SFTP HOST KEY',
  datasets: 'the DATASET statements',
  exemptions: 'the EXEMPTION statements',
};

const quoted = (clause: string) => (/^[A-Z0-9 .]+$/.test(clause) ? `\`${clause}\`` : clause);

/**
 * Names a place in the document the way an exdef-language author wrote it, for messages:
 * `USE CASE` rather than `use_case`, "the name (AS) of field 2 of DATASET people" rather than
 * datasets[0].fields[1].name.
 */
export function exdefClauseName(path: YamlPath, document: Record<string, unknown> | undefined): string {
  if (path.length === 0) return 'the definition';
  if (path[0] === 'datasets' && typeof path[1] === 'number') {
    const datasets = (document?.['datasets'] ?? []) as { name?: unknown }[];
    const name = datasets[path[1]]?.name;
    const dataset = typeof name === 'string' ? `DATASET ${name}` : `DATASET ${path[1] + 1}`;
    if (path.length === 2) return dataset;
    const key = path[2];
    if (key === 'fields' && typeof path[3] === 'number') {
      const field = `field ${path[3] + 1} of ${dataset}`;
      const part = path[4];
      if (part === undefined) return field;
      if (part === 'name') return `the name (AS) of ${field}`;
      if (part === 'value') return `the value of ${field}`;
      if (part === 'justification') return `JUSTIFY of ${field}`;
      return `${String(part)} of ${field}`;
    }
    if (key === 'fields') return `the SELECT list of ${dataset}`;
    if (key === 'name') return `the name of ${dataset}`;
    if (key === 'from') return `FROM of ${dataset}`;
    if (key === 'where') return `WHERE of ${dataset}`;
    if (key === 'description') return `DESCRIPTION of ${dataset}`;
    return `${String(key)} of ${dataset}`;
  }
  if (path[0] === 'exemptions' && typeof path[1] === 'number') {
    const exemption = `EXEMPTION ${path[1] + 1}`;
    const names: Record<string, string> = { rule: 'EXEMPTION FROM', code_set: 'FOR SET', datasets: 'IN', fields: 'FOR FIELDS', legal_basis: 'LEGAL BASIS', justification: 'JUSTIFICATION', expires: 'EXPIRES' };
    const basis: Record<string, string> = { article_6: 'ARTICLE 6', article_9: 'ARTICLE 9', notice: 'NOTICE', approval: 'APPROVAL', statement: 'STATEMENT' };
    const key = path[2];
    if (key === 'legal_basis' && path[3] !== undefined) return `\`LEGAL BASIS ${basis[String(path[3])] ?? String(path[3])}\` of ${exemption}`;
    if ((key === 'datasets' || key === 'fields') && typeof path[3] === 'number') return `item ${path[3] + 1} of \`${names[key]}\` of ${exemption}`;
    return key === undefined ? exemption : `\`${names[String(key)] ?? String(key)}\` of ${exemption}`;
  }
  const key = path.filter((p) => typeof p === 'string').join('.');
  const clause = CLAUSES[key];
  if (!clause) return `\`${key}\``;
  const item = path.find((p) => typeof p === 'number');
  return item === undefined ? quoted(clause) : `item ${item + 1} of ${quoted(clause)}`;
}
