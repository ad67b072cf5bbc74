// renderTerminalSummary() (src/report/terminal.ts): the bench's short summary on the terminal.
import assert from "node:assert/strict";
import { renderTerminalSummary } from "../src/report/terminal.ts";
import { fixture, loadedResult, pairedResult } from "./_report_fixtures.ts";

Deno.test("renderTerminalSummary() gives medians, accuracy, the paired verdicts and the unstable", () => {
  const summaryLines = renderTerminalSummary(pairedResult("2025-02-01T00:00:00.000Z"));
  assert.deepEqual(summaryLines.slice(-2), [
    "deno+libtorch ran 1.11× faster [1.09, 1.14] than PyTorch eager (cpu, fp32, 4 paired rounds)",
    "deno+libtorch: no significant difference (1.00× [0.98, 1.02]) from libtorch C++ " +
    "(cpu, fp32, 4 paired rounds)",
  ]);
  assert.equal(summaryLines[0], "deno+libtorch 2.5.1 cpu fp32: median step 36.00 ms");
  const loaded = renderTerminalSummary(loadedResult("2025-02-01T00:00:00.000Z"));
  assert.match(loaded[0], /: median step 2209\.75 ms; UNSTABLE: step times spread: IQR/);
  const unpaired = renderTerminalSummary(fixture());
  assert.ok(unpaired.every((l) => !l.includes("×")), unpaired.join("\n"));
  assert.match(unpaired[0], /median step 40\.00 ms, test accuracy 98\.11%$/);
});
