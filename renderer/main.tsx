// Renderer entry: connects to the studio (Electron bridge or web mode), creates
// the one store and mounts the app. No Node, no Electron.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectBackend } from './api.ts';
import { App } from './components/app.tsx';
import { bootStudio, createStudioStore, StoreProvider } from './store/store.ts';
import './styles.css';

// macOS draws the window buttons over the toolbar in the desktop app; the toolbar leaves them room.
if (/Macintosh/.test(navigator.userAgent) && /Electron\//.test(navigator.userAgent)) document.documentElement.classList.add('is-mac-app');

const backend = connectBackend();
const store = createStudioStore(backend, keptSettings());
bootStudio(store, backend);

/** The page's localStorage, unless this origin has none (opaque origins throw on access): then settings last a session. */
function keptSettings(): { storage?: Storage } {
  try {
    const storage = window.localStorage;
    storage.getItem('teacache-studio:settings');
    return { storage };
  } catch {
    return {};
  }
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html lost its #root element.');
createRoot(root).render(
  <StrictMode>
    <StoreProvider store={store}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
