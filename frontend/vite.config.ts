import { defineConfig } from "vitest/config";

const nodeBuiltinShim = decodeURIComponent(
  new URL("./src/shims/nodeBuiltin.ts", import.meta.url).pathname,
);

export default defineConfig({
  // Django serves the build from STATIC_URL: frontend/dist is in STATICFILES_DIRS, and the home
  // view at "/" returns dist/index.html, whose asset URLs must therefore start with /static/.
  base: "/static/",
  resolve: {
    // See src/shims/nodeBuiltin.ts.
    alias: { fs: nodeBuiltinShim, path: nodeBuiltinShim, url: nodeBuiltinShim },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // Cornerstone3D (core, tools, the DICOM loader, vtk.js) is one chunk of about 3.6 MB that
    // the reading page imports when it first opens a study: the worklist never waits for it.
    chunkSizeWarningLimit: 4000,
    // Rolldown's per-build timing report reads like a warning to someone starting the product.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  // Cornerstone's DICOM image loader starts its decoders as module workers
  // (`new Worker(new URL(...), {type: "module"})`), and the codecs they import are ES modules
  // with WASM: workers must be bundled as ES modules too.
  worker: {
    format: "es",
    // The workers are bundled by a build of their own, which reports its timings too.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  optimizeDeps: {
    // `npm run dev` only: pre-bundling the loader would break the worker URL above; its
    // CommonJS dependency dicom-parser must be pre-bundled instead.
    exclude: ["@cornerstonejs/dicom-image-loader"],
    include: ["dicom-parser"],
  },
  server: {
    // `npm run dev`: Vite on :5173 hands API, DICOMweb and login requests to Django on :8000.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/dicomweb": "http://127.0.0.1:8000",
      "/accounts": "http://127.0.0.1:8000",
    },
  },
  test: {
    include: ["src/**/*.spec.ts"],
    environment: "node",
  },
});
