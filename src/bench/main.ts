/**
 * `deno task bench [flags]`: trains the seed's GoogLeNet on MNIST with this project's Deno +
 * libtorch stack on every requested device (and PyTorch beside it with `--baseline pytorch`),
 * then writes results/<date>-<host>-<devices>.json, a markdown table beside it, and prints it.
 *
 * Exit codes: 0 done, 2 bad input (flags, data, shim, device), 130/143 interrupted
 * (SIGINT/SIGTERM: stops at the next step boundary and writes what it has, marked incomplete).
 *
 * @module
 */
import {
  buildInfo,
  cudaDeviceCount,
  setNumThreads,
  ShimNotFoundError,
  TorchError,
} from "../ffi/mod.ts";
import { DataError, loadDataset } from "../data/mod.ts";
import { formatUsageError, HelpRequested, parseBenchArgs, usage, UsageError } from "./cli.ts";
import { formatCommandLine } from "./command.ts";
import { collectEnv } from "./env.ts";
import { Progress } from "./progress.ts";
import { renderMarkdown } from "./report.ts";
import { spreadWarning } from "./stats.ts";
import { resultFileName, uniquePath, writeFileAtomic } from "./write.ts";
import { disposeDeviceData, uploadDataset } from "./train.ts";
import { googlenetFlopsPerImage, runDenoLibtorch } from "./run.ts";
import { runPytorchBaseline } from "./baseline.ts";
import type { BenchConfig, BenchResult, Device, GpuInfo, Run } from "./schema.ts";

/** A one-line failure the user can act on: printed without a stack, exit code 2. */
class FatalInput extends Error {}

function fail(message: string, code = 2): never {
  console.error(`error: ${message}`);
  Deno.exit(code);
}

function nvidiaDriver(): string {
  try {
    const out = new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=driver_version", "--format=csv,noheader"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim().split("\n")[0] : "unknown";
  } catch {
    return "unknown";
  }
}

/** Runs the benchmark; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  let config: BenchConfig;
  try {
    config = parseBenchArgs(args);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.usage);
      return 0;
    }
    if (e instanceof UsageError) {
      console.error(formatUsageError(e).split("\n")[0]);
      console.error(usage());
      return 2;
    }
    throw e;
  }

  // Interrupts: the first SIGINT/SIGTERM stops at the next step boundary, a second exits now.
  let signal: "SIGINT" | "SIGTERM" | null = null;
  const onSignal = (s: "SIGINT" | "SIGTERM") => () => {
    if (signal !== null) Deno.exit(s === "SIGINT" ? 130 : 143);
    signal = s;
    console.error(`\n${s}: stopping at the next step boundary (again to exit now)`);
  };
  const handlers = [["SIGINT", onSignal("SIGINT")], ["SIGTERM", onSignal("SIGTERM")]] as const;
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);

  try {
    let info;
    try {
      info = buildInfo();
    } catch (e) {
      if (e instanceof ShimNotFoundError) throw new FatalInput(e.message);
      throw e;
    }
    const cudaCount = cudaDeviceCount();
    const devices: Device[] = config.device === "all"
      ? (cudaCount > 0 ? ["cuda", "cpu"] : ["cpu"])
      : [config.device];
    if (devices.includes("cuda") && cudaCount === 0) {
      throw new FatalInput(
        `--device cuda: no CUDA device is available (shim built with CUDA: ${info.cudaCompiled}, libtorch ${info.libtorch})`,
      );
    }
    if (config.precision !== "fp32" || config.tf32 || config.cudaGraphs) {
      throw new FatalInput(
        "--precision bf16, --tf32 and --cuda-graphs are not implemented yet: expected the default fp32 eager run",
      );
    }
    setNumThreads(config.threads);
    let dataset;
    try {
      dataset = await loadDataset(config.data);
    } catch (e) {
      if (e instanceof DataError) throw new FatalInput(e.message);
      throw e;
    }
    const gpu: GpuInfo | null = devices.includes("cuda") && info.cudaDevices.length > 0
      ? {
        name: info.cudaDevices[0].name,
        driver: nvidiaDriver(),
        cudaVersion: info.cudaRuntime ?? "unknown",
        cudnnVersion: String(info.cudnnVersion ?? "unknown"),
      }
      : null;
    const env = await collectEnv({ torch: { version: info.libtorch, ...info }, gpu });
    const command = formatCommandLine(["deno", "task", "bench", ...args]);
    console.error(
      `bench: ${devices.join(" + ")}, ${config.threads} threads, batch ${config.batchSize}, ` +
        `${config.steps ?? 0} timed steps, ${config.epochs ?? 0} epochs, data ${dataset.name}` +
        (config.baseline ? ", baseline pytorch" : ""),
    );

    const runs: Run[] = [];
    const notes: string[] = [];
    let complete = true;
    for (const device of devices) {
      if (signal !== null) break;
      console.error(`\n== deno+libtorch on ${device}`);
      const data = uploadDataset(dataset, device === "cuda" ? "cuda:0" : "cpu");
      let run: Run;
      try {
        const progress = config.progress
          ? new Progress({ writer: Deno.stderr, isTerminal: Deno.stderr.isTerminal() })
          : null;
        const r = runDenoLibtorch(config, data, { progress, shouldStop: () => signal !== null });
        run = r.run;
        if (r.interrupted) complete = false;
      } finally {
        disposeDeviceData(data);
      }
      run.deviceName = device === "cuda" ? (gpu?.name ?? "cuda") : env.cpuModel;
      const warn = spreadWarning(run.stepMs);
      if (warn) notes.push(`${run.label}: ${warn}`);
      if (config.baseline === "pytorch" && signal === null) {
        console.error(`\n== PyTorch baseline on ${device}`);
        const b = await runPytorchBaseline(config, device, {
          dataDir: dataset.dir,
          flopsPerImage: googlenetFlopsPerImage(),
        });
        if ("run" in b) {
          if (device === "cpu") b.run.deviceName = env.cpuModel;
          run.baseline = b.run;
        } else {
          notes.push(b.skipped);
          console.error(b.skipped);
        }
      }
      runs.push(run);
    }
    if (signal !== null) complete = false;
    if (runs.length === 0) {
      throw new FatalInput(`${signal}: interrupted before any run finished; nothing written`);
    }

    const result: BenchResult = {
      schema: 1,
      complete,
      createdAt: new Date().toISOString(),
      command,
      env,
      config,
      runs,
      notes,
    };
    const json = JSON.stringify(result, null, 2) + "\n";
    await Deno.mkdir(config.out, { recursive: true });
    const path = await uniquePath(config.out, resultFileName(result), { content: json });
    await writeFileAtomic(path, json, { force: true });
    const markdown = renderMarkdown([result]);
    await writeFileAtomic(path.replace(/\.json$/, ".md"), markdown, { force: true });
    if (config.json !== null) await writeFileAtomic(config.json, json, { force: true });
    console.log(markdown);
    console.error(
      `bench: wrote ${path} and ${path.replace(/\.json$/, ".md")}${
        config.json ? ` and ${config.json}` : ""
      }`,
    );
    if (!complete) {
      console.error(`bench: interrupted by ${signal}; the result is marked incomplete`);
      return signal === "SIGTERM" ? 143 : 130;
    }
    return 0;
  } catch (e) {
    if (e instanceof FatalInput) fail(e.message);
    if (e instanceof TorchError) fail(`libtorch: ${e.message}`, 1);
    throw e;
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
