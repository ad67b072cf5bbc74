// renderMarkdown() and resultTitle() (src/report/report.ts): the markdown of a result.
import assert from "node:assert/strict";
import { renderMarkdown, resultTitle } from "../src/report/report.ts";
import { fixture, HEADER, lines, summary } from "./_report_fixtures.ts";

Deno.test("renderMarkdown() lays the run table out like hyperfine", () => {
  const out = lines(renderMarkdown([fixture()]));
  const at = out.indexOf(HEADER);
  assert.notEqual(at, -1, "expected the run table header");
  assert.deepEqual(out.slice(at + 1, at + 6), [
    "|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
    "| deno+libtorch 2.5.1 cpu fp32 | 40.00 | 40.10 ± 0.40 | 39.20 … 40.80 | 1600 | 37.0 | 98.11% | 74.2 " +
    "| 10.00 |",
    "| pytorch cpu fp32 | 50.00 | 50.10 ± 0.50 | 49.00 … 51.00 | 1280 | 46.5 | 95.00% " +
    "| not reached | 12.50 |",
    "| deno+libtorch 2.5.1 cuda fp32 | 4.00 | 4.10 ± 0.04 | 3.92 … 4.08 | 16000 | – | – | not evaluated " +
    "| 1.00 |",
    "| pytorch cuda fp32 | 5.00 | 5.10 ± 0.05 | 4.90 … 5.10 | 12800 | – | – | not evaluated | 1.25 |",
  ]);
});

Deno.test("renderMarkdown() gives the fastest median a Relative of 1.00", () => {
  const result = fixture();
  result.runs = [result.runs[0]]; // CPU only: deno 40 ms, PyTorch 50 ms
  const out = lines(renderMarkdown([result]));
  const rows = out.filter((l) =>
    l.startsWith("| deno+libtorch 2.5.1 cpu fp32 | 40.00") ||
    l.startsWith("| pytorch cpu fp32 | 50.00")
  );
  assert.deepEqual(rows.map((r) => r.split(" | ").at(-1)), ["1.00 |", "1.25 |"]);
});

Deno.test("renderMarkdown() says 'not reached' when evaluated epochs missed the target", () => {
  const result = fixture();
  const cpu = result.runs[0];
  cpu.timeToTargetSeconds = null;
  const row = lines(renderMarkdown([result])).find((l) =>
    l.startsWith("| deno+libtorch 2.5.1 cpu fp32 | 40")
  );
  assert.equal(row?.split(" | ")[7], "not reached");
});

Deno.test("renderMarkdown() heads each result with time, devices, CPU, libtorch, options and command", () => {
  const out = lines(renderMarkdown([fixture()]));
  assert.deepEqual(out.slice(0, 13), [
    "## 2025-01-31 10:20:30 · cpu, cuda · AMD EPYC 7763 64-Core Processor, 16 cores · " +
    "libtorch 2.5.1 · fp32, 2 epochs, vs pytorch",
    "",
    "- **CPU:** AMD EPYC 7763 64-Core Processor (16 cores, 128.0 GiB RAM)",
    "- **GPU:** NVIDIA H100 80GB HBM3 (driver 550.54.15, CUDA 12.4, cuDNN 90100)",
    "- **OS:** Debian GNU/Linux 12 (bookworm), linux 6.1.0 x86_64",
    "- **Software:** libtorch 2.5.1, Deno 2.1.4, V8 13.0.245.12-rusty, TypeScript 5.6.2",
    "- **Commit:** `0123456789ab` (dirty)",
    "- **Config:** batch 64, lr 0.001, 5 warm-up steps, 2 epochs, seed 0, data mnist, fp32, " +
    "16 threads, target 97.0%",
    "",
    "```sh",
    "deno task bench --epochs 2 --baseline pytorch",
    "```",
    "",
  ]);
});

Deno.test("renderMarkdown() sets unpaired medians side by side and never turns them into a ratio", () => {
  const markdown = renderMarkdown([fixture()]);
  const comparisons = lines(markdown).filter((l) =>
    l.startsWith("- CUDA and CPU") || l.startsWith("- deno+libtorch and PyTorch")
  );
  const apart = "(separate windows, not paired: no ratio is drawn from them)";
  assert.deepEqual(comparisons, [
    `- CUDA and CPU (deno+libtorch, fp32): CUDA median step 4.00 ms vs 40.00 ms ${apart}`,
    `- CUDA and CPU (PyTorch, fp32): CUDA median step 5.00 ms vs 50.00 ms ${apart}`,
    `- deno+libtorch and PyTorch on cpu (fp32): median step 40.00 ms vs 50.00 ms ${apart}`,
    `- deno+libtorch and PyTorch on cuda (fp32): median step 4.00 ms vs 5.00 ms ${apart}`,
  ]);
  assert.doesNotMatch(markdown, /× (faster|slower)/);
});

Deno.test("renderMarkdown() omits the CUDA-and-CPU line when only one device ran", () => {
  const result = fixture();
  result.runs = [result.runs[1]];
  assert.ok(!renderMarkdown([result]).includes("CUDA and CPU"));
});

Deno.test("renderMarkdown() lists the GPUs the build saw even when the runs used the CPU", () => {
  const result = fixture();
  result.runs = [result.runs[0]];
  result.env.gpu = null;
  result.env.torch = { libtorch: "2.11.0", cudaDevices: [{ name: "NVIDIA H200" }] };
  const markdown = renderMarkdown([result]);
  assert.match(markdown, /\n- \*\*GPU:\*\* NVIDIA H200 \(present, .*not used by these runs\)\n/);
  result.env.torch = { libtorch: "2.11.0" };
  assert.match(renderMarkdown([result]), /\n- \*\*GPU:\*\* none\n/);
});

Deno.test("renderMarkdown() links each section to its file when given", () => {
  const markdown = renderMarkdown([fixture()], ["../results/x.json"]);
  assert.ok(markdown.includes("\nFile: [x.json](../results/x.json)\n"), markdown.slice(0, 400));
});

Deno.test("renderMarkdown() tables loss, time and accuracy per epoch", () => {
  const out = lines(renderMarkdown([fixture()]));
  const at = out.indexOf("### Per epoch");
  assert.deepEqual(out.slice(at, at + 8), [
    "### Per epoch",
    "",
    "| Run | Epoch | Loss | Train [s] | Test acc. | Eval [s] |",
    "|:---|---:|---:|---:|---:|---:|",
    "| deno+libtorch 2.5.1 cpu fp32 | 1 | 451.3 | 37.5 | 95.12% | 2.3 |",
    "| deno+libtorch 2.5.1 cpu fp32 | 2 | 0.08123 | 36.5 | 98.11% | 2.5 |",
    "| pytorch cpu fp32 | 1 | 2.500 | 47.0 | 90.00% | 3.0 |",
    "| pytorch cpu fp32 | 2 | 0.5000 | 46.0 | 95.00% | 3.0 |",
  ]);
});

Deno.test("renderMarkdown() marks incomplete results and runs", () => {
  const result = fixture();
  result.complete = false;
  result.runs[1].complete = false;
  const markdown = renderMarkdown([result]);
  assert.ok(
    markdown.includes(
      "> **Incomplete:** the benchmark was interrupted; only the measurements it finished are " +
        "shown.",
    ),
  );
  assert.ok(markdown.includes("| deno+libtorch 2.5.1 cuda fp32 (incomplete) | 4.00 |"));
});

Deno.test("renderMarkdown() lists notes, marks an unstable result and says why", () => {
  const result = fixture();
  result.runs[1].stepMs = summary(4, { samples: [3, 3, 4, 4, 5, 5] });
  const out = lines(renderMarkdown([result]));
  const at = out.indexOf("Notes:");
  assert.deepEqual(out.slice(at, at + 4), [
    "Notes:",
    "",
    "- CPU frequency scaling was on",
    "- deno+libtorch 2.5.1 cuda fp32: step times spread: IQR 38% of the median, expected at most " +
    "20%",
  ]);
  assert.ok(out.some((l) => l.startsWith("> **Unstable:** left out of the headline")));
  assert.ok(!lines(renderMarkdown([fixture()])).some((l) => l.includes("Unstable")));
});

Deno.test("renderMarkdown() escapes pipes in labels", () => {
  const result = fixture();
  result.runs = [result.runs[1]];
  result.runs[0].baseline = null;
  result.runs[0].label = "a|b";
  assert.ok(renderMarkdown([result]).includes("| a\\|b | 4.00 |"));
});

Deno.test("renderMarkdown() is deterministic and says so when there is nothing", () => {
  assert.equal(renderMarkdown([fixture()]), renderMarkdown([fixture()]));
  assert.equal(renderMarkdown([]), "No results yet.\n");
});

Deno.test("resultTitle() uses the UTC date of createdAt", () => {
  const result = fixture();
  result.createdAt = "2025-02-01T01:00:00+02:00";
  assert.match(resultTitle(result), /^2025-01-31 23:00:00 · cpu, cuda · /);
});
