import { defineConfig } from 'vite';

// The client lives in client/ and is built into dist/client, which the server serves.
// `npm run dev` proxies the API and the collaboration socket to a server on port 8787.
export default defineConfig({
  root: 'client',
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    sourcemap: true,
    // One app bundle (ProseMirror, Yjs, and zod for the shared schema): about 500 kB, 150 kB
    // gzipped, loaded once per session. Splitting it would only add round trips to the editor.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8787',
      '/collab': { target: 'ws://127.0.0.1:8787', ws: true },
    },
  },
});
