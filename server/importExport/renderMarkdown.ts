/**
 * The `markdown` export (CommonMark plus footnotes as GitHub, Pandoc and markdown-it-footnote read
 * them): the headline as `#`, the body, and a footnote citation `[^n]` after each claim that has
 * sources; the footnotes list the sources.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { SOURCE_KIND_LABELS } from '../../shared/claims.ts';
import { safeLinkHref } from '../../shared/links.ts';
import { anchoredClaims, type ExportModel, footnoteNumbers } from './exportModel.ts';
import { type InlineRun, inlineRuns } from './inlineRuns.ts';

/** Escapes what Markdown would read as syntax inside a line. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>~|]/g, '\\$&').replace(/&(?=[#a-zA-Z0-9]+;)/g, '&amp;');
}

/** Escapes what Markdown would read as a block marker at the start of a line. */
function escapeLineStart(line: string): string {
  return line.replace(/^(\s*)([#>+=-])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

function destination(href: string): string | null {
  const safe = safeLinkHref(href);
  // A URL parsed by `URL` has `<`, `>` and spaces percent-encoded, so angle brackets hold it.
  return safe === null ? null : `<${safe}>`;
}

/** Wraps `inner` in a delimiter, keeping spaces at its ends outside (`** x**` is not bold). */
function wrap(inner: string, delimiter: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner);
  if (match === null || match[2] === '') return inner;
  return `${match[1]}${delimiter}${match[2]}${delimiter}${match[3]}`;
}

function renderRun(run: InlineRun, numbers: Map<string, number>): string {
  if (run.kind === 'break') return '\\\n';
  let text = escapeMarkdown(run.text);
  if (run.em) text = wrap(text, '*');
  if (run.strong) text = wrap(text, '**');
  if (run.href !== null) {
    const target = destination(run.href);
    if (target !== null) text = `[${text}](${target})`;
  }
  for (const claim of run.endingClaims) {
    for (const sourceId of claim.sourceIds) {
      const n = numbers.get(sourceId);
      if (n !== undefined) text += `[^${n}]`;
    }
  }
  return text;
}

function prefixLines(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((line, index) => (index === 0 ? first : line === '' ? rest.trimEnd() : rest) + line)
    .join('\n');
}

export function renderMarkdown(model: ExportModel): string {
  const claims = anchoredClaims(model);
  const numbers = footnoteNumbers(model);
  let blockIndex = 0;

  const renderBlock = (node: ProseMirrorNode): string => {
    if (node.isTextblock) {
      const flatBlock = model.flat.blocks[blockIndex++];
      const inline =
        flatBlock === undefined
          ? ''
          : inlineRuns(node, flatBlock.start, claims)
              .map((run) => renderRun(run, numbers))
              .join('');
      const lines = inline.split('\n').map(escapeLineStart).join('\n');
      if (node.type.name === 'heading') {
        const level = Math.min(4, Math.max(2, Number(node.attrs.level)));
        return `${'#'.repeat(level)} ${lines.replaceAll('\\\n', ' ')}`;
      }
      return lines;
    }
    const children: ProseMirrorNode[] = [];
    node.forEach((child) => {
      children.push(child);
    });
    switch (node.type.name) {
      case 'blockquote':
        return prefixLines(children.map(renderBlock).join('\n\n'), '> ', '> ');
      case 'bullet_list':
      case 'ordered_list': {
        const ordered = node.type.name === 'ordered_list';
        const start = Number(node.attrs.order ?? 1);
        const items = children.map((item, index) => {
          const marker = ordered ? `${start + index}. ` : '- ';
          const inner: string[] = [];
          item.forEach((child) => {
            inner.push(renderBlock(child));
          });
          return prefixLines(inner.join('\n\n'), marker, ' '.repeat(marker.length));
        });
        const loose = children.some((item) => item.childCount > 1);
        return items.join(loose ? '\n\n' : '\n');
      }
      default:
        return children.map(renderBlock).join('\n\n');
    }
  };

  const parts = [`# ${escapeMarkdown(model.title)}`];
  if (model.dek) parts.push(`*${escapeMarkdown(model.dek)}*`);
  if (model.byline) parts.push(escapeLineStart(escapeMarkdown(model.byline)));
  model.doc.forEach((child) => {
    const rendered = renderBlock(child);
    if (rendered.trim() !== '') parts.push(rendered);
  });

  const notes: string[] = [];
  for (const [sourceId, n] of numbers) {
    const source = model.sourcesById.get(sourceId);
    if (source === undefined) continue;
    const target = destination(source.url);
    const title = escapeMarkdown(source.title || source.url);
    let note = `[^${n}]: ${target === null ? title : `[${title}](${target})`}`;
    if (source.outlet) note += `, ${escapeMarkdown(source.outlet)}`;
    note += `, ${SOURCE_KIND_LABELS[source.kind]}.`;
    if (source.passage) note += ` “${escapeMarkdown(source.passage.replace(/\s+/g, ' '))}”`;
    note += ` Accessed ${source.accessedAt.slice(0, 10)}.`;
    const archive = source.archiveUrl ? destination(source.archiveUrl) : null;
    if (archive !== null) note += ` [Archived copy](${archive}).`;
    notes.push(note);
  }
  if (notes.length > 0) parts.push(notes.join('\n'));
  return `${parts.join('\n\n')}\n`;
}
