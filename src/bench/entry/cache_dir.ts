/**
 * Where the harness caches what it measured about a machine (the stage plans of
 * `--precision auto`, the ISA oneDNN uses): `$XDG_CACHE_HOME/googlenet-mnist-bench`, else
 * `$HOME/.cache/googlenet-mnist-bench`.
 *
 * @module
 */
import { join } from "node:path";

/** The cache folder's path (it may not exist yet), or null when neither variable is set. */
export function benchCacheDir(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string | null {
  const xdg = env("XDG_CACHE_HOME"), home = env("HOME");
  const base = xdg ? xdg : home ? join(home, ".cache") : null;
  return base === null ? null : join(base, "googlenet-mnist-bench");
}
