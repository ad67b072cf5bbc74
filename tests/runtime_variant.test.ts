// How Deno itself was run, in the result's env (src/bench/entry/env.ts runtimeVariantOf, schema.ts
// runtimeVariant): scripts/gpu-bench.sh's wrapper names its variant, V8's flags and the preloads
// are read from the process's environment, a --jitless run is not comparable and stays out of the
// headline and the GPU summary; older results, which lack the field, read as before. Pure.
import assert from "node:assert/strict";
import { runtimeVariantOf } from "../src/bench/entry/env.ts";
import { renderMarkdown } from "../src/report/report.ts";
import { headlineRows, isComparable, type SourcedResult } from "../src/report/mod.ts";
import { type BenchResult, parseBenchResult } from "../src/result/schema.ts";

// A paired, stable run that the headline keeps.
const RESULT = new URL("../results/2026-11-29-vm-cpu-8.json", import.meta.url).pathname;
const load = (): BenchResult => parseBenchResult(JSON.parse(Deno.readTextFileSync(RESULT)));
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("runtimeVariantOf is absent for plain Deno and names the wrapper's variant, V8's flags and the preloads", () => {
  assert.equal(runtimeVariantOf(envOf({})), undefined);
  assert.deepEqual(
    runtimeVariantOf(envOf({
      BENCH_RUNTIME_VARIANT: "no-pkeys",
      LD_PRELOAD: "/tmp/x/fault_reporter.so:/tmp/x/no_pkeys.so",
    })),
    {
      name: "no-pkeys",
      v8Flags: "",
      preloads: ["/tmp/x/fault_reporter.so", "/tmp/x/no_pkeys.so"],
      comparable: true,
    },
  );
  // Set by hand, without the wrapper: still recorded, as "custom".
  assert.deepEqual(runtimeVariantOf(envOf({ DENO_V8_FLAGS: "--no-memory-protection-keys" })), {
    name: "custom",
    v8Flags: "--no-memory-protection-keys",
    preloads: [],
    comparable: true,
  });
});

Deno.test("runtimeVariantOf marks a run without V8's JIT (--jitless, alone or among flags) not comparable", () => {
  for (const flags of ["--jitless", "--no-memory-protection-keys --jitless", "--foo,--jitless"]) {
    const v = runtimeVariantOf(envOf({ BENCH_RUNTIME_VARIANT: "all", DENO_V8_FLAGS: flags }));
    assert.equal(v?.comparable, false, flags);
  }
  assert.equal(runtimeVariantOf(envOf({ DENO_V8_FLAGS: "--jitless-ish" }))?.comparable, true);
});

Deno.test("a result with its runtime variant parses, shows it, and a --jitless one is left out of the headline", () => {
  const plain = load();
  assert.equal(plain.env.runtimeVariant, undefined);
  assert.ok(isComparable(plain));
  const jitless = parseBenchResult(JSON.parse(JSON.stringify({
    ...plain,
    createdAt: "2099-01-01T00:00:00.000Z",
    env: {
      ...plain.env,
      runtimeVariant: { name: "jitless", v8Flags: "--jitless", preloads: [], comparable: false },
    },
  })));
  assert.equal(jitless.env.runtimeVariant?.name, "jitless");
  assert.ok(!isComparable(jitless));
  assert.match(
    renderMarkdown([jitless]),
    /- \*\*Deno run as:\*\* jitless: V8 flags `--jitless`, no preloads — \*\*not comparable\*\* \(kept out of the headline\)/,
  );
  assert.doesNotMatch(renderMarkdown([plain]), /Deno run as/);
  // The newer result would be picked for the same rows, were it comparable.
  const rows = (sources: SourcedResult[]) => headlineRows(sources).rows.map((r) => r.path);
  const a = { path: "a.json", result: plain }, b = { path: "b.json", result: jitless };
  assert.ok(rows([a]).length > 0);
  assert.deepEqual(rows([a, b]), rows([a]));
  assert.deepEqual(rows([b]), []);
});
