/**
 * The answer of a command run with `--json` that failed, printed on stdout (the human line still
 * goes to stderr) so that a script reading stdout always gets JSON:
 * `{"error":{"code":"usage"|"failed"|"internal","exitCode":1|2,"message":"...","step":"..."|null}}`.
 * `code` is `failed` for a run or check that failed (exit 1), `usage` for a usage, configuration or
 * environment problem (exit 2) and `internal` for a bug in exdef (exit 2).
 */
export interface JsonError {
  kind: 'usage' | 'failed' | 'internal';
  exitCode: number;
  message: string;
  step?: string | undefined;
}

export function jsonErrorLine(error: JsonError): string {
  return `${JSON.stringify({ error: { code: error.kind, exitCode: error.exitCode, message: error.message, step: error.step ?? null } })}\n`;
}
