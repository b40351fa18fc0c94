/**
 * Every module that defines diagnostic codes, loaded for their definitions: the codes page
 * (docs/rules/codes.md), `exdef explain CODE` and SARIF's descriptors see all of them, not only
 * those of the stages a command happened to load.
 */
import '../catalogue/load-catalogue.js';
import '../definition-test/parse-definition-test.js';
import '../definition-test/run-definition-test.js';
import '../parse/expression-from-cst.js';
import '../parse/parse-definition.js';
import '../parse/parse-ecl.js';
import '../parse/parse-exdef.js';
import '../parse/parse-yaml-definition.js';
import '../parse/syntax-errors.js';
import '../pipeline/compile-definition.js';
import '../pipeline/duplicate-definition-ids.js';
import '../policy/policy.js';
import '../resolve/resolve-definition.js';
import '../resolve/resolve-expression.js';
import '../source/schema-validation.js';
import '../source/yaml-source.js';
import '../source/yaml-structure.js';
import '../terminology/rf2.js';
import { registeredCodes, type CodeSpec } from './define-codes.js';

export function allCodes(): ReadonlyMap<string, CodeSpec<unknown>> {
  return registeredCodes();
}
