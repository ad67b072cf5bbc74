/**
 * One device's run: our measurements (the timed or paired window, the step breakdown, the
 * epochs), then the baselines {@linkcode chooseBaselines} chose, built into the device's complete
 * run record.
 *
 * @module
 */
import { join } from "node:path";
import {
  disposeDeviceData,
  planRun,
  Progress,
  type RunPlan,
  Stopper,
  uploadDataset,
} from "../../train/mod.ts";
import {
  buildRun,
  type LoadSamples,
  readLoadavg,
  recordNoise,
  runDenoLibtorch,
} from "../measure/mod.ts";
import { googlenetFlopsPerImage } from "../../model/mod.ts";
import {
  type BaselineChoice,
  chooseBaselines,
  pairedSummary,
  Pairing,
  runPytorchBaseline,
  runPytorchDdp,
} from "../baselines/mod.ts";
import { autoStagePlan, describePlan } from "./stage_cache.ts";
import type { BenchConfig, Device, Run, StagePlan } from "../../result/mod.ts";
import { deviceName, follower, type Session, shimSignal } from "./session.ts";

/** Keeps, reports or removes the checkpoint a run left. */
async function settleCheckpoint(config: BenchConfig, path: string | null, stopped: boolean) {
  if (path === null) return;
  if (stopped) {
    console.error(`bench: checkpoint ${path} (resume with --resume ${path})`);
  } else if (config.checkpointDir == null && config.resume == null) {
    // A finished run's checkpoint (72 MB) is only kept where --checkpoint-dir asked for it.
    await Deno.remove(path).catch(() => {});
  } else {
    console.error(`bench: checkpoint ${path}`);
  }
}

/**
 * The stack's measurements on one device, its checkpoint settled; with a `pairing`, the timed
 * window is the paired window (paired.ts) and the stages after it run as usual.
 */
async function measure(session: Session, plan: RunPlan, pairing: Pairing | null = null) {
  const { config, devices, runId } = session;
  // The host's load before and after the timed work, for the run's noise verdict.
  const load: LoadSamples = {
    before: readLoadavg(),
    after: null,
    cores: navigator.hardwareConcurrency,
  };
  const checkpointPath = config.resume ??
    join(config.checkpointDir ?? config.out, `checkpoint-${runId}-${plan.device}.safetensors`);
  await Deno.mkdir(join(checkpointPath, ".."), { recursive: true });
  const suffix = devices.length > 1 ? `-${plan.device}` : "";
  const data = uploadDataset(session.dataset, plan.device);
  const { dist } = session, quiet = follower(session);
  // Ranks stop together: each step boundary agrees on the interrupt any rank received.
  // and the deadline on the latest rank's clock, so that all of them stop at the same step.
  const stop = new Stopper({
    signal: dist ? () => dist.agreeSignal(shimSignal()) : shimSignal,
    maxSeconds: config.maxSeconds ?? null,
    agree: dist ? (seconds) => Math.max(...dist.gather(seconds)) : undefined,
  });
  try {
    const window = pairing === null ? null : await pairing.run(data, stop);
    const measured = runDenoLibtorch(plan, data, {
      stop,
      pairedWindow: window,
      progress: config.progress && !quiet
        ? new Progress({ writer: Deno.stderr, isTerminal: Deno.stderr.isTerminal() })
        : null,
      log: quiet ? () => {} : undefined,
      checkpointPath: config.epochs !== null && !quiet ? checkpointPath : null,
      resume: config.resume ?? null,
      loadWeights: config.load ?? null,
      savePath: config.save && !quiet ? config.save.replace(/(\.[a-z]+)$/, `${suffix}$1`) : null,
      afterWindow: () => (load.after = plan.window === null ? null : readLoadavg()),
    });
    load.after ??= readLoadavg();
    await settleCheckpoint(config, measured.epochs.checkpoint, measured.stopReason !== null);
    return { ...measured, load };
  } finally {
    disposeDeviceData(data);
  }
}

/** The PyTorch baseline of a finished run, or the note saying why there is none. */
async function baselineOf(session: Session, plan: RunPlan): Promise<Run | string> {
  console.error(`\n== PyTorch baseline on ${plan.device}`);
  // Beside a paired window, PyTorch's own run covers the epochs only.
  const paired = plan.window !== null && session.config.baseline !== null;
  const config = paired ? { ...session.config, steps: null } : session.config;
  const b = await runPytorchBaseline(config, plan.device, {
    dataDir: session.dataset.dir,
    flopsPerImage: plan.facts.flopsPerImage,
    deviceName: plan.device === "cpu" ? session.env.cpuModel : undefined,
  }).catch((e) => ({ skipped: `PyTorch baseline failed: ${(e as Error).message}` }));
  if ("run" in b) return b.run;
  console.error(b.skipped);
  return b.skipped;
}

/**
 * PyTorch DDP beside our ranks (`--nproc N --baseline pytorch`), run by rank 0 once our run is
 * over, or the note saying why there is none.
 */
async function ddpBaselineOf(session: Session, plan: RunPlan): Promise<Run | string> {
  const { dist, config } = session;
  if (dist === null) throw new Error("PyTorch DDP baseline: expected a data-parallel rank");
  console.error(`\n== PyTorch DDP baseline on ${plan.device}, ${dist.worldSize} ranks`);
  const b = await runPytorchDdp(config, {
    worldSize: dist.worldSize,
    dataDir: session.dataset.dir,
    trainCount: session.dataset.train.count,
    flopsPerImage: plan.facts.flopsPerImage,
    deviceName: session.env.cpuModel,
  });
  if ("run" in b) return b.run;
  console.error(b.skipped);
  return b.skipped;
}

/** The chosen baseline that trains its own epochs; the note saying why there is none; null. */
async function epochsBaselineOf(
  session: Session,
  plan: RunPlan,
  chosen: BaselineChoice["epochs"],
): Promise<Run | string | null> {
  if (chosen === "pytorch") return await baselineOf(session, plan);
  if (chosen === "pytorch-ddp") return await ddpBaselineOf(session, plan);
  return null;
}

/**
 * `--precision auto`'s plan on the CPU (cached, or probed now, before any baseline starts), or
 * null for any other precision.
 */
async function autoPlan(session: Session, device: Device): Promise<StagePlan | null> {
  const { config } = session;
  if (config.precision !== "auto" || device !== "cpu") return null;
  const key = {
    cpuModel: session.env.cpuModel,
    libtorch: session.libtorch,
    batchSize: config.batchSize,
    threads: config.threads,
  };
  const plan = await autoStagePlan(key);
  console.error(`bench: ${describePlan(plan)}`);
  return plan;
}

/** The plan of one device's run, with `--precision auto`'s stage plan, or null without one. */
async function planDevice(session: Session, device: Device) {
  const planned = planRun(session.config, device, {
    libtorch: session.libtorch,
    deviceName: deviceName(session, device),
    flopsPerImage: googlenetFlopsPerImage(),
  });
  const stagePlan = await autoPlan(session, device);
  const plan: RunPlan = {
    ...planned,
    trainer: {
      ...planned.trainer,
      dist: session.dist,
      stagePlan: stagePlan?.stages.map((s) => s.candidate) ?? null,
    },
  };
  return { plan, stagePlan };
}

/** One device's complete run record, and notes on the baselines that are missing. */
export async function runDevice(session: Session, device: Device): Promise<[Run, string[]]> {
  if (!follower(session)) console.error(`\n== deno+libtorch on ${device}`);
  const { plan, stagePlan } = await planDevice(session, device);
  const choice = chooseBaselines(session.config, {
    window: plan.window !== null,
    epochs: plan.epochs !== null,
    rank: session.dist?.rank ?? null,
    defaultBaseline: session.defaultBaseline,
  });
  const pairing = choice.paired.length > 0
    ? await Pairing.start(choice.paired, plan, { dataDir: session.dataset.dir })
    : null;
  const notes = [...(pairing?.skipped ?? []), ...choice.notes];
  let measured;
  try {
    measured = await measure(session, plan, pairing);
  } finally {
    notes.push(...(await pairing?.close() ?? []));
  }
  const finished = measured.stopReason === null;
  if (finished) notes.push(...choice.finishedNotes);
  const epochs = finished ? await epochsBaselineOf(session, plan, choice.epochs) : null;
  if (typeof epochs === "string") notes.push(epochs);
  const full = typeof epochs === "string" ? null : epochs;
  const baselines = pairing === null
    ? (full === null ? [] : [full])
    : pairing.runs({ plan, deviceName: deviceName(session, plan.device) }, full);
  const run = buildRun(plan, { ...measured, baseline: baselines[0] ?? null });
  if (baselines.length > 1) run.moreBaselines = baselines.slice(1);
  recordNoise(run, measured.load);
  if (stagePlan !== null) run.stagePlan = stagePlan;
  for (const line of pairedSummary(run)) console.error(line);
  return [run, notes];
}
