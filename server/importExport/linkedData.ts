/**
 * The JSON exports: the story's own data (`json`), schema.org ClaimReview (`claimreview`) and W3C
 * Web Annotations (`annotations`).
 */
import { SCHEMA_VERSION } from '../../shared/schema.ts';
import { anchoredClaims, type ExportModel, exportUrl, storyUrl } from './exportModel.ts';
import { renderText } from './renderText.ts';

/** Format marker of the `json` export, bumped when its shape changes incompatibly. */
export const STORY_EXPORT_VERSION = 1;

export function storyJson(model: ExportModel): unknown {
  const statusCounts: Record<string, number> = {};
  for (const claim of model.claims) statusCounts[claim.status] = (statusCounts[claim.status] ?? 0) + 1;
  return {
    format: 'sourcedesk.story',
    version: STORY_EXPORT_VERSION,
    schemaVersion: SCHEMA_VERSION,
    exportedAt: model.exportedAt,
    story: {
      id: model.id,
      title: model.title,
      dek: model.dek,
      byline: model.byline,
      workflowState: model.workflowState,
      changedSinceApproval: model.changedSinceApproval,
      createdAt: model.createdAt,
      updatedAt: model.updatedAt,
    },
    /** The body as ProseMirror JSON of the story schema (`shared/schema.ts`). */
    doc: model.doc.toJSON(),
    /** The body's flat text (textblocks joined by "\n"); the claims' `from`/`to` count in it. */
    text: model.flat.text,
    /** Claims in story order, detached ones last. */
    claims: model.claims.map((claim) => ({
      id: claim.id,
      status: claim.status,
      storedStatus: claim.storedStatus,
      text: claim.text,
      quote: claim.quote,
      from: claim.from,
      to: claim.to,
      sourceIds: claim.sourceIds,
      note: claim.note,
      createdBy: claim.createdBy,
      createdAt: claim.createdAt,
      statusBy: claim.statusBy,
      statusAt: claim.statusAt,
      changedSinceVerified: claim.changedSinceVerified,
    })),
    statusCounts,
    sources: model.sources,
    people: Object.fromEntries(model.people),
  };
}

/** How a verdict reads as a schema.org rating (1 worst, 5 best). */
export const CLAIM_RATINGS = {
  verified: { ratingValue: 5, alternateName: 'True' },
  disputed: { ratingValue: 3, alternateName: 'Disputed' },
  false: { ratingValue: 1, alternateName: 'False' },
} as const;

/**
 * One `ClaimReview` per claim with a verdict that still holds: verified, disputed or false, with
 * text in the story, and not changed since it was verified (that verdict is about other words).
 */
export function claimReviews(model: ExportModel): unknown {
  const reviews = anchoredClaims(model).flatMap((claim) => {
    if (!(claim.status in CLAIM_RATINGS) || claim.changedSinceVerified !== null) return [];
    const rating = CLAIM_RATINGS[claim.status as keyof typeof CLAIM_RATINGS];
    const appearance = claim.sourceIds.flatMap((id) => {
      const source = model.sourcesById.get(id);
      if (source === undefined) return [];
      return [
        {
          '@type': 'CreativeWork',
          url: source.url,
          ...(source.title ? { headline: source.title } : {}),
          ...(source.outlet ? { publisher: { '@type': 'Organization', name: source.outlet } } : {}),
          ...(source.archiveUrl ? { archivedAt: source.archiveUrl } : {}),
        },
      ];
    });
    const reviewer = model.people.get(claim.statusBy);
    return [
      {
        '@type': 'ClaimReview',
        '@id': `${storyUrl(model)}#claim-${claim.id}`,
        claimReviewed: claim.text,
        datePublished: claim.statusAt.slice(0, 10),
        ...(reviewer ? { author: { '@type': 'Person', name: reviewer } } : {}),
        reviewRating: { '@type': 'Rating', bestRating: 5, worstRating: 1, ...rating },
        itemReviewed: { '@type': 'Claim', text: claim.text, appearance },
        isPartOf: { '@type': 'NewsArticle', '@id': storyUrl(model), headline: model.title },
      },
    ];
  });
  return { '@context': 'https://schema.org', '@graph': reviews };
}

const PREFIX_SUFFIX = 32;

/**
 * A W3C `AnnotationCollection`: one annotation per claim with text in the story, targeting the
 * `text` export with a `TextQuoteSelector` (exact, prefix, suffix) and a `TextPositionSelector`;
 * its verdict as an assessing body, its note as a commenting body, its sources as linked bodies.
 */
export function annotationCollection(model: ExportModel): unknown {
  const text = renderText(model);
  const target = exportUrl(model, 'text');
  const collectionId = exportUrl(model, 'annotations');
  const items = anchoredClaims(model).map((claim) => {
    const start = text.offsetOf(claim.from);
    const end = text.offsetOf(claim.to);
    const body: unknown[] = [
      { type: 'TextualBody', purpose: 'assessing', value: claim.status, format: 'text/plain', language: 'en' },
    ];
    if (claim.note) body.push({ type: 'TextualBody', purpose: 'commenting', value: claim.note, format: 'text/plain' });
    for (const id of claim.sourceIds) {
      const source = model.sourcesById.get(id);
      if (source !== undefined) body.push({ id: source.url, type: 'Text', purpose: 'linking', format: 'text/html' });
    }
    const creator = model.people.get(claim.createdBy);
    return {
      id: `${storyUrl(model)}#claim-${claim.id}`,
      type: 'Annotation',
      motivation: 'assessing',
      created: claim.createdAt,
      modified: claim.statusAt,
      ...(creator ? { creator: { type: 'Person', name: creator } } : {}),
      body,
      target: {
        source: target,
        type: 'Text',
        format: 'text/plain',
        selector: [
          {
            type: 'TextQuoteSelector',
            exact: text.text.slice(start, end),
            prefix: text.text.slice(Math.max(0, start - PREFIX_SUFFIX), start),
            suffix: text.text.slice(end, end + PREFIX_SUFFIX),
          },
          { type: 'TextPositionSelector', start, end },
        ],
      },
    };
  });
  return {
    '@context': 'http://www.w3.org/ns/anno.jsonld',
    id: collectionId,
    type: 'AnnotationCollection',
    label: `Claims in “${model.title}”`,
    total: items.length,
    generated: model.exportedAt,
    first: { id: `${collectionId}&page=0`, type: 'AnnotationPage', startIndex: 0, items },
  };
}
