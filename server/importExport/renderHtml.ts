/**
 * The `html` export: a clean, standalone, publishable page. Only the story schema's elements
 * (paragraphs, headings, quotes, lists, links, emphasis), no scripts, no styles, no classes but the
 * claim ones; each claim's text is a `<span data-claim-id>` (several, when it crosses formatting),
 * followed by footnote-style citations of its sources, listed at the end.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { SOURCE_KIND_LABELS, type SourceRecord } from '../../shared/claims.ts';
import { safeLinkHref } from '../../shared/links.ts';
import { anchoredClaims, type ExportModel, footnoteNumbers } from './exportModel.ts';
import { type AnchoredClaim, type InlineRun, inlineRuns } from './inlineRuns.ts';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function link(href: string, text: string): string {
  const safe = safeLinkHref(href);
  if (safe === null) return escapeHtml(text);
  return `<a href="${escapeHtml(safe)}" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

function citations(claim: AnchoredClaim, numbers: Map<string, number>): string {
  const cited = claim.sourceIds.map((id) => numbers.get(id)).filter((n): n is number => n !== undefined);
  if (cited.length === 0) return '';
  const links = cited.map((n) => `<a href="#source-${n}" class="citation" aria-label="Source ${n}">[${n}]</a>`);
  return `<sup>${links.join('')}</sup>`;
}

function renderRun(run: InlineRun, numbers: Map<string, number>, opened: Set<string>): string {
  let html = run.kind === 'break' ? '<br>' : escapeHtml(run.text);
  if (run.kind === 'text') {
    if (run.em) html = `<em>${html}</em>`;
    if (run.strong) html = `<strong>${html}</strong>`;
    if (run.href !== null) {
      const safe = safeLinkHref(run.href);
      if (safe !== null) html = `<a href="${escapeHtml(safe)}" rel="noopener noreferrer">${html}</a>`;
    }
  }
  // Innermost claim first, so the earliest-starting claim is the outer span.
  for (const claim of [...run.claims].reverse()) {
    // The first span of a claim carries its id as an anchor for the sources' back links.
    const anchor = opened.has(claim.id) ? '' : ` id="claim-${escapeHtml(claim.id)}"`;
    opened.add(claim.id);
    html = `<span${anchor} class="claim claim-${claim.status}" data-claim-id="${escapeHtml(claim.id)}" data-claim-status="${claim.status}">${html}</span>`;
  }
  for (const claim of run.endingClaims) html += citations(claim, numbers);
  return html;
}

function sourceNote(source: SourceRecord, n: number, citedBy: AnchoredClaim[]): string {
  const parts = [link(source.url, source.title || source.url)];
  if (source.outlet) parts.push(escapeHtml(source.outlet));
  parts.push(escapeHtml(SOURCE_KIND_LABELS[source.kind]));
  let note = `${parts.join(', ')}.`;
  if (source.passage) note += ` “${escapeHtml(source.passage)}”`;
  note += ` Accessed ${escapeHtml(source.accessedAt.slice(0, 10))}.`;
  if (source.archiveUrl) note += ` ${link(source.archiveUrl, 'Archived copy')}.`;
  const back = citedBy.map(
    (claim) =>
      `<a href="#claim-${escapeHtml(claim.id)}" aria-label="Back to the claim “${escapeHtml(claim.text.slice(0, 60))}”">↩</a>`,
  );
  return `<li id="source-${n}">${note} ${back.join(' ')}</li>`;
}

export function renderHtml(model: ExportModel): string {
  const claims = anchoredClaims(model);
  const numbers = footnoteNumbers(model);
  const opened = new Set<string>();
  let blockIndex = 0;

  const renderBlock = (node: ProseMirrorNode): string => {
    if (node.isTextblock) {
      const flatBlock = model.flat.blocks[blockIndex++];
      const inline =
        flatBlock === undefined
          ? ''
          : inlineRuns(node, flatBlock.start, claims)
              .map((run) => renderRun(run, numbers, opened))
              .join('');
      if (node.type.name === 'heading') {
        const level = Math.min(4, Math.max(2, Number(node.attrs.level)));
        return `<h${level}>${inline}</h${level}>`;
      }
      return `<p>${inline}</p>`;
    }
    const inner: string[] = [];
    node.forEach((child) => {
      inner.push(renderBlock(child));
    });
    switch (node.type.name) {
      case 'blockquote':
        return `<blockquote>\n${inner.join('\n')}\n</blockquote>`;
      case 'bullet_list':
        return `<ul>\n${inner.join('\n')}\n</ul>`;
      case 'ordered_list': {
        const order = Number(node.attrs.order ?? 1);
        return `<ol${order !== 1 ? ` start="${order}"` : ''}>\n${inner.join('\n')}\n</ol>`;
      }
      case 'list_item':
        return `<li>${inner.join('\n')}</li>`;
      default:
        return inner.join('\n');
    }
  };

  const body: string[] = [];
  model.doc.forEach((child) => {
    body.push(renderBlock(child));
  });

  const head = [`<h1>${escapeHtml(model.title)}</h1>`];
  if (model.dek) head.push(`<p class="dek">${escapeHtml(model.dek)}</p>`);
  if (model.byline) head.push(`<p class="byline">${escapeHtml(model.byline)}</p>`);

  const notes: string[] = [];
  for (const [sourceId, n] of numbers) {
    const source = model.sourcesById.get(sourceId);
    if (source === undefined) continue;
    notes.push(
      sourceNote(
        source,
        n,
        claims.filter((claim) => claim.sourceIds.includes(sourceId)),
      ),
    );
  }
  const sources =
    notes.length === 0
      ? ''
      : `\n<section class="sources" aria-labelledby="sources-heading">\n<h2 id="sources-heading">Sources</h2>\n<ol>\n${notes.join('\n')}\n</ol>\n</section>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Sourcedesk">
<title>${escapeHtml(model.title)}</title>
</head>
<body>
<article data-story-id="${escapeHtml(model.id)}" data-workflow-state="${model.workflowState}">
<header>
${head.join('\n')}
</header>
${body.join('\n')}${sources}
</article>
</body>
</html>
`;
}
