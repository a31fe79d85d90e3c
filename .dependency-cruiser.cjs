// Layering rules checked by `make lint-deps` (part of `make test-unit`).
// The direction is index.ts -> stacks/ -> components/platforms/ -> shared components -> components/core/;
// components take typed ...Args only, so the package (lib.ts) works without our stack config.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "components-not-to-stacks",
      comment: "components/ must not import from stacks/: components take typed ...Args, the flat config lives in stacks/",
      severity: "error",
      from: { path: "^components/" },
      to: { path: "^stacks/" },
    },
    {
      name: "no-circular",
      comment: "no import cycles anywhere in the program",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|bin|tools)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
