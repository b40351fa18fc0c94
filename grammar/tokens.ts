import { createToken, Lexer, type TokenType } from './chevrotain.js';

/**
 * The tokens of the exdef language, its expressions and ECL: one vocabulary for both syntaxes
 * (YAML expression strings are lexed with it too). Keywords are case-insensitive. Soft keywords
 * (those of the header statements) are also accepted where a name is expected, so that a column
 * called `title` or `version` is still a column.
 */

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /--[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });

/** Category of every word (identifier or keyword): the parts of a kebab-case name. */
export const AnyWord = createToken({ name: 'AnyWord', pattern: Lexer.NA });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [AnyWord] });

/** Category of keywords that may also be used as names. */
export const SoftKeyword = createToken({ name: 'SoftKeyword', pattern: Lexer.NA });

const keyword = (name: string, word: string, soft: boolean): TokenType =>
  createToken({
    name,
    pattern: new RegExp(word, 'i'),
    // What the lexer would otherwise work out from each keyword's pattern at every start: a word
    // never spans lines, and starts with its first letter in either case.
    line_breaks: false,
    start_chars_hint: [word[0]!.toLowerCase(), word[0]!.toUpperCase()],
    longer_alt: Identifier,
    categories: soft ? [SoftKeyword, AnyWord] : [AnyWord],
  });

// Reserved: the expression language and SELECT.
export const And = keyword('And', 'and', false);
export const Or = keyword('Or', 'or', false);
export const Not = keyword('Not', 'not', false);
export const In = keyword('In', 'in', false);
export const Is = keyword('Is', 'is', false);
export const Null = keyword('Null', 'null', false);
export const Between = keyword('Between', 'between', false);
export const Exists = keyword('Exists', 'exists', false);
export const Where = keyword('Where', 'where', false);
export const True = keyword('True', 'true', false);
export const False = keyword('False', 'false', false);
export const Interval = keyword('Interval', 'interval', false);
export const EclMinus = keyword('EclMinus', 'minus', false);
export const Select = keyword('Select', 'select', false);
export const From = keyword('From', 'from', false);
export const Join = keyword('Join', 'join', false);
export const As = keyword('As', 'as', false);
export const Justify = keyword('Justify', 'justify', false);

// Soft: the header statements.
export const Exdef = keyword('Exdef', 'exdef', true);
export const Extract = keyword('Extract', 'extract', true);
export const Version = keyword('Version', 'version', true);
export const Title = keyword('Title', 'title', true);
export const Owner = keyword('Owner', 'owner', true);
export const Contact = keyword('Contact', 'contact', true);
export const Governance = keyword('Governance', 'governance', true);
export const Use = keyword('Use', 'use', true);
export const Case = keyword('Case', 'case', true);
export const Care = keyword('Care', 'care', true);
export const Intended = keyword('Intended', 'intended', true);
export const Legal = keyword('Legal', 'legal', true);
export const Basis = keyword('Basis', 'basis', true);
export const Article = keyword('Article', 'article', true);
export const Statement = keyword('Statement', 'statement', true);
export const Notice = keyword('Notice', 'notice', true);
export const Approval = keyword('Approval', 'approval', true);
export const Dpia = keyword('Dpia', 'dpia', true);
export const Singling = keyword('Singling', 'singling', true);
export const Out = keyword('Out', 'out', true);
export const Linkability = keyword('Linkability', 'linkability', true);
export const Reviewed = keyword('Reviewed', 'reviewed', true);
export const By = keyword('By', 'by', true);
export const Processing = keyword('Processing', 'processing', true);
export const Population = keyword('Population', 'population', true);
export const Registration = keyword('Registration', 'registration', true);
export const Justified = keyword('Justified', 'justified', true);
export const Deceased = keyword('Deceased', 'deceased', true);
export const Type1 = keyword('Type1', 'type1', true);
export const National = keyword('National', 'national', true);
export const Opt = keyword('Opt', 'opt', true);
export const Back = keyword('Back', 'back', true);
export const Leave = keyword('Leave', 'leave', true);
export const On = keyword('On', 'on', true);
export const Off = keyword('Off', 'off', true);
export const Practices = keyword('Practices', 'practices', true);
export const Mode = keyword('Mode', 'mode', true);
export const Schedule = keyword('Schedule', 'schedule', true);
export const Window = keyword('Window', 'window', true);
export const Output = keyword('Output', 'output', true);
export const Csv = keyword('Csv', 'csv', true);
export const Delimiter = keyword('Delimiter', 'delimiter', true);
export const Quote = keyword('Quote', 'quote', true);
export const Header = keyword('Header', 'header', true);
export const Line = keyword('Line', 'line', true);
export const Ending = keyword('Ending', 'ending', true);
export const Layout = keyword('Layout', 'layout', true);
export const Compression = keyword('Compression', 'compression', true);
export const Encrypt = keyword('Encrypt', 'encrypt', true);
export const To = keyword('To', 'to', true);
export const Deliver = keyword('Deliver', 'deliver', true);
export const None = keyword('None', 'none', true);
export const Sftp = keyword('Sftp', 'sftp', true);
export const Host = keyword('Host', 'host', true);
export const Port = keyword('Port', 'port', true);
export const User = keyword('User', 'user', true);
export const Directory = keyword('Directory', 'directory', true);
export const Key = keyword('Key', 'key', true);
export const Dataset = keyword('Dataset', 'dataset', true);
export const Exemption = keyword('Exemption', 'exemption', true);
export const For = keyword('For', 'for', true);
export const Set = keyword('Set', 'set', true);
export const Fields = keyword('Fields', 'fields', true);
export const Justification = keyword('Justification', 'justification', true);
export const Expires = keyword('Expires', 'expires', true);
export const Description = keyword('Description', 'description', true);
export const DateKeyword = keyword('DateKeyword', 'date', true);

// Literals. Order matters: longer and more specific patterns first.
export const TimeWindow = createToken({ name: 'TimeWindow', pattern: /\d{2}:\d{2}-\d{2}:\d{2}/ });
export const DateLiteral = createToken({ name: 'DateLiteral', pattern: /\d{4}-\d{2}-\d{2}(?![0-9])/ });
export const Decimal = createToken({ name: 'Decimal', pattern: /\d+\.\d+/ });
export const Integer = createToken({ name: 'Integer', pattern: /\d+/ });
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /'(?:[^']|'')*'/, line_breaks: true });
/**
 * A name in double quotes, for names that are reserved words or not plain identifiers: "select".
 * As in SQL it may span lines: the YAML format allows any text in names such as an exemption's
 * fields, and the exdef printer must be able to write them.
 */
export const QuotedName = createToken({ name: 'QuotedName', pattern: /"(?:[^"]|"")+"/, line_breaks: true });
/** An ECL term comment: |Diabetes mellitus| */
export const Term = createToken({ name: 'Term', pattern: /\|[^|\n\r]*\|/ });

// Operators and punctuation.
export const DescendantOrSelf = createToken({ name: 'DescendantOrSelf', pattern: /<</ });
export const LessEquals = createToken({ name: 'LessEquals', pattern: /<=/ });
export const NotEquals = createToken({ name: 'NotEquals', pattern: /<>|!=/ });
export const Less = createToken({ name: 'Less', pattern: /</ });
export const GreaterEquals = createToken({ name: 'GreaterEquals', pattern: />=/ });
export const Greater = createToken({ name: 'Greater', pattern: />/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Caret = createToken({ name: 'Caret', pattern: /\^/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Slash = createToken({ name: 'Slash', pattern: /\// });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Dot = createToken({ name: 'Dot', pattern: /\./ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/ });

const reserved = [And, Or, Not, In, Is, Null, Between, Exists, Where, True, False, Interval, EclMinus, Select, From, Join, As, Justify];
const soft = [
  Exdef, Extract, Version, Title, Owner, Contact, Governance, Use, Case, Care, Intended, Legal, Basis, Article, Statement, Notice, Approval, Dpia,
  Singling, Out, Linkability, Reviewed, By, Processing, Population, Registration, Justified, Deceased, Type1, National, Opt, Back, Leave, On, Off,
  Practices, Mode, Schedule, Window, Output, Csv, Delimiter, Quote, Header, Line, Ending, Layout, Compression, Encrypt, To, Deliver, None, Sftp, Host,
  Port, User, Directory, Key, Dataset, Exemption, For, Set, Fields, Justification, Expires, Description, DateKeyword,
];

/** Every token, in lexing order. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  BlockComment,
  LineComment,
  SoftKeyword,
  AnyWord,
  // Longest first, so that `notice` is not lexed as `not` + `ice`.
  ...[...reserved, ...soft].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
  TimeWindow,
  DateLiteral,
  Decimal,
  Integer,
  StringLiteral,
  QuotedName,
  Term,
  DescendantOrSelf,
  LessEquals,
  NotEquals,
  Less,
  GreaterEquals,
  Greater,
  Equals,
  Caret,
  Plus,
  Minus,
  Star,
  Slash,
  Comma,
  Dot,
  LParen,
  RParen,
  Semicolon,
];

export const reservedWords = reserved.map((t) => t.name.toLowerCase().replace('eclminus', 'minus'));

/** Lexer validations (unreachable tokens, ...) run in the test suite; the CLI skips them to start fast. */
export const exdefLexer = new Lexer(allTokens, { positionTracking: 'full', skipValidations: process.env['VITEST'] === undefined && process.env['EXDEF_VALIDATE_GRAMMAR'] === undefined });
