/**
 * Checking that parsed JSON is a {@linkcode BenchResult}.
 *
 * @module
 */

import type {
  BenchConfig,
  BenchResult,
  Env,
  EpochRecord,
  GpuInfo,
  Run,
  Summary,
} from "./schema.ts";
import { SCHEMA_VERSION } from "./schema.ts";

/** Raised when a value does not match the result schema; the message names the field. */
export class SchemaError extends Error {
  /** Creates a schema error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

type Obj = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return "no such field";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function at(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function fail(path: string, expected: string, value: unknown): never {
  const where = path === "" ? "result" : path;
  throw new SchemaError(`${where}: expected ${expected}, found ${describe(value)}`);
}

function object(value: unknown, path: string): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(path, "an object", value);
  }
  return value as Obj;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "an array", value);
  return value;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string") fail(at(path, key), "a string", v);
  return v;
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) fail(at(path, key), "a finite number", v);
  return v;
}

function bool(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== "boolean") fail(at(path, key), "a boolean", v);
  return v;
}

function nullable<T>(
  o: Obj,
  key: string,
  path: string,
  read: (o: Obj, key: string, path: string) => T,
): T | null {
  return o[key] === null ? null : read(o, key, path);
}

function oneOf<T extends string>(o: Obj, key: string, path: string, choices: readonly T[]): T {
  const v = o[key];
  if (typeof v !== "string" || !choices.includes(v as T)) {
    fail(at(path, key), `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`, v);
  }
  return v as T;
}

function numbers(o: Obj, key: string, path: string): number[] {
  return array(o[key], at(path, key)).map((x, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      fail(`${at(path, key)}[${i}]`, "a finite number", x);
    }
    return x;
  });
}

function gpu(value: unknown, path: string): GpuInfo | null {
  if (value === null) return null;
  const o = object(value, path);
  return {
    name: str(o, "name", path),
    driver: str(o, "driver", path),
    cudaVersion: str(o, "cudaVersion", path),
    cudnnVersion: str(o, "cudnnVersion", path),
  };
}

function env(value: unknown, path: string): Env {
  const o = object(value, path);
  return {
    cpuModel: str(o, "cpuModel", path),
    cores: num(o, "cores", path),
    memoryBytes: num(o, "memoryBytes", path),
    os: str(o, "os", path),
    deno: str(o, "deno", path),
    v8: str(o, "v8", path),
    typescript: str(o, "typescript", path),
    hostname: str(o, "hostname", path),
    gitCommit: nullable(o, "gitCommit", path, str),
    gitDirty: bool(o, "gitDirty", path),
    torch: object(o.torch, `${path}.torch`),
    gpu: gpu(o.gpu, `${path}.gpu`),
  };
}

function config(value: unknown, path: string): BenchConfig {
  const o = object(value, path);
  return {
    device: oneOf(o, "device", path, ["cpu", "cuda", "all"] as const),
    epochs: nullable(o, "epochs", path, num),
    steps: nullable(o, "steps", path, num),
    warmup: num(o, "warmup", path),
    batchSize: num(o, "batchSize", path),
    lr: num(o, "lr", path),
    threads: num(o, "threads", path),
    seed: num(o, "seed", path),
    data: str(o, "data", path),
    targetAccuracy: num(o, "targetAccuracy", path),
    baseline: o.baseline === null ? null : oneOf(o, "baseline", path, ["pytorch"] as const),
    precision: oneOf(o, "precision", path, ["fp32", "bf16"] as const),
    tf32: bool(o, "tf32", path),
    cudaGraphs: bool(o, "cudaGraphs", path),
    clipGradNorm: nullable(o, "clipGradNorm", path, num),
    out: str(o, "out", path),
    json: nullable(o, "json", path, str),
    progress: bool(o, "progress", path),
    ...optionalFields(o, path),
  };
}

/** The flags added after schema 1 was first written: checked when present. */
function optionalFields(o: Record<string, unknown>, path: string): Partial<BenchConfig> {
  const out: Partial<BenchConfig> = {};
  for (const key of ["save", "load", "resume", "checkpointDir"] as const) {
    if (key in o) out[key] = nullable(o, key, path, str);
  }
  for (const key of ["force", "verbose", "channelsLast", "cudnnBenchmark"] as const) {
    if (key in o) out[key] = bool(o, key, path);
  }
  if ("maxSeconds" in o) out.maxSeconds = nullable(o, "maxSeconds", path, num);
  if ("adam" in o) {
    out.adam = oneOf(o, "adam", path, ["auto", "single", "foreach", "fused"] as const);
  }
  return out;
}

function summary(value: unknown, path: string): Summary {
  const o = object(value, path);
  return {
    median: num(o, "median", path),
    mean: num(o, "mean", path),
    std: num(o, "std", path),
    p10: num(o, "p10", path),
    p90: num(o, "p90", path),
    q1: num(o, "q1", path),
    q3: num(o, "q3", path),
    min: num(o, "min", path),
    max: num(o, "max", path),
    count: num(o, "count", path),
    samples: numbers(o, "samples", path),
  };
}

function epoch(value: unknown, path: string): EpochRecord {
  const o = object(value, path);
  // JSON.stringify writes NaN as null: a diverged loss comes back as null.
  const loss = o.loss === null ? NaN : num(o, "loss", path);
  return {
    epoch: num(o, "epoch", path),
    loss,
    seconds: num(o, "seconds", path),
    testAccuracy: nullable(o, "testAccuracy", path, num),
    evalSeconds: nullable(o, "evalSeconds", path, num),
  };
}

function options(value: unknown, path: string): Record<string, boolean | string | number> {
  const o = object(value, path);
  for (const [key, v] of Object.entries(o)) {
    if (!["boolean", "string", "number"].includes(typeof v)) {
      fail(at(path, key), "a boolean, string or number", v);
    }
  }
  return o as Record<string, boolean | string | number>;
}

function run(value: unknown, path: string): Run {
  const o = object(value, path);
  return {
    label: str(o, "label", path),
    implementation: oneOf(o, "implementation", path, ["deno-libtorch", "pytorch"] as const),
    device: oneOf(o, "device", path, ["cpu", "cuda"] as const),
    deviceName: str(o, "deviceName", path),
    threads: num(o, "threads", path),
    precision: str(o, "precision", path),
    options: options(o.options, `${path}.options`),
    firstStepMs: num(o, "firstStepMs", path),
    warmupMs: numbers(o, "warmupMs", path),
    stepMs: summary(o.stepMs, `${path}.stepMs`),
    imagesPerSecond: num(o, "imagesPerSecond", path),
    epochs: array(o.epochs, `${path}.epochs`).map((e, i) => epoch(e, `${path}.epochs[${i}]`)),
    timeToTargetSeconds: nullable(o, "timeToTargetSeconds", path, num),
    targetAccuracy: num(o, "targetAccuracy", path),
    peakMemoryBytes: nullable(o, "peakMemoryBytes", path, num),
    flopsPerImage: num(o, "flopsPerImage", path),
    achievedFlops: num(o, "achievedFlops", path),
    finalTestAccuracy: nullable(o, "finalTestAccuracy", path, num),
    baseline: o.baseline === null ? null : run(o.baseline, `${path}.baseline`),
    complete: bool(o, "complete", path),
    ...("stopReason" in o ? { stopReason: nullable(o, "stopReason", path, str) } : {}),
  };
}

/**
 * Checks that a parsed JSON value is a {@linkcode BenchResult} of schema
 * version {@linkcode SCHEMA_VERSION} and returns a typed copy holding only
 * the known fields. A `null` epoch loss (how `JSON.stringify` writes NaN)
 * is read back as NaN.
 *
 * @param value The output of `JSON.parse`.
 * @returns The typed result.
 * @throws {SchemaError} Naming the first field that does not match, what was
 * expected and what was found, e.g. `runs[0].stepMs.median: expected a finite
 * number, found string "fast"`.
 *
 * @example Usage
 * ```ts ignore
 * import { parseBenchResult } from "./validate.ts";
 * const result = parseBenchResult(JSON.parse(await Deno.readTextFile("results/x.json")));
 * ```
 */
export function parseBenchResult(value: unknown): BenchResult {
  const o = object(value, "");
  if (o.schema !== SCHEMA_VERSION) fail("schema", `${SCHEMA_VERSION}`, o.schema);
  const createdAt = str(o, "createdAt", "");
  if (Number.isNaN(Date.parse(createdAt))) fail("createdAt", "an ISO 8601 timestamp", createdAt);
  return {
    schema: SCHEMA_VERSION,
    complete: bool(o, "complete", ""),
    ...("stopReason" in o ? { stopReason: nullable(o, "stopReason", "", str) } : {}),
    createdAt,
    command: str(o, "command", ""),
    env: env(o.env, "env"),
    config: config(o.config, "config"),
    runs: array(o.runs, "runs").map((r, i) => run(r, `runs[${i}]`)),
    notes: array(o.notes, "notes").map((n, i) => {
      if (typeof n !== "string") fail(`notes[${i}]`, "a string", n);
      return n;
    }),
  };
}
