/**
 * The claims panel's filters: all claims, the sentences that need a source, or one status. They
 * double as the legend of the colours in the text (each shows its colour and a count).
 */
import { CLAIM_LOOK_HINTS, CLAIM_LOOK_LABELS, CLAIM_LOOKS, type ClaimLook } from '../../claimStatus.ts';

export type ClaimFilter = 'all' | 'needs-source' | ClaimLook;

export interface ClaimFiltersProps {
  filter: ClaimFilter;
  total: number;
  counts: Record<ClaimLook, number>;
  needsSource: number;
  onChange(filter: ClaimFilter): void;
}

export function ClaimFilters({ filter, total, counts, needsSource, onChange }: ClaimFiltersProps) {
  const button = (value: ClaimFilter, label: string, count: number, hint: string, swatch?: ClaimLook) => (
    <button
      key={value}
      type="button"
      class={`filter-chip${filter === value ? ' is-selected' : ''}${count === 0 && filter !== value ? ' is-empty' : ''}${swatch ? ` status-${swatch}` : ''}`}
      aria-pressed={filter === value}
      title={hint}
      data-filter={value}
      onClick={() => onChange(filter === value ? 'all' : value)}
    >
      {swatch && <span class="status-swatch" aria-hidden="true" />}
      {label}
      <span class="filter-count">{count}</span>
    </button>
  );
  return (
    <fieldset class="claim-filters">
      <legend class="visually-hidden">Show</legend>
      {button('all', 'All claims', total, 'Every claim, in story order')}
      {button(
        'needs-source',
        'Needs a source',
        needsSource,
        'Sentences that attribute information to someone but have no claim yet',
      )}
      {CLAIM_LOOKS.map((look) => button(look, CLAIM_LOOK_LABELS[look], counts[look], CLAIM_LOOK_HINTS[look], look))}
    </fieldset>
  );
}
