// One run of the harness's CLI on a tiny IDX set, for the tests of paired baselines.
import assert from "node:assert/strict";
import { type BenchResult, parseBenchResult } from "../src/result/schema.ts";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

/**
 * Runs the harness on tiny data in a new temporary folder (removed after) with `args` after the
 * common ones; hands `check` its result, its markdown report (read from its file) and what it
 * printed, and returns its stderr.
 */
export async function benchOnTinyData(
  args: string[],
  check: (out: { result: BenchResult; markdown: string; stdout: string }) => void,
  env: (dir: string) => Promise<Record<string, string>> = () => Promise.resolve({}),
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "bench-tiny-" });
  try {
    await writeTinyDataset(`${dir}/data`, { train: 40, test: 10 });
    const common = [
      ...["run", "-A", BENCH_MAIN, "--device", "cpu", "--threads", "1", "--data", `${dir}/data`],
      ...["--breakdown-steps", "0", "--no-progress", "--out", `${dir}/out`],
    ];
    const out = await new Deno.Command(Deno.execPath(), {
      args: [...common, "--json", `${dir}/r.json`, ...args],
      env: await env(dir),
      stdout: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    const result = parseBenchResult(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)));
    const [md] = [...Deno.readDirSync(`${dir}/out`)].filter((f) => f.name.endsWith(".md"));
    const markdown = await Deno.readTextFile(`${dir}/out/${md.name}`);
    check({ result, markdown, stdout: new TextDecoder().decode(out.stdout) });
    return stderr;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
