/**
 * Dead-link check of the documentation: every relative link in the Markdown files under docs/
 * (and the README) must name a file that exists and, with a #fragment into a Markdown file, a
 * heading that exists there (GitHub's anchors). External links (http, https, mailto) are not
 * fetched: CI has no internet. test/unit/docs/links.test.ts runs it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface DeadLink {
  file: string;
  line: number;
  target: string;
  reason: string;
}

/** Every Markdown file under the given files and directories. */
export function markdownFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
    } else if (path.endsWith('.md')) {
      out.push(path);
    }
  };
  for (const path of paths) visit(path);
  return out;
}

/** The links of a Markdown text outside code, with their line numbers: [text](target) and <a href>. */
export function links(text: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  let fenced = false;
  text.split('\n').forEach((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
    for (const m of line.matchAll(/href="([^"]+)"/g)) out.push({ line: i + 1, target: m[1]! });
  });
  return out;
}

/** GitHub's anchors for the headings of a Markdown text (repeated headings get -1, -2...). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = m[1]!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/** The dead links in the Markdown files, relative to root for the messages. */
export function deadLinks(files: readonly string[], root: string): DeadLink[] {
  const dead: DeadLink[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    let set = anchorsOf.get(file);
    if (!set) anchorsOf.set(file, (set = headingAnchors(readFileSync(file, 'utf8'))));
    return set;
  };
  for (const file of files) {
    for (const { line, target } of links(readFileSync(file, 'utf8'))) {
      if (/^(https?:|mailto:)/i.test(target)) continue;
      const report = (reason: string) => dead.push({ file: relative(root, file), line, target, reason });
      const [path, fragment] = target.split('#', 2) as [string, string | undefined];
      const linked = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!existsSync(linked)) {
        report(`no such file: ${relative(root, linked)}`);
        continue;
      }
      if (fragment !== undefined && fragment !== '' && linked.endsWith('.md') && !anchors(linked).has(decodeURIComponent(fragment).toLowerCase())) {
        report(`no heading #${fragment} in ${relative(root, linked)}`);
      }
    }
  }
  return dead;
}
