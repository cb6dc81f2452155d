import { defineConfig } from "vite";

// The dashboard builds into dist/, which tern embeds (go:embed) and
// serves at / on the API port. Hashed file names under dist/assets/ are
// what tern serves as immutable. No inline script or style ends up in
// index.html: tern's Content-Security-Policy allows neither.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    // dist/ holds only this build; public/.gitkeep comes back as
    // dist/.gitkeep, committed so that go:embed has a file on a fresh clone.
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  oxc: {
    jsx: { runtime: "automatic", importSource: "preact" },
  },
  server: {
    // `npm run dev` next to a running `make run`: API calls go to tern.
    proxy: { "/tern.v1.": "http://127.0.0.1:8080" },
  },
});
