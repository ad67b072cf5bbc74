/**
 * What a baseline process writes for the harness to read, declared once as zod schemas (the
 * TypeScript types are inferred from them), as the worker protocol is (./worker.ts): a file from
 * another process is parsed, never cast, so a script that drifts from its reader fails with the
 * file's name and the field that is wrong instead of a NaN deep in a report.
 *
 * @module
 */
import { z } from "zod";
import { epochRecordSchema } from "../../result/mod.ts";

const ms = z.array(z.number());
/** A step's loss: NaN is written as null (JSON has no NaN) and read back as NaN. */
const losses = z.array(z.number().nullable().transform((v) => v ?? NaN));

/**
 * What baselines/pytorch_baseline.py writes in its batch modes (--steps, --epochs).
 *
 * @internal
 */
export const baselineFileSchema = z.object({
  torchVersion: z.string(),
  deviceName: z.string(),
  threads: z.number(),
  tf32: z.boolean().optional(),
  firstStepMs: z.number().nullable(),
  warmupMs: ms,
  stepMs: ms,
  /** The window's step losses, warm-up first (mode A; empty in mode B). */
  stepLosses: losses.optional(),
  epochs: z.array(epochRecordSchema),
  timeToTargetSeconds: z.number().nullable(),
  peakMemoryBytes: z.number().nullable(),
  finalTestAccuracy: z.number().nullable(),
  /** False when --max-seconds cut the run (older scripts: absent). */
  complete: z.boolean().optional(),
  stopReason: z.string().nullable().optional(),
});

/** What baselines/pytorch_baseline.py writes (and the DDP baseline is read into). */
export type BaselineJson = typeof baselineFileSchema["_zod"]["output"];

/**
 * What baselines/pytorch_ddp.py --bench-json writes (rank 0).
 *
 * @internal
 */
export const ddpFileSchema = z.object({
  torchVersion: z.string(),
  threads: z.number(),
  warmupMs: ms,
  stepMs: ms,
  stepLosses: losses,
  perRankStepMedianMs: z.array(z.number().nullable()),
  perRankAllreduceShare: z.array(z.number().nullable()),
  singleRank: z.object({ batchSize: z.number(), timedMs: ms }),
});

/** What {@linkcode ddpFileSchema} describes. */
export type DdpJson = typeof ddpFileSchema["_zod"]["output"];

/**
 * The file at `path`, written by `writer`, parsed by `schema`; an Error naming the file, the
 * writer and what was expected where the file does not match.
 *
 * @internal
 */
export async function readBaselineFile<S extends z.ZodType>(
  schema: S,
  path: string,
  writer: string,
): Promise<z.output<S>> {
  const text = await Deno.readTextFile(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${writer} wrote ${path}, which is not JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(
    `${writer} wrote ${path}, which does not match its format at ` +
      `${issue.path.join(".") || "(root)"}: ${issue.message}`,
  );
}
