import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exdefTool, formatLintResults, isLintFormat, LINT_FORMATS } from '../../../src/diagnostics/formats/index.js';
import { formatJson } from '../../../src/diagnostics/formats/json.js';
import { formatStylish } from '../../../src/diagnostics/formats/stylish.js';
import { plain } from '../../../src/diagnostics/render-terminal.js';
import { packageRoot } from '../../../src/resources.js';
import { CWD, RESULTS } from './sample-results.js';

describe('formatLintResults', () => {
  it('knows the six formats', () => {
    expect(LINT_FORMATS).toEqual(['stylish', 'json', 'sarif', 'github', 'junit', 'markdown']);
    expect(isLintFormat('sarif')).toBe(true);
    expect(isLintFormat('checkstyle')).toBe(false);
  });

  it('renders stylish and json as before', () => {
    expect(formatLintResults('json', RESULTS)).toBe(formatJson(RESULTS));
    expect(formatLintResults('stylish', RESULTS, { palette: plain })).toBe(formatStylish(RESULTS, plain));
  });

  it('fills in exdef, its version from package.json and the policy rules', () => {
    const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(exdefTool()).toMatchObject({ name: 'exdef', version });
    const log = JSON.parse(formatLintResults('sarif', RESULTS, { cwd: CWD })) as { runs: { tool: { driver: { version: string; rules: unknown[] } } }[] };
    expect(log.runs[0]!.tool.driver.version).toBe(version);
    expect(log.runs[0]!.tool.driver.rules.length).toBeGreaterThan(20);
  });

  it('passes --max-warnings on to JUnit', () => {
    expect(formatLintResults('junit', RESULTS, { cwd: CWD, maxWarnings: 0 })).toContain('type="warning"');
    expect(formatLintResults('junit', RESULTS, { cwd: CWD })).not.toContain('type="warning"');
  });
});
