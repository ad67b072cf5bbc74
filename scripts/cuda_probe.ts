/**
 * The shim's first steps on a device through Deno, the same as native/bench/shim_probe.cpp takes
 * from a plain C++ process: scripts/gpu-bench.sh runs both before any CUDA run, so that a crash
 * says whether it is the process (Deno's V8) or the shim and libtorch. Each step is printed before
 * it is taken; exit 0 when all pass.
 *
 *   deno run -A scripts/cuda_probe.ts [DEVICE] [--nonblocking]
 *
 * DEVICE: cpu or cuda:k (default cuda:0). `--nonblocking` makes the same calls off the JS thread:
 * the shim opened again with every call `nonblocking` (Deno runs each on a thread of its own pool
 * and returns a promise), each awaited before the next; one of the GPU script's eliminations.
 *
 * @module
 */
import * as t from "../src/ffi/mod.ts";
import { shimCandidates } from "../src/ffi/library.ts";
import { symbols } from "../src/ffi/symbols.ts";

const args = Deno.args.filter((a) => a !== "--nonblocking");
const device = (args[0] ?? "cuda:0") as t.Device;
const step = (what: string) => console.error(`cuda_probe: ${what}`);
// Each of the 108 weights meets 2 images x 36 output pixels of ones: a gradient of 72 each.
const EXPECTED_GRAD = 72 * 4 * 3 * 3 * 3;

/** The result line, and whether both values are the ones worked out by hand. */
function verdict(y0: number, g: number): boolean {
  step(
    `y[0] = ${y0} (expected 13.5), sum of the weight gradient = ${g} (expected ${EXPECTED_GRAD})`,
  );
  return y0 === 13.5 && g === EXPECTED_GRAD;
}

/** The steps through src/ffi, on the JS thread. */
function probe(): boolean {
  step("build info");
  console.error(JSON.stringify(t.buildInfo()));
  return t.scope(() => {
    step("tensors on the CPU");
    const xCpu = t.fromHost(new Float32Array(2 * 3 * 8 * 8).fill(1), [2, 3, 8, 8]);
    const wCpu = t.fromHost(new Float32Array(4 * 3 * 3 * 3).fill(0.5), [4, 3, 3, 3]);
    step(`to ${device}`);
    const x = t.to(xCpu, device);
    const w = t.setRequiresGrad(t.to(wCpu, device));
    step("conv2d");
    const y = t.conv2d(x, w, null);
    step("back to the host");
    const y0 = (t.toHost(t.to(y, "cpu")) as Float32Array)[0];
    step("backward");
    t.backward(t.sum(y));
    return verdict(y0, t.item(t.sum(t.grad(w)!)));
  });
}

/** A symbol's definition with its calls made off the JS thread. */
const offThread = <T extends Deno.ForeignFunction>(def: T) => ({
  ...def,
  nonblocking: true as const,
});

/** The probe's shim functions, each `nonblocking`. */
function openNonblocking() {
  const s = symbols;
  return Deno.dlopen(shimCandidates()[0], {
    at_from_host: offThread(s.at_from_host),
    at_to: offThread(s.at_to),
    at_set_requires_grad: offThread(s.at_set_requires_grad),
    at_conv2d: offThread(s.at_conv2d),
    at_to_host: offThread(s.at_to_host),
    at_sum: offThread(s.at_sum),
    at_backward: offThread(s.at_backward),
    at_grad: offThread(s.at_grad),
    at_item: offThread(s.at_item),
  }).symbols;
}

/** The same steps with every shim call made off the JS thread, each awaited before the next. */
async function probeNonblocking(): Promise<boolean> {
  const shim = openNonblocking();
  const code = device === "cpu" ? -1 : Number(device.split(":")[1] ?? 0);
  const err = new BigUint64Array(1);
  const ok = async <T>(what: string, call: Promise<T>): Promise<T> => {
    const value = await call;
    if (err[0] === 0n) return value;
    const message = Deno.UnsafePointerView.getCString(Deno.UnsafePointer.create(err[0])!);
    throw new Error(`${what} failed: ${message}`);
  };
  const host = (n: number, v: number) => new Float32Array(n).fill(v);
  const xHost = host(2 * 3 * 8 * 8, 1),
    wHost = host(4 * 3 * 3 * 3, 0.5),
    yHost = host(2 * 4 * 6 * 6, 0);
  const dims = (d: number[]) => new BigInt64Array(d.map(BigInt));
  step("tensors on the CPU (off the JS thread)");
  const xCpu = await ok(
    "from_host",
    shim.at_from_host(xHost, BigInt(xHost.byteLength), dims([2, 3, 8, 8]), 4n, 3, err),
  );
  const wCpu = await ok(
    "from_host",
    shim.at_from_host(wHost, BigInt(wHost.byteLength), dims([4, 3, 3, 3]), 4n, 3, err),
  );
  step(`to ${device}`);
  const x = await ok("to", shim.at_to(xCpu, code, -1, err));
  const w = await ok("to", shim.at_to(wCpu, code, -1, err));
  await ok("set_requires_grad", shim.at_set_requires_grad(w, 1, err));
  step("conv2d");
  const y = await ok("conv2d", shim.at_conv2d(x, w, null, 1n, 1n, 0n, 0n, err));
  step("back to the host");
  await ok("to_host", shim.at_to_host(y, yHost, BigInt(yHost.byteLength), err));
  step("backward");
  await ok("backward", shim.at_backward(await ok("sum", shim.at_sum(y, err)), err));
  const g = await ok("sum", shim.at_sum(await ok("grad", shim.at_grad(w, err)), err));
  return verdict(yHost[0], await ok("item", shim.at_item(g, err)));
}

if (!(Deno.args.includes("--nonblocking") ? await probeNonblocking() : probe())) Deno.exit(1);
step("ok");
