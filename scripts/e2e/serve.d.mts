// Types of serve.mjs, for the TypeScript tests that serve a built page the same way.

/** Serves `folder` on 127.0.0.1 (`isolated`: with the COOP/COEP/CORP headers); resolves to its URL and a close function. */
export function serveFolder(folder: string, opts?: { isolated?: boolean }): Promise<{ url: string; close: () => Promise<void> }>;
