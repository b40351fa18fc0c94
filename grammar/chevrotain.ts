/**
 * Chevrotain, loaded from its single-file bundle. The package's exported entry point is an ES
 * module graph of several hundred files (lodash-es) that takes a quarter of a second to load;
 * the bundle it ships beside it (lib/chevrotain.mjs, the same build) loads in about 15 ms, which
 * keeps `exdef lint` fast. Types still come from the package.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

const entry = createRequire(import.meta.url).resolve('chevrotain');
const bundle = join(dirname(dirname(entry)), 'chevrotain.mjs');
const chevrotain = (await import(pathToFileURL(bundle).href)) as typeof Chevrotain;

export const { createToken, Lexer, EOF, createSyntaxDiagramsCode } = chevrotain;
export const CstParser = chevrotain.CstParser;
export const LLkLookaheadStrategy = chevrotain.LLkLookaheadStrategy;
export type CstParser = Chevrotain.CstParser;
export type { CstNode, ILexingError, IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from 'chevrotain';
