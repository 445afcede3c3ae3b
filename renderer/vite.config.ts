// Builds the renderer (React UI) into dist/renderer for Electron and web mode.
// Run from the repository root (npm scripts do); it must not pull Node into the bundle.

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  // Relative asset URLs so the same build loads from file:// (Electron) and http:// (web mode).
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2023',
    // Strict CSP (no inline scripts or styles) forbids Vite's inline module preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: { host: '127.0.0.1', strictPort: false },
});
