/**
 * A diff rendered as text: runs of unchanged, inserted (`<ins>`) and deleted (`<del>`) text, each
 * change in its author's colour with the author's name on hover and for screen readers. Everything
 * is rendered as text (Preact escapes it), never as markup.
 */
import type { DiffAnswer, DiffBlock, DiffRun } from '../../../shared/workflow.ts';
import { safeColor } from './labels.ts';

export type DiffPeople = DiffAnswer['people'];

export function authorOf(run: Pick<DiffRun, 'by'>, people: DiffPeople): { name: string; color: string } {
  const person = run.by === null ? undefined : people[run.by];
  return { name: person?.name ?? 'someone', color: safeColor(person?.color) };
}

export function Run({ run, people }: { run: DiffRun; people: DiffPeople }) {
  if (run.kind === 'same') return <>{run.text}</>;
  const author = authorOf(run, people);
  const inserted = run.kind === 'inserted';
  const verb = inserted ? 'Inserted' : 'Deleted';
  const style = { '--author': author.color };
  const content = inserted ? (
    <ins class="diff-run" style={style} title={`${verb} by ${author.name}`} data-author={author.name}>
      {run.text}
    </ins>
  ) : (
    <del class="diff-run" style={style} title={`${verb} by ${author.name}`} data-author={author.name}>
      {run.text}
    </del>
  );
  return (
    <>
      <span class="visually-hidden">{`[${verb.toLowerCase()} by ${author.name}: `}</span>
      {content}
      <span class="visually-hidden">]</span>
    </>
  );
}

export function Runs({ runs, people }: { runs: DiffRun[]; people: DiffPeople }) {
  return (
    <>
      {runs.map((run, index) => (
        // Runs have no identity of their own; their order is their key.
        <Run key={index} run={run} people={people} />
      ))}
    </>
  );
}

/** One text block of the diff, as the element its node type is drawn as in the editor. */
export function Block({ block, people }: { block: DiffBlock; people: DiffPeople }) {
  const className = block.kind === 'same' ? undefined : `diff-block diff-block-${block.kind}`;
  const content = <Runs runs={block.runs} people={people} />;
  const title =
    block.kind === 'inserted' ? 'New paragraph' : block.kind === 'deleted' ? 'Deleted paragraph' : undefined;
  if (block.type === 'heading') {
    const level = Math.min(4, Math.max(2, block.level ?? 2));
    if (level === 2)
      return (
        <h2 class={className} title={title}>
          {content}
        </h2>
      );
    if (level === 3)
      return (
        <h3 class={className} title={title}>
          {content}
        </h3>
      );
    return (
      <h4 class={className} title={title}>
        {content}
      </h4>
    );
  }
  if (block.type === 'code_block')
    return (
      <pre class={className} title={title}>
        {content}
      </pre>
    );
  return (
    <p class={className} title={title}>
      {content}
    </p>
  );
}
