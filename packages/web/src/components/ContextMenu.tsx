/**
 * A small menu at the pointer (the flame graph's right-click menu). Keyboard: the first item takes
 * focus, arrows move, Enter picks, Escape closes; a click anywhere else closes it.
 */
import { useEffect, useRef, type JSX } from 'react';

export interface ContextMenuItem {
  label: string;
  testId: string;
  onSelect: () => void;
}

export interface ContextMenuProps {
  /** Position inside the positioned parent, css px. */
  x: number;
  y: number;
  title?: string;
  items: readonly ContextMenuItem[];
  onClose: () => void;
}

export function ContextMenu(props: ContextMenuProps): JSX.Element {
  const menuRef = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    menuRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const onPointer = (event: PointerEvent): void => {
      if (menuRef.current && !menuRef.current.contains(event.target as Node)) onClose();
    };
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') onClose();
    };
    document.addEventListener('pointerdown', onPointer, true);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      document.removeEventListener('keydown', onKey);
    };
  }, [onClose]);

  const move = (from: HTMLElement, step: number): void => {
    const buttons = [...(menuRef.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(from as HTMLButtonElement);
    buttons[(at + step + buttons.length) % buttons.length]?.focus();
  };

  return (
    <div
      ref={menuRef}
      className="context-menu"
      role="menu"
      data-testid="frame-context-menu"
      style={{ left: props.x, top: props.y }}
      onContextMenu={(event) => event.preventDefault()}
      onKeyDown={(event) => {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          move(event.target as HTMLElement, event.key === 'ArrowDown' ? 1 : -1);
        }
      }}
    >
      {props.title ? (
        <div className="context-menu-title" title={props.title}>
          {props.title}
        </div>
      ) : null}
      {props.items.map((item) => (
        <button
          key={item.testId}
          type="button"
          role="menuitem"
          data-testid={item.testId}
          onClick={() => {
            item.onSelect();
            onClose();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}

/** Clipboard API where the page may use it (secure contexts), a hidden textarea otherwise. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not a secure context or permission refused: fall back below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}
