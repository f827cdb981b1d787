/**
 * "Import a story" on the story list: paste a story (formatted text from a web page is kept as
 * HTML and cleaned by the server) or upload a file, optionally give the headline, and see what was
 * kept and everything that was left out, before opening the new story. Keyboard: I opens it,
 * Escape closes it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { META_LIMITS } from '../../../shared/documentLayout.ts';
import type { ImportResult } from '../../../shared/importExport.ts';
import { DROP_REASON_LABELS, IMPORT_LIMITS, type ImportMediaType } from '../../../shared/importRules.ts';
import { describeError } from '../hooks/useApiAction.ts';
import { navigate, storyPath } from '../router.ts';
import { importStory } from './importApi.ts';

/** The "Import" button; I opens the panel from anywhere on the list (unless typing). */
export function ImportStoryButton({ onOpen }: { onOpen(): void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'i' || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable="true"]')) return;
      event.preventDefault();
      onOpen();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onOpen]);
  return (
    <button type="button" class="button" title="Import a story (I)" aria-keyshortcuts="I" onClick={onOpen}>
      Import…
    </button>
  );
}

const TYPED_FORMATS: { value: ImportMediaType; label: string }[] = [
  { value: 'text/plain', label: 'Plain text (one paragraph per line, or blank lines between paragraphs)' },
  { value: 'text/markdown', label: 'Markdown' },
  { value: 'text/html', label: 'HTML source' },
];

const TITLE_FROM: Record<ImportResult['titleFrom'], string> = {
  given: 'the headline you gave',
  headline: "the story's own headline",
  'page-title': "the page's title",
  'first-words': 'the first words of the story (no headline was found: change it in the editor)',
};

function fileMediaType(file: File): ImportMediaType {
  const name = file.name.toLowerCase();
  if (file.type === 'text/html' || /\.x?html?$/.test(name)) return 'text/html';
  if (file.type === 'text/markdown' || /\.(md|markdown|mdown)$/.test(name)) return 'text/markdown';
  return 'text/plain';
}

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.max(1, Math.round(bytes / 1024))} kB`
    : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export interface ImportStoryPanelProps {
  onClose(): void;
  /** A story was created (the list behind the panel can show it). */
  onImported?(): void;
}

export function ImportStoryPanel({ onClose, onImported }: ImportStoryPanelProps) {
  const [text, setText] = useState('');
  /** HTML that came with the last paste (formatted text from a page), until the text is edited. */
  const [pastedHtml, setPastedHtml] = useState<string | null>(null);
  const [typedFormat, setTypedFormat] = useState<ImportMediaType>('text/plain');
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const textArea = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => textArea.current?.focus(), []);

  const onPaste = (event: ClipboardEvent) => {
    const html = event.clipboardData?.getData('text/html') ?? '';
    if (html.trim() === '') {
      setPastedHtml(null);
      return;
    }
    // Keep the formatting (headings, quotes, lists, links) for the server to clean; show the text.
    event.preventDefault();
    setPastedHtml(html);
    setText(event.clipboardData?.getData('text/plain') ?? '');
    setFile(null);
    setError(null);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    let body: string | Blob;
    let mediaType: ImportMediaType;
    if (file !== null) {
      body = file;
      mediaType = fileMediaType(file);
    } else if (pastedHtml !== null) {
      body = pastedHtml;
      mediaType = 'text/html';
    } else {
      body = text;
      mediaType = typedFormat;
    }
    const size = typeof body === 'string' ? new Blob([body]).size : body.size;
    if (size === 0 || (typeof body === 'string' && body.trim() === '')) {
      setError('Paste the story into the box, or choose a file.');
      textArea.current?.focus();
      return;
    }
    if (size > IMPORT_LIMITS.requestBytes) {
      setError(
        `That is ${formatSize(size)}; the limit is ${formatSize(IMPORT_LIMITS.requestBytes)}. Copy the article alone.`,
      );
      return;
    }
    setPending(true);
    setError(null);
    try {
      setResult(await importStory(body, mediaType, title));
      onImported?.();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setPending(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
  };

  if (result !== null) {
    return (
      <ImportReport
        result={result}
        onAnother={() => {
          setResult(null);
          setText('');
          setPastedHtml(null);
          setFile(null);
          setTitle('');
          if (fileInput.current) fileInput.current.value = '';
        }}
        onClose={onClose}
      />
    );
  }

  const source =
    file !== null
      ? `The file ${file.name} (${formatSize(file.size)}) will be imported; the box above is ignored.`
      : pastedHtml !== null
        ? 'Formatted text pasted: headings, quotes, lists and links are kept; page clutter and unsafe code are removed.'
        : null;

  return (
    <form class="import-story" aria-labelledby="import-heading" onSubmit={submit} onKeyDown={onKeyDown}>
      <h2 id="import-heading">Import a story</h2>
      <p class="import-help">
        Paste a story from a web page, an email or a document, or upload a file. The headline and the story's
        paragraphs, headings, quotes and lists are kept. Menus, ads, cookie and sign-in notices, newsletter boxes, share
        buttons, photo captions and “related” or “most read” lists are left out, and so is any script or other unsafe
        code. You'll see everything that was left out.
      </p>
      <label for="import-text">Story text</label>
      <textarea
        id="import-text"
        ref={textArea}
        rows={9}
        placeholder="Paste the story here…"
        value={text}
        disabled={file !== null}
        onPaste={onPaste}
        onInput={(event) => {
          setText(event.currentTarget.value);
          // Edited after a formatted paste: import what the box shows.
          setPastedHtml(null);
          setError(null);
        }}
      />
      {file === null && pastedHtml === null && (
        <div class="import-row">
          <label for="import-format">The text is</label>
          <select
            id="import-format"
            value={typedFormat}
            onChange={(event) => setTypedFormat(event.currentTarget.value as ImportMediaType)}
          >
            {TYPED_FORMATS.map((format) => (
              <option key={format.value} value={format.value}>
                {format.label}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="import-row">
        <label for="import-file">Or upload a file (.txt, .html, .md)</label>
        <input
          id="import-file"
          ref={fileInput}
          type="file"
          accept=".txt,.text,.html,.htm,.md,.markdown,text/plain,text/html,text/markdown"
          onChange={(event) => {
            setFile(event.currentTarget.files?.[0] ?? null);
            setError(null);
          }}
        />
      </div>
      {source !== null && (
        <p class="import-source" role="status">
          {source}
          {file !== null && (
            <button
              type="button"
              class="button button-quiet button-small"
              onClick={() => {
                setFile(null);
                if (fileInput.current) fileInput.current.value = '';
              }}
            >
              Don't use the file
            </button>
          )}
        </p>
      )}
      <div class="import-row">
        <label for="import-title">Headline (optional)</label>
        <input
          id="import-title"
          type="text"
          maxLength={META_LIMITS.title}
          placeholder="Leave empty to use the story's own headline"
          value={title}
          onInput={(event) => setTitle(event.currentTarget.value)}
        />
      </div>
      {error !== null && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <div class="import-actions">
        <button type="submit" class="button button-primary" disabled={pending}>
          {pending ? 'Importing…' : 'Import story'}
        </button>
        <button type="button" class="button button-quiet" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ImportReport({ result, onAnother, onClose }: { result: ImportResult; onAnother(): void; onClose(): void }) {
  const open = useRef<HTMLButtonElement>(null);
  useEffect(() => open.current?.focus(), []);
  const { kept, dropped } = result;
  const unlisted = dropped.blocks - dropped.items.length;
  return (
    <section
      class="import-story import-report"
      aria-labelledby="import-report-heading"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <h2 id="import-report-heading">Imported “{result.title}”</h2>
      <p>
        Kept {plural(kept.blocks, 'paragraph', 'paragraphs')} ({plural(kept.words, 'word', 'words')}). The headline is{' '}
        {TITLE_FROM[result.titleFrom]}.
      </p>
      {dropped.blocks === 0 ? (
        <p>Nothing was left out.</p>
      ) : (
        <>
          <p>
            <strong>Left out {plural(dropped.blocks, 'block', 'blocks')}</strong> (
            {plural(dropped.words, 'word', 'words')}
            ). Check that none of it belongs to the story; if something does, copy it in from the original.
          </p>
          <ul class="import-dropped" aria-label="Left out">
            {dropped.items.map((item, index) => (
              <li key={`${index}-${item.reason}`}>
                <span class="import-reason">{DROP_REASON_LABELS[item.reason]}</span>
                <q>{item.preview}</q>
              </li>
            ))}
          </ul>
          {unlisted > 0 && <p class="muted">…and {unlisted} more.</p>}
        </>
      )}
      {dropped.unsafe > 0 && (
        <p class="muted">
          Also removed: {plural(dropped.unsafe, 'piece', 'pieces')} of unsafe code (scripts, event handlers, styles,
          embedded frames or script links).
        </p>
      )}
      <div class="import-actions">
        <button ref={open} type="button" class="button button-primary" onClick={() => navigate(storyPath(result.id))}>
          Open the story
        </button>
        <button type="button" class="button" onClick={onAnother}>
          Import another
        </button>
        <button type="button" class="button button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
