import type { CstNode, IToken } from 'chevrotain';
import type {
  DatasetStatementCstNode,
  DefinitionFileCstNode,
  ExemptionStatementCstNode,
  ExtractStatementCstNode,
  GovernanceStatementCstNode,
  KebabNameCstNode,
  LegalBasisClauseCstNode,
  NameCstNode,
  OutputStatementCstNode,
  PopulationStatementCstNode,
  ScheduleStatementCstNode,
  StatementCstNode,
} from '../../grammar/cst.js';
import { exdefParser } from '../../grammar/parser.js';
import { exdefLexer, Select, Semicolon, Star } from '../../grammar/tokens.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { printExpression } from '../print/print-expression.js';
import { spanOf, type SourceFile, type Span } from '../source/source-file.js';
import type { YamlPath } from '../source/yaml-source.js';
import { pointer, TAIL_COMMENTS, type ParsedDefinition } from './definition-source.js';
import type { ExprAst } from './expression-ast.js';
import { nameText, nodeSpan, pathSegments, stringValue, tokenSpan, wholeExpressionFromCst, type ConversionContext } from './expression-from-cst.js';
import { lexingDiagnostics, MISSING_COMMA, nestingDiagnostic, parsingDiagnostics, tooLongDiagnostics, unescapedQuoteDiagnostics } from './syntax-errors.js';

export const exdefCodes = defineCodes({
  'duplicate-clause': {
    severity: 'error',
    stage: 'parse',
    message: (p: { clause: string }) => `${p.clause} is given more than once`,
  },
  'select-star': {
    severity: 'error',
    stage: 'parse',
    message: () => 'SELECT * is not allowed: name each field and JUSTIFY it',
  },
  'field-needs-name': {
    severity: 'error',
    stage: 'parse',
    message: () => 'a computed field needs a name: add AS name before JUSTIFY',
  },
  'spaced-kebab-name': {
    severity: 'error',
    stage: 'parse',
    message: (p: { name: string }) => `write \`${p.name}\` without spaces around the hyphens`,
  },
  'unknown-article': {
    severity: 'error',
    stage: 'parse',
    message: (p: { article: string }) => `the legal basis names GDPR article 6 and article 9 conditions, not article ${p.article}`,
  },
  'duplicate-alias': {
    severity: 'error',
    stage: 'parse',
    message: (p: { alias: string }) => `the alias \`${p.alias}\` is used twice in this dataset`,
  },
});

interface Location {
  value?: Span;
  key?: Span;
}

export { TAIL_COMMENTS } from './definition-source.js';

/** Parses a definition written in the exdef language into the shared document. */
export function parseExdef(file: SourceFile): ParsedDefinition {
  const span = (start: number, endInclusive: number) => spanOf(file, start, endInclusive + 1);
  // A quoted text too long for the lexer is reported instead of lexed (it would overflow its stack).
  const tooLong = tooLongDiagnostics(file.text, span);
  const lexed = tooLong.length > 0 ? { tokens: [] as IToken[], errors: [], groups: {} as Record<string, IToken[]> } : exdefLexer.tokenize(file.text);
  const diagnostics: Diagnostic[] = [...tooLong, ...lexingDiagnostics(lexed.errors, file.text, span)];
  const selectStar = lexed.tokens.findIndex((token, i) => token.tokenType === Select && lexed.tokens[i + 1]?.tokenType === Star);
  if (selectStar >= 0) diagnostics.push(exdefCodes.make('select-star', {}, tokenSpan({ span, diagnostics }, lexed.tokens[selectStar + 1]!)));
  // Input nested deeper than the parser's stack allows is reported instead of parsed.
  const tooDeep = nestingDiagnostic(lexed.tokens, span);
  if (tooDeep) diagnostics.push(tooDeep);
  exdefParser.input = tooDeep || tooLong.length > 0 ? [] : lexed.tokens;
  const cst = exdefParser.definitionFile() as DefinitionFileCstNode;
  // Read before readsAsField, which parses again with the same parser.
  const parseErrors = tooLong.length > 0 ? [] : exdefParser.errors;
  const parseDiagnostics = withoutCascades(parsingDiagnostics(parseErrors, file.text.length, span, readsAsField(lexed.tokens)), lexed.tokens);
  diagnostics.push(...(selectStar >= 0 ? parseDiagnostics.filter((d) => d.span?.start.offset !== lexed.tokens[selectStar + 1]!.startOffset) : parseDiagnostics));
  // An undoubled quote inside a text shifts every quote after it: its own error replaces the cascade.
  const unescaped = unescapedQuoteDiagnostics(lexed.tokens, span);
  if (unescaped.length > 0 && (lexed.errors.length > 0 || parseErrors.length > 0)) diagnostics.splice(0, diagnostics.length, ...unescaped);

  const builder = new DocumentBuilder(file, { span, diagnostics });
  // A tree that error recovery patched up is not read: its syntax errors are the whole report.
  const readable = !tooDeep && tooLong.length === 0 && lexed.errors.length === 0 && parseErrors.length === 0;
  if (readable) for (const statement of cst.children.statement ?? []) builder.statement(statement);
  builder.attachComments((lexed.groups['comments'] ?? []) as IToken[]);
  const locations = builder.locations;
  const fileStart = spanOf(file, 0, 0);
  return {
    file,
    syntax: 'exdef',
    document: readable ? builder.document : undefined,
    locate(path: YamlPath, prefer: 'value' | 'key' = 'value'): Span {
      // The nearest located part of the path: a missing key is reported at its parent.
      for (let n = path.length; n >= 0; n--) {
        const location = locations.get(pointer(path.slice(0, n)));
        if (!location) continue;
        const found = prefer === 'key' ? location.key ?? location.value : location.value ?? location.key;
        if (found) return found;
      }
      return fileStart;
    },
    locateCharacter(path: YamlPath, index: number): Span | undefined {
      // A string literal: the value's characters follow the opening quote, '' standing for one '.
      const value = locations.get(pointer(path))?.value;
      if (!value || file.text[value.start.offset] !== "'") return undefined;
      let at = value.start.offset + 1;
      for (let i = 0; i < index && at < value.end.offset; i++) at += file.text.startsWith("''", at) ? 2 : 1;
      return spanOf(file, at, at + 1);
    },
    expressions: builder.expressions,
    comments: builder.comments,
    joins: builder.joins,
    diagnostics,
  };
}

/** Builds the document from the statements, recording where each part was written. */
class DocumentBuilder {
  readonly document: Record<string, unknown> = { exdef: 1 };
  readonly locations = new Map<string, Location>();
  readonly expressions = new Map<string, ExprAst>();
  readonly comments = new Map<string, string[]>();
  readonly joins: { dataset: number; path: string[]; span: Span }[] = [];
  /** Start offsets of the parts comments can attach to, with their pointers. */
  private readonly anchors: { offset: number; pointer: string }[] = [];

  constructor(
    private readonly file: SourceFile,
    private readonly ctx: ConversionContext,
  ) {}

  statement(node: StatementCstNode): void {
    const c = node.children;
    if (c.formatStatement) {
      // Comments after EXDEF n; belong to the next statement, not to the file's head.
      this.anchor(c.formatStatement[0]!, '/exdef');
      const integer = c.formatStatement[0]!.children.Integer?.[0];
      if (integer?.image) this.set(['exdef'], Number(integer.image), c.formatStatement[0]!.children.Exdef, integer);
    }
    if (c.extractStatement) this.extract(c.extractStatement[0]!);
    if (c.governanceStatement) this.governance(c.governanceStatement[0]!);
    if (c.populationStatement) this.population(c.populationStatement[0]!);
    if (c.modeStatement) {
      const m = c.modeStatement[0]!;
      this.anchor(m, '/mode');
      this.set(['mode'], nameText(m.children.name[0]!), m.children.Mode, nodeSpan(this.ctx, m.children.name[0]!));
    }
    if (c.scheduleStatement) this.schedule(c.scheduleStatement[0]!);
    if (c.outputStatement) this.output(c.outputStatement[0]!);
    if (c.datasetStatement) this.dataset(c.datasetStatement[0]!);
    if (c.exemptionStatement) this.exemption(c.exemptionStatement[0]!);
  }

  private extract(node: ExtractStatementCstNode): void {
    this.anchor(node, '/id');
    const kebab = node.children.kebabName[0]!;
    this.set(['id'], this.kebab(kebab), node.children.Extract, nodeSpan(this.ctx, kebab));
    for (const clause of node.children.extractClause ?? []) {
      const k = clause.children;
      if (k.Version && k.Integer?.[0]?.image) this.set(['version'], Number(k.Integer[0].image), k.Version, k.Integer[0]);
      if (k.Title && k.StringLiteral) this.set(['title'], stringValue(k.StringLiteral[0]!), k.Title, k.StringLiteral[0]!);
      if (k.Owner && k.StringLiteral) this.set(['owner', 'organisation'], stringValue(k.StringLiteral[0]!), k.Owner, k.StringLiteral[0]!);
      if (k.Contact && k.StringLiteral) this.set(['owner', 'contact'], stringValue(k.StringLiteral[0]!), k.Contact, k.StringLiteral[0]!);
    }
  }

  private governance(node: GovernanceStatementCstNode): void {
    this.anchor(node, '/use_case');
    for (const clause of node.children.governanceClause ?? []) {
      const k = clause.children;
      const str = k.StringLiteral?.[0];
      if (k.Use && k.Case && k.name) this.set(['use_case'], nameText(k.name[0]!), [...k.Use, ...k.Case], nodeSpan(this.ctx, k.name[0]!));
      else if (k.Care && k.name) this.set(['care_type'], nameText(k.name[0]!), k.Care, nodeSpan(this.ctx, k.name[0]!));
      else if (k.Intended && str) this.set(['intended_use'], stringValue(str), k.Intended, str);
      else if (k.Dpia && str) this.set(['dpia'], stringValue(str), k.Dpia, str);
      else if (k.Singling && str) this.set(['risk', 'singling_out'], stringValue(str), k.Singling, str);
      else if (k.Linkability && str) this.set(['risk', 'linkability'], stringValue(str), k.Linkability, str);
      else if (k.Reviewed) {
        // The date and the reviewer are each optional (REVIEWED 2026-10-01, REVIEWED BY 'who').
        const date = k.DateLiteral?.[0];
        if (date) this.set(['review', 'last_reviewed'], date.image, k.Reviewed, date);
        if (str && k.By) this.set(['review', 'reviewer'], stringValue(str), k.By, str);
      } else if (k.Processing && k.name) this.set(['processing_location'], nameText(k.name[0]!), k.Processing, nodeSpan(this.ctx, k.name[0]!));
      else if (k.Legal) this.legalBasis(['legal_basis'], k.legalBasisClause ?? [], 'data_provision_notice');
    }
  }

  private population(node: PopulationStatementCstNode): void {
    this.anchor(node, '/population');
    this.locate(['population'], node.children.Population);
    for (const clause of node.children.populationClause ?? []) {
      const k = clause.children;
      const value = k.name?.[0];
      const justified = k.justified?.[0]?.children.StringLiteral?.[0];
      const setChoice = (key: string, keywords: IToken[]) => {
        // The choice may be left out and only justified (NATIONAL OPT OUT JUSTIFIED '...').
        if (value) this.set(['population', key], nameText(value), keywords, nodeSpan(this.ctx, value));
        if (justified) this.set(['population', `${key}_justification`], stringValue(justified), k.justified![0]!.children.Justified, justified);
      };
      if (k.Registration) setChoice('registration', k.Registration);
      else if (k.Deceased) setChoice('deceased', k.Deceased);
      else if (k.Type1) setChoice('type1_opt_out', [...k.Type1, ...(k.Opt ?? []), ...(k.Out ?? [])]);
      else if (k.National) setChoice('national_data_opt_out', [...k.National, ...(k.Opt ?? []), ...(k.Out ?? [])]);
      else if (k.Leave && value) this.set(['population', 'on_leave'], nameText(value), [...(k.On ?? []), ...k.Leave], nodeSpan(this.ctx, value));
      else if (k.On && value) this.set(['population', 'on_opt_back_in'], nameText(value), [...k.On, ...(k.Back ?? []), ...(k.In ?? [])], nodeSpan(this.ctx, value));
      else if (k.Practices && k.nameList) {
        const names = k.nameList[0]!.children.name;
        this.set(['population', 'practices'], names.map(nameText), k.Practices, nodeSpan(this.ctx, k.nameList[0]!));
        names.forEach((n, i) => this.locate(['population', 'practices', i], undefined, nodeSpan(this.ctx, n)));
      } else if (k.Where && k.expression) {
        this.setExpression(['population', 'where'], wholeExpressionFromCst(this.ctx, k.expression[0]!), k.Where);
      }
    }
  }

  private schedule(node: ScheduleStatementCstNode): void {
    this.anchor(node, '/schedule');
    const c = node.children;
    this.locate(['schedule'], c.Schedule);
    this.set(['schedule', 'frequency'], nameText(c.name[0]!), c.Schedule, nodeSpan(this.ctx, c.name[0]!));
    if (c.Window && c.TimeWindow?.[0]) this.set(['schedule', 'window'], c.TimeWindow[0].image, c.Window, c.TimeWindow[0]);
  }

  private output(node: OutputStatementCstNode): void {
    this.anchor(node, '/output');
    this.locate(['output'], node.children.Output);
    for (const clause of node.children.outputClause ?? []) {
      const k = clause.children;
      if (k.Csv) {
        this.locate(['output', 'csv'], k.Csv);
        this.ensure(['output', 'csv']);
        for (const option of k.csvOption ?? []) {
          const o = option.children;
          const str = o.StringLiteral?.[0];
          if (o.Delimiter && str) this.set(['output', 'csv', 'delimiter'], stringValue(str), o.Delimiter, str);
          else if (o.Quote && str) this.set(['output', 'csv', 'quote'], stringValue(str), o.Quote, str);
          else if (o.Header) {
            const flag = o.On?.[0] ?? o.Off?.[0];
            if (flag) this.set(['output', 'csv', 'header'], flag.tokenType.name === 'On', o.Header, flag);
          } else if (o.Line && o.name) this.set(['output', 'csv', 'line_ending'], nameText(o.name[0]!), [...o.Line, ...(o.Ending ?? [])], nodeSpan(this.ctx, o.name[0]!));
        }
      } else if (k.Layout && k.name) this.set(['output', 'layout'], nameText(k.name[0]!), k.Layout, nodeSpan(this.ctx, k.name[0]!));
      else if (k.Compression && k.name) this.set(['output', 'compression'], nameText(k.name[0]!), k.Compression, nodeSpan(this.ctx, k.name[0]!));
      else if (k.Encrypt && k.StringLiteral?.[0]) this.set(['output', 'encryption', 'certificate'], stringValue(k.StringLiteral[0]), [...k.Encrypt, ...(k.To ?? [])], k.StringLiteral[0]);
      else if (k.Deliver) {
        if (k.None?.[0]) this.set(['output', 'delivery'], 'none', k.Deliver, k.None[0]);
        else if (k.Sftp) {
          this.locate(['output', 'delivery'], k.Deliver);
          this.locate(['output', 'delivery', 'sftp'], k.Sftp);
          this.ensure(['output', 'delivery', 'sftp']);
          for (const option of k.sftpOption ?? []) {
            const o = option.children;
            const str = o.StringLiteral?.[0];
            if (o.Host && o.Key && str) this.set(['output', 'delivery', 'sftp', 'host_key'], stringValue(str), [...o.Host, ...o.Key], str);
            else if (o.Host && str) this.set(['output', 'delivery', 'sftp', 'host'], stringValue(str), o.Host, str);
            else if (o.Port && o.Integer?.[0]) this.set(['output', 'delivery', 'sftp', 'port'], Number(o.Integer[0].image), o.Port, o.Integer[0]);
            else if (o.User && str) this.set(['output', 'delivery', 'sftp', 'user'], stringValue(str), o.User, str);
            else if (o.Directory && str) this.set(['output', 'delivery', 'sftp', 'directory'], stringValue(str), o.Directory, str);
          }
        }
      }
    }
  }

  private dataset(node: DatasetStatementCstNode): void {
    const datasets = (this.document['datasets'] ??= []) as Record<string, unknown>[];
    const index = datasets.length;
    const base: YamlPath = ['datasets', index];
    datasets.push({});
    this.anchor(node, pointer(base));
    const c = node.children;
    const nameNode = c.name[0]!;
    this.locate(base, c.Dataset, nodeSpan(this.ctx, nameNode));
    this.set([...base, 'name'], nameText(nameNode), c.Dataset, nodeSpan(this.ctx, nameNode));
    if (c.Description && c.StringLiteral?.[0]) this.set([...base, 'description'], stringValue(c.StringLiteral[0]), c.Description, c.StringLiteral[0]);
    const select = c.selectStatement?.[0];
    if (!select) return;
    const s = select.children;
    const fromNode = s.name?.[0];
    const from = fromNode ? nameText(fromNode) : '';
    if (fromNode) this.set([...base, 'from'], from, s.From, nodeSpan(this.ctx, fromNode));
    // Aliases stand for relation paths from the dataset's table: FROM observation o, JOIN patient p.
    const aliases = new Map<string, string[]>();
    if (from) aliases.set(from, []);
    const fromAlias = s.alias?.[0];
    if (fromAlias) aliases.set(nameText(fromAlias.children.name[0]!), []);
    for (const join of s.joinClause ?? []) {
      const segments = substitute(pathSegments(join.children.path[0]!), aliases);
      this.joins.push({ dataset: index, path: segments, span: nodeSpan(this.ctx, join.children.path[0]!) });
      const alias = join.children.alias?.[0];
      const aliasName = alias ? nameText(alias.children.name[0]!) : segments[segments.length - 1]!;
      if (alias && aliases.has(aliasName)) this.ctx.diagnostics.push(exdefCodes.make('duplicate-alias', { alias: aliasName }, nodeSpan(this.ctx, alias)));
      if (!aliases.has(aliasName) || alias) aliases.set(aliasName, segments);
    }
    const fields: Record<string, unknown>[] = [];
    this.setValue([...base, 'fields'], fields);
    this.locate([...base, 'fields'], s.Select);
    (s.selectItem ?? []).forEach((item, j) => {
      const f = item.children;
      const fieldPath: YamlPath = [...base, 'fields', j];
      fields.push({});
      this.anchor(item, pointer(fieldPath));
      this.locate(fieldPath, undefined, nodeSpan(this.ctx, item));
      const expression = f.expression?.[0] ? withAliases(wholeExpressionFromCst(this.ctx, f.expression[0]), aliases) : undefined;
      const asName = f.name?.[0];
      if (asName) this.set([...fieldPath, 'name'], nameText(asName), f.As, nodeSpan(this.ctx, asName));
      else if (expression?.kind === 'path') this.set([...fieldPath, 'name'], expression.segments[expression.segments.length - 1]!, undefined, expression.span);
      else if (expression) this.ctx.diagnostics.push(exdefCodes.make('field-needs-name', {}, expression.span));
      if (expression) this.setExpression([...fieldPath, 'value'], expression, undefined);
      const justification = f.StringLiteral?.[0];
      if (justification) this.set([...fieldPath, 'justification'], stringValue(justification), f.Justify, justification);
    });
    if (s.Where && s.expression?.[0]) {
      this.setExpression([...base, 'where'], withAliases(wholeExpressionFromCst(this.ctx, s.expression[0]), aliases), s.Where);
    }
  }

  private exemption(node: ExemptionStatementCstNode): void {
    const exemptions = (this.document['exemptions'] ??= []) as Record<string, unknown>[];
    const base: YamlPath = ['exemptions', exemptions.length];
    exemptions.push({});
    this.anchor(node, pointer(base));
    const c = node.children;
    this.locate(base, c.Exemption);
    this.set([...base, 'rule'], this.kebab(c.kebabName[0]!), c.From, nodeSpan(this.ctx, c.kebabName[0]!));
    for (const clause of c.exemptionClause ?? []) {
      const k = clause.children;
      const str = k.StringLiteral?.[0];
      if (k.Set && k.name) this.set([...base, 'code_set'], nameText(k.name[0]!), [...(k.For ?? []), ...k.Set], nodeSpan(this.ctx, k.name[0]!));
      else if (k.Fields && k.pathList) {
        this.set([...base, 'fields'], k.pathList[0]!.children.path.map((path) => pathSegments(path).join('.')), [...(k.For ?? []), ...k.Fields], nodeSpan(this.ctx, k.pathList[0]!));
        k.pathList[0]!.children.path.forEach((path, j) => this.locate([...base, 'fields', j], undefined, nodeSpan(this.ctx, path)));
      }
      else if (k.In && k.nameList) {
        this.set([...base, 'datasets'], k.nameList[0]!.children.name.map(nameText), k.In, nodeSpan(this.ctx, k.nameList[0]!));
        k.nameList[0]!.children.name.forEach((name, j) => this.locate([...base, 'datasets', j], undefined, nodeSpan(this.ctx, name)));
      } else if (k.Legal) {
        this.locate([...base, 'legal_basis'], [...k.Legal, ...(k.Basis ?? [])]);
        this.legalBasis([...base, 'legal_basis'], k.legalBasisClause ?? [], 'notice');
      }
      else if (k.Justification && str) this.set([...base, 'justification'], stringValue(str), k.Justification, str);
      else if (k.Expires && k.DateLiteral?.[0]) this.set([...base, 'expires'], k.DateLiteral[0].image, k.Expires, k.DateLiteral[0]);
    }
  }

  /**
   * LEGAL BASIS ARTICLE 6 '...' ARTICLE 9 '...' STATEMENT '...' NOTICE '...' APPROVAL '...', under
   * `path`: the definition's (whose NOTICE is its data_provision_notice) or an exemption's (notice).
   * A clause that does not belong there (STATEMENT in an exemption, APPROVAL in the governance) is
   * kept, for the schema to refuse at its place.
   */
  private legalBasis(path: YamlPath, clauses: LegalBasisClauseCstNode[], noticeKey: string): void {
    for (const part of clauses) {
      const p = part.children;
      const text = p.StringLiteral?.[0];
      if (!text) continue;
      if (p.Article && p.Integer?.[0]) {
        const article = p.Integer[0].image;
        if (article !== '6' && article !== '9') {
          this.ctx.diagnostics.push(exdefCodes.make('unknown-article', { article }, tokenSpan(this.ctx, p.Integer[0])));
          continue;
        }
        this.set([...path, `article_${article}`], stringValue(text), [...p.Article, p.Integer[0]], text);
      } else if (p.Statement) this.set([...path, 'statement'], stringValue(text), p.Statement, text);
      else if (p.Notice) this.set([...path, noticeKey], stringValue(text), p.Notice, text);
      else if (p.Approval) this.set([...path, 'approval'], stringValue(text), p.Approval, text);
    }
  }

  /** A kebab-case name, whose parts must be written without spaces. */
  private kebab(node: KebabNameCstNode): string {
    const quoted = node.children.QuotedName?.[0];
    if (quoted) return quoted.image.slice(1, -1).replace(/""/g, '"');
    const parts: IToken[] = [];
    const collect = (n: CstNode | IToken) => {
      if ('image' in n) parts.push(n);
      else for (const children of Object.values(n.children)) for (const child of children) collect(child as CstNode | IToken);
    };
    collect(node);
    parts.sort((a, b) => a.startOffset - b.startOffset);
    const text = parts.map((p) => p.image).join('');
    for (let i = 1; i < parts.length; i++) {
      if (parts[i]!.startOffset !== (parts[i - 1]!.endOffset ?? 0) + 1) {
        this.ctx.diagnostics.push(exdefCodes.make('spaced-kebab-name', { name: text }, nodeSpan(this.ctx, node)));
        break;
      }
    }
    return text;
  }

  // ------------------------------------------------------------ recording values and places

  private set(path: YamlPath, value: unknown, keywords: IToken[] | undefined, valueAt: IToken | Span | undefined): void {
    const key = pointer(path);
    if (this.locations.get(key)?.value) {
      const clause = keywords && keywords.length > 0 ? keywords.map((k) => k.image.toUpperCase()).join(' ') : path.join('.');
      const at = keywords?.[0] ? tokenSpan(this.ctx, keywords[0]) : this.spanOfValue(valueAt);
      this.ctx.diagnostics.push(exdefCodes.make('duplicate-clause', { clause }, at));
    }
    this.setValue(path, value);
    this.locate(path, keywords, this.spanOfValue(valueAt));
  }

  private setExpression(path: YamlPath, expression: ExprAst, keywords: IToken[] | undefined): void {
    this.set(path, printExpression(expression), keywords, expression.span);
    this.expressions.set(pointer(path), expression);
  }

  private spanOfValue(at: IToken | Span | undefined): Span | undefined {
    if (!at) return undefined;
    return 'image' in at ? tokenSpan(this.ctx, at) : at;
  }

  private locate(path: YamlPath, keywords: IToken[] | undefined, value?: Span): void {
    const key = pointer(path);
    const location = this.locations.get(key) ?? {};
    const sorted = keywords?.filter((k) => !Number.isNaN(k.startOffset)).sort((a, b) => a.startOffset - b.startOffset);
    if (sorted && sorted.length > 0) {
      location.key = spanOf(this.file, sorted[0]!.startOffset, (sorted[sorted.length - 1]!.endOffset ?? sorted[0]!.startOffset) + 1);
    }
    if (value) location.value = value;
    this.locations.set(key, location);
  }

  private ensure(path: YamlPath): void {
    let target: Record<string, unknown> = this.document;
    for (const segment of path) target = (target[segment as string] ??= {}) as Record<string, unknown>;
  }

  private setValue(path: YamlPath, value: unknown): void {
    let target: Record<string, unknown> | unknown[] = this.document;
    for (let i = 0; i < path.length - 1; i++) {
      const segment = path[i]!;
      const next = (target as Record<string | number, unknown>)[segment];
      if (next === undefined || next === null || typeof next !== 'object') {
        (target as Record<string | number, unknown>)[segment] = typeof path[i + 1] === 'number' ? [] : {};
      }
      target = (target as Record<string | number, unknown>)[segment] as Record<string, unknown>;
    }
    (target as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  }

  private anchor(node: CstNode, at: string): void {
    const offset = node.location?.startOffset;
    if (offset !== undefined && !Number.isNaN(offset)) this.anchors.push({ offset, pointer: at });
  }

  /** Each comment belongs to the statement or field that follows it; a leading block to the file. */
  attachComments(comments: IToken[]): void {
    const anchors = [...this.anchors].sort((a, b) => a.offset - b.offset);
    const firstStatement = anchors[0]?.offset ?? Infinity;
    for (const comment of comments) {
      // A block comment becomes one line per line of it (printed as -- comments).
      const lines = comment.image.startsWith('--')
        ? [comment.image.slice(2).replace(/^ /, '')]
        : comment.image
            .slice(2, -2)
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l, i, all) => l !== '' || (i > 0 && i < all.length - 1));
      const next = anchors.find((a) => a.offset > comment.startOffset);
      // Before the first statement: the file's head; after the last: its tail.
      const key = comment.startOffset < firstStatement ? '' : next?.pointer ?? TAIL_COMMENTS;
      this.comments.set(key, [...(this.comments.get(key) ?? []), ...lines]);
    }
  }
}

/**
 * Whether the tokens from `start` on read as one field of a SELECT list (`code AS condition_code
 * JUSTIFY '...'`, whatever follows it): parsed on their own as a field, up to the statement's end.
 * Used once the statement has been parsed, since it parses again with the same parser.
 */
function readsAsField(tokens: readonly IToken[]): (start: IToken) => boolean {
  return (start) => {
    const from = tokens.indexOf(start);
    if (from < 0) return false;
    let to = from;
    while (to < tokens.length && tokens[to]!.tokenType !== Semicolon) to++;
    exdefParser.input = tokens.slice(from, to);
    exdefParser.selectItem();
    // What follows the field (`,`, FROM ...) is not part of it: only errors within it count.
    return exdefParser.errors.every((error) => error.name === 'NotAllInputParsedException');
  };
}

/**
 * After a missing comma between fields, recovery stumbles over the rest of the statement: those
 * follow-on errors (up to the statement's `;`) are dropped, the comma's error says what to do.
 */
function withoutCascades(diagnostics: Diagnostic[], tokens: readonly IToken[]): Diagnostic[] {
  const kept: Diagnostic[] = [];
  let skipUntil = -1;
  for (const diagnostic of diagnostics) {
    const offset = diagnostic.span?.start.offset ?? -1;
    if (offset <= skipUntil) continue;
    kept.push(diagnostic);
    if (diagnostic.message.startsWith(MISSING_COMMA)) {
      skipUntil = tokens.find((t) => t.tokenType === Semicolon && t.startOffset > offset)?.startOffset ?? Infinity;
    }
  }
  return kept;
}

/** A JOIN path may start with an alias: JOIN p.current_registration r. */
function substitute(segments: string[], aliases: ReadonlyMap<string, string[]>): string[] {
  const alias = segments.length > 1 ? aliases.get(segments[0]!) : undefined;
  return alias ? [...alias, ...segments.slice(1)] : segments;
}

/**
 * Rewrites alias-qualified paths into relation paths from the dataset's table (`p.nhs_number` →
 * `patient.nhs_number`). Inside exists(...) names belong to the tested table and are left alone.
 */
function withAliases(expression: ExprAst, aliases: ReadonlyMap<string, string[]>): ExprAst {
  const rewrite = (node: ExprAst): ExprAst => {
    switch (node.kind) {
      case 'path': {
        if (node.segments.length > 1 && aliases.has(node.segments[0]!)) {
          return { ...node, segments: [...aliases.get(node.segments[0]!)!, ...node.segments.slice(1)] };
        }
        return node;
      }
      case 'exists':
        return { ...node, path: node.path.length > 1 && aliases.has(node.path[0]!) ? [...aliases.get(node.path[0]!)!, ...node.path.slice(1)] : node.path };
      case 'call':
        return { ...node, args: node.args.map(rewrite) };
      case 'not':
      case 'negate':
        return { ...node, operand: rewrite(node.operand) };
      case 'binary':
        return { ...node, left: rewrite(node.left), right: rewrite(node.right) };
      case 'isNull':
        return { ...node, operand: rewrite(node.operand) };
      case 'between':
        return { ...node, operand: rewrite(node.operand), low: rewrite(node.low), high: rewrite(node.high) };
      case 'in':
        return node.list ? { ...node, operand: rewrite(node.operand), list: node.list.map(rewrite) } : { ...node, operand: rewrite(node.operand) };
      default:
        return node;
    }
  };
  return rewrite(expression);
}
