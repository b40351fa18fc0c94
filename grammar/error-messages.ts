import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from './chevrotain.js';

/** How a token is named in an error message: punctuation as itself, keywords in capitals. */
export function describeTokenType(type: TokenType): string {
  switch (type.name) {
    case 'Identifier':
    case 'SoftKeyword':
    case 'QuotedName':
      return 'a name';
    case 'StringLiteral':
      return "a quoted text ('...')";
    case 'Integer':
      return 'a whole number';
    case 'Decimal':
      return 'a number';
    case 'DateLiteral':
      return 'a date (YYYY-MM-DD)';
    case 'TimeWindow':
      return 'a time window (HH:MM-HH:MM)';
    case 'Term':
      return 'a |term|';
    case 'EOF':
      return 'the end of the input';
    case 'EclMinus':
      return 'MINUS';
    case 'DateKeyword':
      return 'DATE';
    default: {
      const pattern = type.PATTERN;
      if (pattern instanceof RegExp) {
        const source = pattern.source.replace(/\\/g, '');
        if (/^[a-z0-9_]+$/i.test(source)) return source.toUpperCase();
        return `\`${source.split('|')[0]}\``;
      }
      return type.name;
    }
  }
}

export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'the end of the input';
  const image = token.image.length > 30 ? `${token.image.slice(0, 27)}...` : token.image;
  return `\`${image}\``;
}

/** What each rule is, for "expected ..." messages. */
const RULE_DESCRIPTIONS: Record<string, string> = {
  statement: 'a statement (EXDEF, EXTRACT, GOVERNANCE, POPULATION, MODE, SCHEDULE, OUTPUT, DATASET or EXEMPTION)',
  datasetStatement: "a dataset (DATASET name AS SELECT ...)",
  selectStatement: 'SELECT fields FROM table [JOIN relation] [WHERE filter]',
  selectItem: "a field (expression [AS name] JUSTIFY '...')",
  joinClause: 'JOIN relation [alias]',
  existsExpression: 'exists(relation [where condition])',
  functionCall: 'a function call, e.g. year(date_of_birth)',
  valueList: 'a list of values in parentheses',
  extractStatement: 'EXTRACT name VERSION n TITLE ... OWNER ... CONTACT ...',
  exemptionStatement: 'EXEMPTION FROM rule ...',
  pathList: 'a list of fields (dataset.field, ...)',
  extractClause: 'VERSION, TITLE, OWNER or CONTACT',
  governanceClause: 'USE CASE, CARE, INTENDED USE, LEGAL BASIS, DPIA, SINGLING OUT, LINKABILITY, REVIEWED or PROCESSING IN',
  legalBasisClause: 'ARTICLE 6, ARTICLE 9, STATEMENT, NOTICE or APPROVAL',
  populationClause: 'REGISTRATION, DECEASED, TYPE1 OPT OUT, NATIONAL OPT OUT, ON OPT BACK IN, PRACTICES or WHERE',
  outputClause: 'CSV, LAYOUT, COMPRESSION, ENCRYPT TO or DELIVER',
  csvOption: 'DELIMITER, QUOTE, HEADER or LINE ENDING',
  sftpOption: 'HOST, HOST KEY, PORT, USER or DIRECTORY',
  exemptionClause: 'FOR SET, IN (datasets), FOR FIELDS, LEGAL BASIS, JUSTIFICATION or EXPIRES',
  primary: 'a value, a name, a function call or a parenthesised expression',
  unary: 'a value, a name, a function call or a parenthesised expression',
  predicate: 'an expression',
  notExpression: 'an expression',
  expression: 'an expression',
  comparisonOperator: 'a comparison (=, <>, <, <=, >, >=)',
  inTarget: 'a code set (e.g. << 73211009) or a list of values in parentheses',
  eclSubExpression: 'a concept (e.g. << 73211009 |Diabetes mellitus|)',
  eclExpression: 'a concept (e.g. << 73211009 |Diabetes mellitus|)',
  name: 'a name',
  path: 'a name',
  kebabName: 'a name written in kebab-case',
};

const COMPARISONS = new Set(['Equals', 'NotEquals', 'Less', 'LessEquals', 'Greater', 'GreaterEquals']);

/** `0 < x < 300` parses as far as `0 < x`; the second comparison is what is unexpected. */
function chainedComparison(token: IToken): string {
  return `unexpected ${describeToken(token)}: comparisons cannot be chained — write a < b and b < c (or use between)`;
}

export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    // After a field's JUSTIFY '...' comes a comma and the next field, or FROM.
    if (expected.name === 'From' && previous?.tokenType.name === 'StringLiteral' && actual.tokenType !== EOF) {
      return `expected \`,\` before ${describeToken(actual)}: every field but the last ends with a comma (or FROM, after the last field)`;
    }
    // At the top level, what may come next is another statement.
    if (expected === EOF && ruleName === 'definitionFile') return `expected ${RULE_DESCRIPTIONS['statement']} but found ${describeToken(actual)}`;
    if (COMPARISONS.has(actual.tokenType.name)) return chainedComparison(actual);
    const wanted = expected === EOF ? 'the end of the input' : describeTokenType(expected);
    const described = RULE_DESCRIPTIONS[ruleName];
    const context = ruleName === 'statement' || ruleName === 'definitionFile' || !described ? '' : ` in ${described}`;
    return `expected ${wanted} but found ${describeToken(actual)}${expected.name === 'Semicolon' ? ' (statements end with ;)' : context}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    if (COMPARISONS.has(firstRedundant.tokenType.name)) return chainedComparison(firstRedundant);
    return `unexpected ${describeToken(firstRedundant)}: the input should end here`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const described = RULE_DESCRIPTIONS[ruleName];
    if (described) return `expected ${described} but found ${describeToken(actual[0]!)}`;
    const starts = [...new Set(expectedPathsPerAlt.flat().map((path) => (path[0] ? describeTokenType(path[0]) : '')))].filter(Boolean);
    return `expected ${starts.slice(0, 8).join(', ')} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const described = RULE_DESCRIPTIONS[ruleName];
    const starts = [...new Set(expectedIterationPaths.map((path) => (path[0] ? describeTokenType(path[0]) : '')))].filter(Boolean);
    return `expected at least one ${described ?? starts.join(', ')} but found ${describeToken(actual[0]!)}`;
  },
};
