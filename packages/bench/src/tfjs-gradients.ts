// Registers TensorFlow.js's own gradient definitions for tfjs-core 4.22 in Node.
// NOTE: tfjs-core's Node bundle (dist/tf-core.node.js) has no gradients; the union package
// @tensorflow/tfjs registers them from tfjs-core's ES-module build (dist/register_all_gradients.js).
// Those files import each other without the '.js' extension, in a package without
// "type": "module", so Node cannot load them as they are. A module hook, scoped to tfjs-core's
// dist folder, adds the extension and marks them as ES modules. Their registrations land in the
// registry the CommonJS bundle reads, because tfjs keeps its registries and engine on globalThis.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const HOOKS = `
let dist;
let entry;
export function initialize(data) { dist = data.dist; entry = data.entry; }
export async function resolve(specifier, context, next) {
  const inside = context.parentURL !== undefined && context.parentURL.startsWith(dist) && specifier.startsWith('.');
  const result = await next(inside && !specifier.endsWith('.js') ? specifier + '.js' : specifier, context);
  return inside || result.url === entry ? { ...result, format: 'module' } : result;
}
`;

let registered: Promise<void> | null = null;

/** Loads tfjs-core's gradient registrations once; safe to call again. */
export function registerTfjsGradients(): Promise<void> {
  return (registered ??= (async () => {
    const dist = pathToFileURL(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core')) + path.sep).href;
    const entry = new URL('register_all_gradients.js', dist).href;
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { dist, entry } });
    await import(entry);
  })());
}
