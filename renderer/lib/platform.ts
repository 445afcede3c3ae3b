// What differs by platform and focus for keyboard shortcuts: the modifier's name, and whether a key press
// belongs to a text field. Renderer only (reads navigator).

/** True on macOS (and iPadOS), where shortcuts use ⌘ rather than Ctrl. */
export function isMacPlatform(nav: { readonly platform?: string; readonly userAgent?: string } | undefined = globalThis.navigator): boolean {
  return /Mac|iPhone|iPad/.test(nav?.platform || nav?.userAgent || '');
}

/** A shortcut as this platform writes it: "⌘↩" on macOS, "Ctrl+↩" elsewhere. */
export function shortcutLabel(key: string, mac = isMacPlatform()): string {
  return mac ? `⌘${key}` : `Ctrl+${key}`;
}

/** Whether key presses at `target` are typing (Esc there edits, it does not cancel a run). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file', 'image'].includes(target.type);
}
