/**
 * The form for a new source: web address, outlet, title, kind, the passage that backs the claim,
 * when it was accessed (today unless changed) and an optional archived copy. Addresses are checked
 * with the shared schema (http and https only) before anything is sent; the server checks again.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { CLAIM_LIMITS, HttpUrl, SOURCE_KIND_LABELS, SOURCE_KINDS, type SourceKind } from '../../../../shared/claims.ts';
import type { NewSource } from '../../api.ts';

export interface SourceFormProps {
  /** Prefix for element ids (several forms may exist on a page). */
  idPrefix: string;
  busy: boolean;
  /** The server's answer when saving failed. */
  error: string | null;
  onSubmit(source: NewSource): void;
  onCancel(): void;
}

/** Today in the person's own time zone, as `YYYY-MM-DD` (what a date field holds). */
function today(): string {
  const now = new Date();
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

type FieldErrors = Partial<Record<'url' | 'kind' | 'archiveUrl' | 'accessedAt', string>>;

export function SourceForm({ idPrefix, busy, error, onSubmit, onCancel }: SourceFormProps) {
  const [url, setUrl] = useState('');
  const [outlet, setOutlet] = useState('');
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<SourceKind | ''>('');
  const [passage, setPassage] = useState('');
  const [accessedAt, setAccessedAt] = useState(today);
  const [archiveUrl, setArchiveUrl] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const first = useRef<HTMLInputElement>(null);
  const id = (name: string) => `${idPrefix}-${name}`;
  /** A field's complaint goes away as soon as the person changes that field. */
  const edited = (name: keyof FieldErrors) =>
    setErrors((current) => {
      if (current[name] === undefined) return current;
      const { [name]: _fixed, ...rest } = current;
      return rest;
    });

  useEffect(() => first.current?.focus(), []);

  const submit = (event: Event) => {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!HttpUrl.safeParse(url).success) found.url = 'Enter the full web address, starting with https:// or http://';
    if (kind === '') found.kind = 'Choose what kind of source this is';
    if (archiveUrl.trim() !== '' && !HttpUrl.safeParse(archiveUrl).success) {
      found.archiveUrl = 'Enter the full address of the archived copy, or leave it empty';
    }
    if (accessedAt !== '' && Number.isNaN(Date.parse(accessedAt))) found.accessedAt = 'Enter a date';
    setErrors(found);
    if (Object.keys(found).length > 0 || kind === '') {
      document.getElementById(id(Object.keys(found)[0] ?? 'url'))?.focus();
      return;
    }
    onSubmit({
      url: url.trim(),
      outlet: outlet.trim(),
      title: title.trim(),
      kind,
      passage,
      ...(accessedAt === '' ? {} : { accessedAt }),
      archiveUrl: archiveUrl.trim() === '' ? null : archiveUrl.trim(),
    });
  };

  const fieldError = (name: keyof FieldErrors) =>
    errors[name] === undefined ? null : (
      <p id={id(`${name}-error`)} class="field-error">
        {errors[name]}
      </p>
    );
  const described = (name: keyof FieldErrors) =>
    errors[name] === undefined ? {} : { 'aria-invalid': 'true' as const, 'aria-describedby': id(`${name}-error`) };

  return (
    <form
      class="source-form"
      aria-label="New source"
      noValidate
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          onCancel();
        }
      }}
    >
      <div class="field">
        <label for={id('url')}>Web address</label>
        <input
          id={id('url')}
          ref={first}
          type="text"
          inputMode="url"
          autoComplete="off"
          spellcheck={false}
          placeholder="https://"
          maxLength={CLAIM_LIMITS.url}
          value={url}
          onInput={(event) => {
            setUrl(event.currentTarget.value);
            edited('url');
          }}
          {...described('url')}
        />
        {fieldError('url')}
      </div>
      <div class="field-row">
        <div class="field">
          <label for={id('outlet')}>Outlet</label>
          <input
            id={id('outlet')}
            type="text"
            placeholder="City of Harbourside"
            maxLength={CLAIM_LIMITS.outlet}
            value={outlet}
            onInput={(event) => setOutlet(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for={id('kind')}>Kind</label>
          <select
            id={id('kind')}
            value={kind}
            onChange={(event) => {
              setKind(event.currentTarget.value as SourceKind | '');
              edited('kind');
            }}
            {...described('kind')}
          >
            <option value="" disabled>
              Choose…
            </option>
            {SOURCE_KINDS.map((value) => (
              <option key={value} value={value}>
                {SOURCE_KIND_LABELS[value]}
              </option>
            ))}
          </select>
          {fieldError('kind')}
        </div>
      </div>
      <div class="field">
        <label for={id('title')}>Title</label>
        <input
          id={id('title')}
          type="text"
          placeholder="Title of the page, document or post"
          maxLength={CLAIM_LIMITS.title}
          value={title}
          onInput={(event) => setTitle(event.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for={id('passage')}>Quoted passage</label>
        <textarea
          id={id('passage')}
          rows={3}
          placeholder="The words in the source that back the claim"
          maxLength={CLAIM_LIMITS.passage}
          value={passage}
          onInput={(event) => setPassage(event.currentTarget.value)}
        />
      </div>
      <div class="field-row">
        <div class="field">
          <label for={id('accessedAt')}>Accessed</label>
          <input
            id={id('accessedAt')}
            type="date"
            value={accessedAt}
            onInput={(event) => {
              setAccessedAt(event.currentTarget.value);
              edited('accessedAt');
            }}
            {...described('accessedAt')}
          />
          {fieldError('accessedAt')}
        </div>
        <div class="field">
          <label for={id('archiveUrl')}>Archived copy (optional)</label>
          <input
            id={id('archiveUrl')}
            type="text"
            inputMode="url"
            spellcheck={false}
            placeholder="https://web.archive.org/…"
            maxLength={CLAIM_LIMITS.url}
            value={archiveUrl}
            onInput={(event) => {
              setArchiveUrl(event.currentTarget.value);
              edited('archiveUrl');
            }}
            {...described('archiveUrl')}
          />
          {fieldError('archiveUrl')}
        </div>
      </div>
      {error !== null && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Add source'}
        </button>
        <button type="button" class="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
