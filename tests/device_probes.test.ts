// The device probes scripts/gpu-bench.sh runs before any CUDA run (native/bench/shim_probe.cpp from
// plain C++, scripts/cuda_probe.ts through Deno), checked on the CPU: both take the same steps, check
// the convolution and its gradient against the values worked out by hand, and exit 0.
import "./_shim.ts"; // builds the shim on a fresh clone (as cargo test builds)
import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;
const shim = `${root}native/build/libtorch_shim.so`;

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stderr) };
}

Deno.test("shim_probe takes a convolution and its backward through the shim's C ABI on the CPU", async () => {
  const r = await run(`${root}native/build/shim_probe`, [shim, "-1"]);
  assert.equal(r.code, 0, r.text);
  assert.match(r.text, /y\[0\] = 13\.5 \(expected 13\.5\), sum of the weight gradient = 7776/);
  assert.match(r.text, /shim_probe: ok\n$/);
});

Deno.test("shim_probe names the failing step with libtorch's message, and a missing shim", async () => {
  const r = await run(`${root}native/build/shim_probe`, [shim, "3"]);
  assert.equal(r.code, 1, r.text);
  assert.match(r.text, /shim_probe: to device 3\nshim_probe: to failed: \S/);
  const missing = await run(`${root}native/build/shim_probe`, ["/nonexistent/libtorch_shim.so"]);
  assert.equal(missing.code, 2);
  assert.match(missing.text, /dlopen failed: \/nonexistent\/libtorch_shim\.so/);
});

Deno.test("cuda_probe.ts takes the same steps through Deno on the CPU", async () => {
  const r = await run(Deno.execPath(), ["run", "-A", `${root}scripts/cuda_probe.ts`, "cpu"]);
  assert.equal(r.code, 0, r.text);
  assert.match(r.text, /y\[0\] = 13\.5 \(expected 13\.5\), sum of the weight gradient = 7776/);
  assert.match(r.text, /cuda_probe: ok\n$/);
});

Deno.test("cuda_probe.ts --nonblocking takes the same steps with every shim call off the JS thread", async () => {
  const r = await run(Deno.execPath(), [
    "run",
    "-A",
    `${root}scripts/cuda_probe.ts`,
    "cpu",
    "--nonblocking",
  ]);
  assert.equal(r.code, 0, r.text);
  assert.match(r.text, /^cuda_probe: tensors on the CPU \(off the JS thread\)\n/);
  assert.match(r.text, /y\[0\] = 13\.5 \(expected 13\.5\), sum of the weight gradient = 7776/);
  assert.match(r.text, /cuda_probe: ok\n$/);
});
