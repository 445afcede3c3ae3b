// Shows the last failure as a readable message: a title from its code, the
// message, and any specifics. Renderer only.

import { errorDetailLines, errorTitle } from '../lib/errors.ts';
import type { AppError } from '../lib/types.ts';
import { CloseIcon, WarningIcon } from './icons.tsx';

export function ErrorBanner({ error, onDismiss }: { error: AppError; onDismiss?: () => void }) {
  const details = errorDetailLines(error);
  return (
    <div className="error-banner" role="alert">
      <WarningIcon className="error-icon" width={18} height={18} />
      <div className="error-text">
        <p className="error-title">{errorTitle(error)}</p>
        <p className="error-message">{error.message}</p>
        {details.length > 0 && (
          <ul className="error-details">
            {details.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
        <p className="error-code">{error.code}</p>
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" aria-label="Dismiss error" onClick={onDismiss}>
          <CloseIcon />
        </button>
      )}
    </div>
  );
}
