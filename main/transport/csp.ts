// The Content-Security-Policy both shells send as a response header: scripts and styles only from the app itself,
// images also inline (previews travel as data: URLs), no plugins, frames, forms or base changes. Pure.

export interface CspOptions {
  /** Extra origins the page may connect to (web mode's WebSocket), e.g. "ws://127.0.0.1:5174". */
  readonly connect?: readonly string[];
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${["'self'", ...(options.connect ?? [])].join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
