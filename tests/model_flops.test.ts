import assert from "node:assert/strict";
import {
  forwardMacsPerImage,
  googlenetFlopsPerImage,
  googlenetLayers,
  trainingFlopsPerImage,
} from "../src/model/flops.ts";
import type { LayerShape } from "../src/model/flops.ts";

// A tiny network on a 1×4×4 image:
// conv 1→2, 3×3, padding 1 → 2×4×4: MACs = 4·4·2·1·3·3 = 288
// conv 2→4, 1×1 → 4×4×4:           MACs = 4·4·4·2·1·1 = 128
// linear 64→10:                    MACs = 64·10       = 640
const TINY: LayerShape[] = [
  { kind: "conv", inC: 1, outC: 2, kH: 3, kW: 3, outH: 4, outW: 4 },
  { kind: "conv", inC: 2, outC: 4, kH: 1, kW: 1, outH: 4, outW: 4 },
  { kind: "linear", inC: 64, outC: 10, kH: 1, kW: 1, outH: 1, outW: 1 },
];

Deno.test("forwardMacsPerImage() sums conv and linear multiply-accumulates", () => {
  assert.equal(forwardMacsPerImage(TINY), 288 + 128 + 640);
});

Deno.test("trainingFlopsPerImage() is 3 × (2 × forward MACs)", () => {
  assert.equal(trainingFlopsPerImage(TINY), 3 * 2 * 1056);
  assert.equal(trainingFlopsPerImage(TINY), 6336);
});

Deno.test("trainingFlopsPerImage() lets a linear layer omit its spatial sizes", () => {
  assert.equal(trainingFlopsPerImage([{ kind: "linear", inC: 10, outC: 2 }]), 120);
});

Deno.test("forwardMacsPerImage() divides the input channels among conv groups", () => {
  // depthwise 3×3 over 8 channels at 2×2: 2·2·8·(8/8)·9 = 288
  assert.equal(
    forwardMacsPerImage([{
      kind: "conv",
      inC: 8,
      outC: 8,
      kH: 3,
      kW: 3,
      outH: 2,
      outW: 2,
      groups: 8,
    }]),
    288,
  );
});

Deno.test("trainingFlopsPerImage() is 0 for no layers", () => {
  assert.equal(trainingFlopsPerImage([]), 0);
});

Deno.test("forwardMacsPerImage() rejects a non-positive dimension, naming the layer", () => {
  assert.throws(
    () => forwardMacsPerImage([TINY[0], { ...TINY[1], outH: 0 }]),
    { name: "RangeError", message: "layers[1].outH: expected a positive integer, found 0" },
  );
  assert.throws(
    () => forwardMacsPerImage([{ kind: "conv", inC: 3, outC: 4, groups: 2 }]),
    { message: "layers[0].groups: expected a divisor of inC 3 and outC 4, found 2" },
  );
});

// The values the probe model gave before the stage table (GoogLeNet.layerGeometry on main).
Deno.test("googlenetFlopsPerImage() is the probe model's 172,647,936 at 28 pixels and 184,098,816 at 32", () => {
  assert.equal(googlenetFlopsPerImage(), 172_647_936);
  assert.equal(googlenetFlopsPerImage(28), 172_647_936);
  assert.equal(googlenetFlopsPerImage(32), 184_098_816);
});

Deno.test("googlenetLayers() gives GoogLeNet's 57 convs and its classifier under their state_dict names", () => {
  const layers = googlenetLayers();
  assert.equal(layers.length, 58);
  assert.deepEqual(layers[0], {
    kind: "conv",
    name: "conv1",
    inC: 1,
    outC: 64,
    kH: 7,
    kW: 7,
    outH: 14,
    outW: 14,
  });
  assert.deepEqual(layers.find((l) => l.name === "inception5b.branch2.2"), {
    kind: "conv",
    name: "inception5b.branch2.2",
    inC: 192,
    outC: 384,
    kH: 3,
    kW: 3,
    outH: 1,
    outW: 1,
  });
  assert.deepEqual(layers.at(-1), {
    kind: "linear",
    name: "fc",
    inC: 1024,
    outC: 10,
    kH: 1,
    kW: 1,
    outH: 1,
    outW: 1,
  });
});

Deno.test("googlenetFlopsPerImage() loads no libtorch binding: src/ffi is not in its module graph", async () => {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../src/model/flops.ts", import.meta.url).pathname],
    stderr: "inherit",
  }).output();
  assert.ok(info.success, "deno info succeeds");
  const modules: { specifier: string }[] =
    JSON.parse(new TextDecoder().decode(info.stdout)).modules;
  assert.ok(modules.some((m) => m.specifier.endsWith("/src/model/architecture.ts")));
  assert.deepEqual(modules.filter((m) => m.specifier.includes("/src/ffi/")), []);
});

Deno.test("googlenetFlopsPerImage() rejects an image too small for a layer, naming it", () => {
  assert.throws(
    () => googlenetFlopsPerImage(0),
    {
      name: "RangeError",
      message: "conv1: expected a positive integer input dimension 1, found 0",
    },
  );
});
