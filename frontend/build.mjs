// Bundles the UI kit, htmx, Alpine.js and ECharts into huike/static/dist/.
// Runs at build time only (make setup); the server never fetches anything from outside.
import { build } from "esbuild";
import { mkdir } from "node:fs/promises";

const outdir = "huike/static/dist";
await mkdir(outdir, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: "linked",
  // Intranet browsers run old Chromium kernels (360, QQ, Sogou): stay compatible with them.
  target: ["es2019", "chrome86"],
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { app: "frontend/app.js", charts: "frontend/charts.js" },
  outdir,
  format: "iife",
});

await build({
  ...common,
  entryPoints: { app: "frontend/app.css" },
  outdir,
  loader: { ".woff": "file", ".woff2": "file" },
  assetNames: "fonts/[name]",
});

console.log("assets built into " + outdir);
