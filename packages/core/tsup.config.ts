import { defineConfig } from 'tsup';

// One source, two builds. `__RESIL_ESM__` tells src/internal/optional.ts which `require` to use
// for optional peers (@opentelemetry/api, ioredis): the module's own in CommonJS, one made from
// `import.meta.url` in the ES module build.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
  esbuildOptions(options, { format }) {
    options.define = { ...options.define, __RESIL_ESM__: format === 'esm' ? 'true' : 'false' };
  },
});
