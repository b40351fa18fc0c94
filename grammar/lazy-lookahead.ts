import { LLkLookaheadStrategy } from './chevrotain.js';
import type { ILookaheadStrategy, ILookaheadValidationError, IOrAlt, OptionalProductionType, Rule, TokenType } from 'chevrotain';

/**
 * Chevrotain's LL(k) lookahead, each decision's function built the first time the parser reaches
 * it rather than all at construction. Building every one is about a third of constructing the
 * parser, on every start; a YAML definition only reaches the expression rules, and no run reaches
 * them all. The functions built are Chevrotain's own, so the parser decides exactly as before.
 */
export class LazyLookaheadStrategy implements ILookaheadStrategy {
  private readonly llk: ILookaheadStrategy & { validate(options: { rules: Rule[]; tokenTypes: TokenType[]; grammarName: string }): ILookaheadValidationError[] };

  constructor(options: { maxLookahead: number }) {
    this.llk = new LLkLookaheadStrategy(options);
  }

  validate(options: { rules: Rule[]; tokenTypes: TokenType[]; grammarName: string }): ILookaheadValidationError[] {
    return this.llk.validate(options);
  }

  initialize(options: { rules: Rule[] }): void {
    this.llk.initialize?.(options);
  }

  buildLookaheadForAlternation(options: Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0]): (orAlts?: IOrAlt<any>[]) => number | undefined {
    let decide: ((orAlts?: IOrAlt<any>[]) => number | undefined) | undefined;
    const llk = this.llk;
    return function (this: unknown, orAlts?: IOrAlt<any>[]) {
      decide ??= llk.buildLookaheadForAlternation(options);
      return decide.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: { prodOccurrence: number; prodType: OptionalProductionType; rule: Rule; maxLookahead: number; dynamicTokensEnabled: boolean }): () => boolean {
    let decide: (() => boolean) | undefined;
    const llk = this.llk;
    return function (this: unknown) {
      decide ??= llk.buildLookaheadForOptional(options);
      return decide.call(this);
    };
  }
}
