/**
 * "Download" on the editor page: a menu button (WAI-ARIA menu pattern) whose items are links to the
 * story's exports, each saved as a file by the browser. Keyboard: Enter, Space or the arrow keys
 * open it; arrows, Home and End move; Enter downloads; Escape closes and returns to the button.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { EXPORT_FORMAT_INFO, EXPORT_MENU_ORDER, exportPath } from '../../../shared/importExport.ts';

export function DownloadMenu({ storyId }: { storyId: string }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const items = useRef<(HTMLAnchorElement | null)[]>([]);
  const root = useRef<HTMLDivElement>(null);
  /** Which item to focus once the menu is drawn. */
  const pendingFocus = useRef<number | null>(null);

  useEffect(() => {
    if (!open) return;
    if (pendingFocus.current !== null) {
      items.current[pendingFocus.current]?.focus();
      pendingFocus.current = null;
    }
    const onPointerDown = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  const openAt = (index: number) => {
    pendingFocus.current = index;
    setOpen(true);
  };

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  const onButtonKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      openAt(0);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      openAt(EXPORT_MENU_ORDER.length - 1);
    }
  };

  const onMenuKeyDown = (event: KeyboardEvent) => {
    const current = items.current.indexOf(document.activeElement as HTMLAnchorElement);
    const last = EXPORT_MENU_ORDER.length - 1;
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = current >= last ? 0 : current + 1;
    else if (event.key === 'ArrowUp') next = current <= 0 ? last : current - 1;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = last;
    else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
      return;
    } else if (event.key === 'Tab') {
      close(false);
      return;
    } else if (event.key === ' ') {
      // Space activates a menu item, as Enter does for a link.
      event.preventDefault();
      items.current[current]?.click();
      return;
    }
    if (next === null) return;
    event.preventDefault();
    items.current[next]?.focus();
  };

  return (
    <div class="download-menu" ref={root}>
      <button
        ref={button}
        type="button"
        class="button button-small"
        id="download-button"
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="download-menu-list"
        onClick={() => (open ? close(false) : openAt(0))}
        onKeyDown={onButtonKeyDown}
      >
        Download <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div
          id="download-menu-list"
          class="download-menu-list"
          role="menu"
          aria-labelledby="download-button"
          onKeyDown={onMenuKeyDown}
        >
          {EXPORT_MENU_ORDER.map((format, index) => {
            const info = EXPORT_FORMAT_INFO[format];
            return (
              <a
                key={format}
                ref={(element) => {
                  items.current[index] = element;
                }}
                role="menuitem"
                tabIndex={-1}
                href={exportPath(storyId, format)}
                download
                data-format={format}
                onClick={() => close(true)}
              >
                <span class="download-label">{info.label}</span>
                <span class="download-description">{info.description}</span>
              </a>
            );
          })}
        </div>
      )}
    </div>
  );
}
