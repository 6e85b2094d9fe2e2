import { defineConfig } from "vitest/config";

// Django serves the build from STATIC_URL: frontend/dist is in STATICFILES_DIRS, and the home
// view at "/" returns dist/index.html, whose asset URLs must therefore start with /static/.
export default defineConfig({
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
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
