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
  pendingSignal,
  setBackendFlags,
  setNumThreads,
  ShimNotFoundError,
  TorchError,
  watchSignals,
} from "../ffi/mod.ts";
import { DataError, loadDataset } from "../data/mod.ts";
import { formatUsageError, HelpRequested, parseBenchArgs, UsageError } from "./cli.ts";
import { formatCommandLine } from "./command.ts";
import { collectEnv } from "./env.ts";
import { Progress } from "./progress.ts";
import { renderMarkdown } from "./report.ts";
import { resultFileName, uniquePath, writeFileAtomic } from "./write.ts";
import { disposeDeviceData, GRAPH_WARMUP_STEPS, uploadDataset } from "./train.ts";
import { googlenetFlopsPerImage, runDenoLibtorch } from "./run.ts";
import { CheckpointError } from "./checkpoint.ts";
import { GoogLeNet, loadWeights, WeightsError } from "../model/mod.ts";
import { join } from "node:path";
import { runPytorchBaseline } from "./baseline.ts";
import { speedOptionProblem } from "./options.ts";
import type { BenchConfig, BenchResult, Device, GpuInfo, Run } from "./schema.ts";

/** A one-line failure the user can act on: printed without a stack, exit code 2. */
class FatalInput extends Error {}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function shimSignal(): "SIGINT" | "SIGTERM" | null {
  try {
    return pendingSignal();
  } catch {
    return null;
  }
}

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
      console.error(formatUsageError(e).trimEnd());
      return 2;
    }
    throw e;
  }

  // Interrupts: the first SIGINT/SIGTERM stops at the next step boundary, a second exits now.
  // The shim records them (the training loop is synchronous, so Deno's listeners could not run).
  let signal: "SIGINT" | "SIGTERM" | null = null;
  const interrupted = () => (signal ??= shimSignal());

  try {
    let info;
    try {
      info = buildInfo();
      watchSignals();
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
    const optionProblem = speedOptionProblem(config, devices, info.libtorch);
    if (optionProblem !== null) throw new FatalInput(optionProblem);
    setNumThreads(config.threads);
    setBackendFlags({ cudnnBenchmark: config.cudnnBenchmark ?? false, allowTF32: config.tf32 });
    let dataset;
    try {
      dataset = await loadDataset(config.data);
    } catch (e) {
      if (e instanceof DataError) throw new FatalInput(e.message);
      throw e;
    }
    // Preflight, so that bad input fails before anything runs or is written.
    if (config.load) {
      const probe = new GoogLeNet();
      try {
        loadWeights(probe, config.load);
      } finally {
        probe.dispose();
      }
    }
    if (config.resume) {
      await Deno.stat(config.resume).catch(() => {
        throw new FatalInput(`--resume ${config.resume}: no such checkpoint file`);
      });
      if (config.steps !== null) {
        console.error("bench: --resume continues the epochs; the timed window is skipped");
        config = { ...config, steps: null };
      }
      if (devices.length > 1) {
        throw new FatalInput("--resume: expected one --device (cpu or cuda), found all");
      }
    }
    for (const [flag, path] of [["--save", config.save], ["--json", config.json]] as const) {
      if (path && !config.force && (await exists(path))) {
        throw new FatalInput(`${flag} ${path}: the file exists; pass --force to overwrite it`);
      }
    }
    const runId = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const gpu: GpuInfo | null = devices.includes("cuda") && info.cudaDevices.length > 0
      ? {
        name: info.cudaDevices[0].name,
        driver: nvidiaDriver(),
        cudaVersion: info.cudaRuntime ?? "unknown",
        cudnnVersion: String(info.cudnnVersion ?? "unknown"),
      }
      : null;
    // Build facts again now that the thread count is set, so that they show the threads used.
    const env = await collectEnv({ torch: { version: info.libtorch, ...buildInfo() }, gpu });
    const command = formatCommandLine(["deno", "task", "bench", ...args]);
    console.error(
      `bench: ${devices.join(" + ")}, ${config.threads} threads, batch ${config.batchSize}, ` +
        `${config.steps ?? 0} timed steps, ${config.epochs ?? 0} epochs, data ${dataset.name}` +
        (config.baseline ? ", baseline pytorch" : ""),
    );

    const runs: Run[] = [];
    const notes: string[] = [];
    if (config.cudaGraphs && config.steps !== null && config.warmup <= GRAPH_WARMUP_STEPS) {
      notes.push(
        `--cuda-graphs with --warmup ${config.warmup}: the first timed steps include the ` +
          `${GRAPH_WARMUP_STEPS} eager warm-up steps and the capture; use --warmup ` +
          `${GRAPH_WARMUP_STEPS + 1} or more to time replays only`,
      );
    }
    let complete = true;
    for (const device of devices) {
      if (interrupted() !== null) break;
      console.error(`\n== deno+libtorch on ${device}`);
      const data = uploadDataset(dataset, device === "cuda" ? "cuda:0" : "cpu");
      let run: Run;
      try {
        const progress = config.progress
          ? new Progress({ writer: Deno.stderr, isTerminal: Deno.stderr.isTerminal() })
          : null;
        const suffix = devices.length > 1 ? `-${device}` : "";
        const checkpointPath = config.resume ??
          join(config.checkpointDir ?? config.out, `checkpoint-${runId}-${device}.safetensors`);
        await Deno.mkdir(join(checkpointPath, ".."), { recursive: true });
        const r = runDenoLibtorch(config, data, {
          progress,
          shouldStop: () => interrupted() !== null,
          checkpointPath: config.epochs !== null ? checkpointPath : null,
          resume: config.resume ?? null,
          loadWeights: config.load ?? null,
          savePath: config.save ? config.save.replace(/(\.[a-z]+)$/, `${suffix}$1`) : null,
        });
        run = r.run;
        if (r.interrupted) complete = false;
        if (r.checkpoint && r.interrupted) {
          console.error(`bench: checkpoint ${r.checkpoint} (resume with --resume ${r.checkpoint})`);
        } else if (r.checkpoint && config.checkpointDir == null && config.resume == null) {
          // A finished run's checkpoint (72 MB) is only kept where --checkpoint-dir asked for it.
          await Deno.remove(r.checkpoint).catch(() => {});
        } else if (r.checkpoint) {
          console.error(`bench: checkpoint ${r.checkpoint}`);
        }
      } finally {
        disposeDeviceData(data);
      }
      run.deviceName = device === "cuda" ? (gpu?.name ?? "cuda") : env.cpuModel;
      if (config.baseline === "pytorch" && interrupted() === null) {
        console.error(`\n== PyTorch baseline on ${device}`);
        const b = await runPytorchBaseline(config, device, {
          dataDir: dataset.dir,
          flopsPerImage: googlenetFlopsPerImage(),
        }).catch((e) => ({ skipped: `PyTorch baseline failed: ${(e as Error).message}` }));
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
    if (interrupted() !== null) complete = false;
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
    if (config.json !== null) await writeFileAtomic(config.json, json, { force: true }); // checked above
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
    if (config.verbose && e instanceof Error) console.error(e.stack);
    if (e instanceof FatalInput || e instanceof WeightsError || e instanceof CheckpointError) {
      fail(e.message);
    }
    if (e instanceof TorchError) fail(`libtorch: ${e.message}`, 1);
    if (!config.verbose && e instanceof Error) {
      fail(`${e.message} (run with --verbose for the stack)`, 1);
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
