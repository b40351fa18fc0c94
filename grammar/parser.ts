import { CstParser, type IToken, type TokenType } from './chevrotain.js';
import { errorMessages } from './error-messages.js';
import { LazyLookaheadStrategy } from './lazy-lookahead.js';
import * as t from './tokens.js';

/**
 * The exdef grammar: statements of a definition file, and the expression language with ECL that
 * both syntaxes share. A pure CstParser (no embedded actions); src/parse turns its CST into the
 * definition document. Rules are listed from the file down to the tokens.
 */
export class ExdefParser extends CstParser {
  /**
   * `validate`: run Chevrotain's grammar validations (ambiguities, left recursion, ...). They
   * cost a tenth of a second at every start, so the CLI skips them and the test suite runs them.
   */
  constructor(options: { validate?: boolean } = {}) {
    super(t.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'full',
      errorMessageProvider: errorMessages,
      skipValidations: !(options.validate ?? false),
      lookaheadStrategy: new LazyLookaheadStrategy({ maxLookahead: 3 }),
    });
    this.performSelfAnalysis();
  }

  // ---------------------------------------------------------------- file and statements

  public definitionFile = this.RULE('definitionFile', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.formatStatement) },
      { ALT: () => this.SUBRULE(this.extractStatement) },
      { ALT: () => this.SUBRULE(this.governanceStatement) },
      { ALT: () => this.SUBRULE(this.populationStatement) },
      { ALT: () => this.SUBRULE(this.modeStatement) },
      { ALT: () => this.SUBRULE(this.scheduleStatement) },
      { ALT: () => this.SUBRULE(this.outputStatement) },
      { ALT: () => this.SUBRULE(this.datasetStatement) },
      { ALT: () => this.SUBRULE(this.exemptionStatement) },
    ]);
  });

  /** EXDEF 1; */
  public formatStatement = this.RULE('formatStatement', () => {
    this.CONSUME(t.Exdef);
    this.CONSUME(t.Integer);
    this.CONSUME(t.Semicolon);
  });

  /** EXTRACT chis-immunisations VERSION 3 TITLE '...' OWNER '...' CONTACT '...'; */
  public extractStatement = this.RULE('extractStatement', () => {
    this.CONSUME(t.Extract);
    this.SUBRULE(this.kebabName);
    this.MANY(() => this.SUBRULE(this.extractClause));
    this.CONSUME(t.Semicolon);
  });

  public extractClause = this.RULE('extractClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Version); this.CONSUME(t.Integer); } },
      { ALT: () => { this.CONSUME(t.Title); this.CONSUME(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Owner); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Contact); this.CONSUME3(t.StringLiteral); } },
    ]);
  });

  public governanceStatement = this.RULE('governanceStatement', () => {
    this.CONSUME(t.Governance);
    this.MANY(() => this.SUBRULE(this.governanceClause));
    this.CONSUME(t.Semicolon);
  });

  public governanceClause = this.RULE('governanceClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Use); this.CONSUME(t.Case); this.SUBRULE(this.name); } },
      { ALT: () => { this.CONSUME(t.Care); this.SUBRULE2(this.name); } },
      { ALT: () => { this.CONSUME(t.Intended); this.CONSUME2(t.Use); this.CONSUME(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Legal); this.CONSUME(t.Basis); this.AT_LEAST_ONE(() => this.SUBRULE(this.legalBasisClause)); } },
      { ALT: () => { this.CONSUME(t.Dpia); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Singling); this.CONSUME(t.Out); this.CONSUME3(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Linkability); this.CONSUME4(t.StringLiteral); } },
      // REVIEWED 2026-10-01 [BY 'who'], or REVIEWED BY 'who': either part of `review` may be given alone.
      {
        ALT: () => {
          this.CONSUME(t.Reviewed);
          this.OR2([
            { ALT: () => { this.CONSUME(t.DateLiteral); this.OPTION(() => { this.CONSUME(t.By); this.CONSUME5(t.StringLiteral); }); } },
            { ALT: () => { this.CONSUME2(t.By); this.CONSUME6(t.StringLiteral); } },
          ]);
        },
      },
      { ALT: () => { this.CONSUME(t.Processing); this.CONSUME(t.In); this.SUBRULE3(this.name); } },
    ]);
  });

  public legalBasisClause = this.RULE('legalBasisClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Article); this.CONSUME(t.Integer); this.CONSUME(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Statement); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Notice); this.CONSUME3(t.StringLiteral); } },
      // An exemption's approval (s251 support); the definition's legal basis has none (a schema error there).
      { ALT: () => { this.CONSUME(t.Approval); this.CONSUME4(t.StringLiteral); } },
    ]);
  });

  public populationStatement = this.RULE('populationStatement', () => {
    this.CONSUME(t.Population);
    this.MANY(() => this.SUBRULE(this.populationClause));
    this.CONSUME(t.Semicolon);
  });

  public populationClause = this.RULE('populationClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Registration); this.SUBRULE(this.name); this.OPTION(() => this.SUBRULE(this.justified)); } },
      { ALT: () => { this.CONSUME(t.Deceased); this.SUBRULE2(this.name); this.OPTION2(() => this.SUBRULE2(this.justified)); } },
      { ALT: () => { this.CONSUME(t.Type1); this.CONSUME(t.Opt); this.CONSUME(t.Out); this.SUBRULE3(this.name); this.OPTION3(() => this.SUBRULE3(this.justified)); } },
      // The National Data Opt-out choice is optional (its default follows the care type), so its
      // justification can also stand alone: NATIONAL OPT OUT JUSTIFIED 'why'.
      {
        ALT: () => {
          this.CONSUME(t.National);
          this.CONSUME2(t.Opt);
          this.CONSUME2(t.Out);
          // JUSTIFIED 'why' first: JUSTIFIED is a soft keyword, which the other alternative would take as the name.
          this.OR2([
            { ALT: () => this.SUBRULE5(this.justified) },
            { ALT: () => { this.SUBRULE4(this.name); this.OPTION4(() => this.SUBRULE4(this.justified)); } },
          ]);
        },
      },
      { ALT: () => { this.CONSUME(t.On); this.CONSUME3(t.Opt); this.CONSUME(t.Back); this.CONSUME(t.In); this.SUBRULE5(this.name); } },
      { ALT: () => { this.CONSUME2(t.On); this.CONSUME(t.Leave); this.SUBRULE6(this.name); } },
      { ALT: () => { this.CONSUME(t.Practices); this.SUBRULE(this.nameList); } },
      { ALT: () => { this.CONSUME(t.Where); this.SUBRULE(this.expression); } },
    ]);
  });

  /** JUSTIFIED 'why' */
  public justified = this.RULE('justified', () => {
    this.CONSUME(t.Justified);
    this.CONSUME(t.StringLiteral);
  });

  public modeStatement = this.RULE('modeStatement', () => {
    this.CONSUME(t.Mode);
    this.SUBRULE(this.name);
    this.CONSUME(t.Semicolon);
  });

  public scheduleStatement = this.RULE('scheduleStatement', () => {
    this.CONSUME(t.Schedule);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(t.Window);
      this.CONSUME(t.TimeWindow);
    });
    this.CONSUME(t.Semicolon);
  });

  public outputStatement = this.RULE('outputStatement', () => {
    this.CONSUME(t.Output);
    this.MANY(() => this.SUBRULE(this.outputClause));
    this.CONSUME(t.Semicolon);
  });

  public outputClause = this.RULE('outputClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Csv); this.MANY(() => this.SUBRULE(this.csvOption)); } },
      { ALT: () => { this.CONSUME(t.Layout); this.SUBRULE(this.name); } },
      { ALT: () => { this.CONSUME(t.Compression); this.SUBRULE2(this.name); } },
      { ALT: () => { this.CONSUME(t.Encrypt); this.CONSUME(t.To); this.CONSUME(t.StringLiteral); } },
      {
        ALT: () => {
          this.CONSUME(t.Deliver);
          this.OR2([
            { ALT: () => this.CONSUME(t.None) },
            { ALT: () => { this.CONSUME(t.Sftp); this.MANY2(() => this.SUBRULE(this.sftpOption)); } },
          ]);
        },
      },
    ]);
  });

  public csvOption = this.RULE('csvOption', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Delimiter); this.CONSUME(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Quote); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Header); this.OR2([{ ALT: () => this.CONSUME(t.On) }, { ALT: () => this.CONSUME(t.Off) }]); } },
      { ALT: () => { this.CONSUME(t.Line); this.CONSUME(t.Ending); this.SUBRULE(this.name); } },
    ]);
  });

  public sftpOption = this.RULE('sftpOption', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Host); this.CONSUME(t.Key); this.CONSUME(t.StringLiteral); } },
      { ALT: () => { this.CONSUME2(t.Host); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Port); this.CONSUME(t.Integer); } },
      { ALT: () => { this.CONSUME(t.User); this.CONSUME3(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Directory); this.CONSUME4(t.StringLiteral); } },
    ]);
  });

  /** DATASET name [DESCRIPTION '...'] AS SELECT ...; */
  public datasetStatement = this.RULE('datasetStatement', () => {
    this.CONSUME(t.Dataset);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(t.Description);
      this.CONSUME(t.StringLiteral);
    });
    this.CONSUME(t.As);
    this.SUBRULE(this.selectStatement);
    this.CONSUME(t.Semicolon);
  });

  public selectStatement = this.RULE('selectStatement', () => {
    this.CONSUME(t.Select);
    this.SUBRULE(this.selectItem);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.selectItem);
    });
    this.CONSUME(t.From);
    this.SUBRULE(this.name);
    this.OPTION(() => this.SUBRULE(this.alias));
    this.MANY2(() => this.SUBRULE(this.joinClause));
    this.OPTION2(() => {
      this.CONSUME(t.Where);
      this.SUBRULE(this.expression);
    });
  });

  /** expression [AS name] JUSTIFY 'why' */
  public selectItem = this.RULE('selectItem', () => {
    this.SUBRULE(this.expression);
    this.OPTION(() => {
      this.CONSUME(t.As);
      this.SUBRULE(this.name);
    });
    this.CONSUME(t.Justify);
    this.CONSUME(t.StringLiteral);
  });

  /** JOIN relation [alias], JOIN alias.relation [alias] */
  public joinClause = this.RULE('joinClause', () => {
    this.CONSUME(t.Join);
    this.SUBRULE(this.path);
    this.OPTION(() => this.SUBRULE(this.alias));
  });

  public alias = this.RULE('alias', () => {
    this.OPTION(() => this.CONSUME(t.As));
    this.SUBRULE(this.name);
  });

  /**
   * EXEMPTION FROM rule-id FOR SET name IN dataset, ... FOR FIELDS dataset.field, ...
   *   LEGAL BASIS ARTICLE 6 '...' ARTICLE 9 '...' NOTICE '...' | APPROVAL '...'
   *   JUSTIFICATION '...' EXPIRES 2027-01-01;
   */
  public exemptionStatement = this.RULE('exemptionStatement', () => {
    this.CONSUME(t.Exemption);
    this.CONSUME(t.From);
    this.SUBRULE(this.kebabName);
    this.MANY(() => this.SUBRULE(this.exemptionClause));
    this.CONSUME(t.Semicolon);
  });

  public exemptionClause = this.RULE('exemptionClause', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.For); this.CONSUME(t.Set); this.SUBRULE(this.name); } },
      { ALT: () => { this.CONSUME2(t.For); this.CONSUME(t.Fields); this.SUBRULE(this.pathList); } },
      { ALT: () => { this.CONSUME(t.In); this.SUBRULE(this.nameList); } },
      { ALT: () => { this.CONSUME(t.Legal); this.CONSUME(t.Basis); this.AT_LEAST_ONE(() => this.SUBRULE(this.legalBasisClause)); } },
      { ALT: () => { this.CONSUME(t.Justification); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Expires); this.CONSUME(t.DateLiteral); } },
    ]);
  });

  // ---------------------------------------------------------------- names

  /** An identifier, or a header keyword used as a name. */
  public name = this.RULE('name', () => {
    this.OR([{ ALT: () => this.CONSUME(t.Identifier) }, { ALT: () => this.CONSUME(t.SoftKeyword) }, { ALT: () => this.CONSUME(t.QuotedName) }]);
  });

  public nameList = this.RULE('nameList', () => {
    this.SUBRULE(this.name);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.name);
    });
  });

  /**
   * chis-immunisations, free-text-and-documents: words (keywords included) and numbers joined by
   * '-' with no spaces (checked after parsing), or any name in double quotes.
   */
  public kebabName = this.RULE('kebabName', () => {
    this.OR([
      { ALT: () => this.CONSUME(t.QuotedName) },
      {
        ALT: () => {
          this.CONSUME(t.AnyWord);
          this.MANY(() => {
            this.CONSUME(t.Minus);
            this.OR2([{ ALT: () => this.CONSUME2(t.AnyWord) }, { ALT: () => this.CONSUME(t.Integer) }]);
          });
        },
      },
    ]);
  });

  /** dataset.field, field, ... */
  public pathList = this.RULE('pathList', () => {
    this.SUBRULE(this.path);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.path);
    });
  });

  /** a.b.c */
  public path = this.RULE('path', () => {
    this.SUBRULE(this.name);
    this.MANY(() => {
      this.CONSUME(t.Dot);
      this.SUBRULE2(this.name);
    });
  });

  // ---------------------------------------------------------------- expressions

  /** An expression on its own (the YAML syntax's `where:` and `value:` strings). */
  public standaloneExpression = this.RULE('standaloneExpression', () => {
    this.SUBRULE(this.expression);
  });

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.orExpression);
  });

  public orExpression = this.RULE('orExpression', () => {
    this.SUBRULE(this.andExpression);
    this.MANY(() => {
      this.CONSUME(t.Or);
      this.SUBRULE2(this.andExpression);
    });
  });

  public andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression);
    this.MANY(() => {
      this.CONSUME(t.And);
      this.SUBRULE2(this.notExpression);
    });
  });

  public notExpression = this.RULE('notExpression', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Not); this.SUBRULE(this.notExpression); } },
      { ALT: () => this.SUBRULE(this.predicate) },
    ]);
  });

  /** additive [comparison | IS [NOT] NULL | [NOT] IN ... | [NOT] BETWEEN ... AND ...] */
  public predicate = this.RULE('predicate', () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        { ALT: () => { this.SUBRULE(this.comparisonOperator); this.SUBRULE2(this.additive); } },
        { ALT: () => { this.CONSUME(t.Is); this.OPTION2(() => this.CONSUME(t.Not)); this.CONSUME(t.Null); } },
        { ALT: () => { this.OPTION3(() => this.CONSUME2(t.Not)); this.CONSUME(t.In); this.SUBRULE(this.inTarget); } },
        {
          ALT: () => {
            this.OPTION4(() => this.CONSUME3(t.Not));
            this.CONSUME(t.Between);
            this.SUBRULE3(this.additive);
            this.CONSUME(t.And);
            this.SUBRULE4(this.additive);
          },
        },
      ]);
    });
  });

  public comparisonOperator = this.RULE('comparisonOperator', () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Equals) },
      { ALT: () => this.CONSUME(t.NotEquals) },
      { ALT: () => this.CONSUME(t.LessEquals) },
      { ALT: () => this.CONSUME(t.Less) },
      { ALT: () => this.CONSUME(t.GreaterEquals) },
      { ALT: () => this.CONSUME(t.Greater) },
    ]);
  });

  /** After IN: an ECL code set, or a parenthesised list of values. */
  public inTarget = this.RULE('inTarget', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.LA(1).tokenType !== t.LParen || this.parenthesisedEclAhead(1), ALT: () => this.SUBRULE(this.eclExpression) },
        { ALT: () => this.SUBRULE(this.valueList) },
      ],
    });
  });

  public valueList = this.RULE('valueList', () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(t.Comma);
      this.SUBRULE2(this.expression);
    });
    this.CONSUME(t.RParen);
  });

  public additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Plus) }, { ALT: () => this.CONSUME(t.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  public multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Star) }, { ALT: () => this.CONSUME(t.Slash) }]);
      this.SUBRULE2(this.unary);
    });
  });

  public unary = this.RULE('unary', () => {
    this.OR([
      { ALT: () => { this.CONSUME(t.Minus); this.SUBRULE(this.unary); } },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Integer) },
      { ALT: () => this.CONSUME(t.Decimal) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.CONSUME(t.Null) },
      { ALT: () => this.CONSUME(t.DateLiteral) },
      { GATE: () => this.LA(2).tokenType === t.StringLiteral, ALT: () => { this.CONSUME(t.DateKeyword); this.CONSUME2(t.StringLiteral); } },
      { ALT: () => { this.CONSUME(t.Interval); this.CONSUME3(t.StringLiteral); } },
      { ALT: () => this.SUBRULE(this.existsExpression) },
      { ALT: () => this.SUBRULE(this.functionCall) },
      { ALT: () => this.SUBRULE(this.path) },
      { ALT: () => { this.CONSUME(t.LParen); this.SUBRULE(this.expression); this.CONSUME(t.RParen); } },
    ]);
  });

  /** exists(observation where code in << 73211009) */
  public existsExpression = this.RULE('existsExpression', () => {
    this.CONSUME(t.Exists);
    this.CONSUME(t.LParen);
    this.SUBRULE(this.path);
    this.OPTION(() => {
      this.CONSUME(t.Where);
      this.SUBRULE(this.expression);
    });
    this.CONSUME(t.RParen);
  });

  public functionCall = this.RULE('functionCall', () => {
    this.SUBRULE(this.name);
    this.CONSUME(t.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(t.Comma);
        this.SUBRULE2(this.expression);
      });
    });
    this.CONSUME(t.RParen);
  });

  // ---------------------------------------------------------------- ECL

  /** sub (OR|AND|MINUS sub)*: an ECL operator continues the set only when a set follows it. */
  public eclExpression = this.RULE('eclExpression', () => {
    this.SUBRULE(this.eclSubExpression);
    this.MANY({
      GATE: () => this.eclStartsAt(2),
      DEF: () => {
        this.OR([{ ALT: () => this.CONSUME(t.Or) }, { ALT: () => this.CONSUME(t.And) }, { ALT: () => this.CONSUME(t.EclMinus) }]);
        this.SUBRULE2(this.eclSubExpression);
      },
    });
  });

  /** [<< | <] [^] focus */
  public eclSubExpression = this.RULE('eclSubExpression', () => {
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(t.DescendantOrSelf) }, { ALT: () => this.CONSUME(t.Less) }]);
    });
    this.OPTION2(() => this.CONSUME(t.Caret));
    this.OR2([
      { ALT: () => { this.CONSUME(t.Integer); this.OPTION3(() => this.CONSUME(t.Term)); } },
      { ALT: () => { this.CONSUME(t.LParen); this.SUBRULE(this.eclExpression); this.CONSUME(t.RParen); } },
    ]);
  });

  // ---------------------------------------------------------------- lookahead helpers (no actions)

  /** The first token not consumed by the last parse (EOF when all input was parsed). */
  public nextUnconsumed(): IToken {
    return this.LA(1);
  }

  /** Whether the token at LA(k) can start an ECL sub-expression. */
  private eclStartsAt(k: number): boolean {
    const type = this.LA(k).tokenType;
    if (type === t.DescendantOrSelf || type === t.Less || type === t.Caret) return true;
    // `code in << 1 and 140 < value_numeric`: a number followed by an operator starts a
    // comparison, not a concept (in ECL a concept id is followed by a term, OR/AND/MINUS or the end).
    if (type === t.Integer) return !EXPRESSION_CONTINUATIONS.has(this.LA(k + 1).tokenType);
    return type === t.LParen && this.parenthesisedEclAhead(k, true);
  }

  /**
   * Whether the parenthesised group starting at LA(k) is ECL: it holds only ECL tokens (concept
   * ids, terms, <<, <, ^, OR, AND, MINUS, parentheses) and, unless `plainIdsAreEcl`, at least one
   * ECL operator or term — `(1, 2)` and `(73211009)` after IN are lists of values.
   */
  private parenthesisedEclAhead(k: number, plainIdsAreEcl = false): boolean {
    let depth = 0;
    let marked = plainIdsAreEcl;
    for (let i = k; i - k < 10_000; i++) {
      const type: TokenType = this.LA(i).tokenType;
      if (type === t.LParen) depth++;
      else if (type === t.RParen) {
        depth--;
        if (depth === 0) return marked;
      } else if (type === t.DescendantOrSelf || type === t.Less || type === t.Caret || type === t.Term || type === t.EclMinus || type === t.Or || type === t.And) marked = true;
      else if (type !== t.Integer) return false;
    }
    return false;
  }
}

/** Tokens that, after a number, show it is an operand of an expression rather than a concept id. */
const EXPRESSION_CONTINUATIONS = new Set<TokenType>([
  t.Equals, t.NotEquals, t.Less, t.LessEquals, t.Greater, t.GreaterEquals, t.Plus, t.Minus, t.Star, t.Slash, t.In, t.Is, t.Not, t.Between, t.Dot,
]);

/** One parser instance, reused (Chevrotain parsers are meant to be reused). */
export const exdefParser = new ExdefParser({ validate: process.env['VITEST'] !== undefined || process.env['EXDEF_VALIDATE_GRAMMAR'] !== undefined });
