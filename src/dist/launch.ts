/**
 * The launcher of `deno task bench --nproc N`: starts N rank processes of the same entry point on
 * this host, each with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1)
 * and `--threads` split between them; they meet through a FileStore in a private (0700) temporary
 * folder (BENCH_STORE_FILE) and Gloo binds to the loopback interface (GLOO_SOCKET_IFNAME=lo), so
 * that no rank listens on any address but 127.0.0.1 (a TCPStore's server listens on every
 * interface, unauthenticated); forwards SIGINT and SIGTERM once to each
 * rank (they agree on a step boundary and rank 0 writes one checkpoint); when a rank fails, names
 * it and its cause in one line, gives the others a few seconds to stop (a rank blocked in a
 * collective fails by itself within `--dist-timeout`), then kills what is left, so no rank outlives the launcher's exit.
 *
 * Each rank is a tied child (./child.ts): in a session of its own (setsid), so that a Ctrl-C in the
 * terminal reaches the ranks once, through the launcher, and not a second time from the terminal
 * (a second signal makes a rank exit at once); killed by the kernel when the launcher dies, however
 * it dies; its process group killed when the launcher returns.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { killGroup, LAUNCHER_PID_VAR, tiedCommand } from "./child.ts";
import { rankEnvVars } from "./env.ts";

/** Options of {@linkcode launchRanks}. */
export interface LaunchOptions {
  /** The number of ranks. */
  nproc: number;
  /** CPU threads of the whole job; each rank gets an equal share (at least 1). */
  threads: number;
  /** The entry point each rank runs (src/bench/entry/main.ts). */
  script: string;
  /** Prints the launcher's lines (default: console.error). */
  log?: (line: string) => void;
}

/** Milliseconds the other ranks get to stop after one failed, before they are killed. */
export const KILL_GRACE_MS = 5000;

/** The threads each of `nproc` ranks gets out of `threads`. */
export function threadsPerRank(threads: number, nproc: number): number {
  return Math.max(1, Math.floor(threads / nproc));
}

/** `args` with `--flag V` / `--flag=V` replaced by `--flag value` (appended when absent). */
export function withFlag(args: readonly string[], flag: string, value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) i++;
    else if (!args[i].startsWith(`${flag}=`)) out.push(args[i]);
  }
  return [...out, flag, value];
}

/** How a rank ended, as the launcher's line says it. */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal !== null ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

/**
 * A private folder for a FileStore, `<prefix><pid>-XXXX` in the temporary folder: made by this
 * user, mode 0700 (no other user can read or plant the rendezvous file). The caller removes it;
 * the folders of this prefix that a killed process left (its pid no longer runs) are removed
 * first.
 */
export async function privateStoreDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `${prefix}${Deno.pid}-` });
  await Deno.chmod(dir, 0o700);
  await removeStale(dirname(dir), prefix);
  return dir;
}

/** Removes the store folders named `<prefix><pid>-...` in `tmp` whose process no longer runs. */
async function removeStale(tmp: string, prefix: string): Promise<void> {
  for await (const entry of Deno.readDir(tmp)) {
    const pid = entry.name.startsWith(prefix)
      ? /^(\d+)-/.exec(entry.name.slice(prefix.length))
      : null;
    if (!entry.isDirectory || pid === null || Number(pid[1]) === Deno.pid) continue;
    try {
      Deno.kill(Number(pid[1]), "SIGCONT"); // throws when no such process (or not ours)
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        await Deno.remove(join(tmp, entry.name), { recursive: true }).catch(() => {});
      }
    }
  }
}

/** The environment that puts rank `rank` on this host only: a file store, Gloo on loopback. */
export function loopbackRankEnv(
  place: { rank: number; worldSize: number; storeFile: string },
): Record<string, string> {
  return {
    ...rankEnvVars({ ...place, localRank: place.rank, masterAddr: "127.0.0.1", masterPort: 0 }),
    GLOO_SOCKET_IFNAME: "lo",
  };
}

function spawnRank(rank: number, args: string[], options: LaunchOptions, storeFile: string) {
  const env = {
    ...loopbackRankEnv({ rank, worldSize: options.nproc, storeFile }),
    [LAUNCHER_PID_VAR]: String(Deno.pid),
  };
  return tiedCommand(Deno.execPath(), ["run", "-A", options.script, ...args], {
    env,
    stdin: "null",
    stdout: rank === 0 ? "inherit" : "null",
    stderr: "inherit",
  }).spawn();
}

/** Starts the ranks and waits for them; returns the launcher's exit code. */
export async function launchRanks(
  args: readonly string[],
  options: LaunchOptions,
): Promise<number> {
  const log = options.log ?? ((line: string) => console.error(line));
  const perRank = threadsPerRank(options.threads, options.nproc);
  const rankArgs = withFlag(args, "--threads", String(perRank));
  const dir = await privateStoreDir("bench-ranks-");
  const storeFile = join(dir, "store");
  log(`bench: ${options.nproc} ranks on 127.0.0.1 (store ${storeFile}), ${perRank} threads each`);
  const ranks = Array.from(
    { length: options.nproc },
    (_, r) => spawnRank(r, rankArgs, options, storeFile),
  );
  log(`bench: rank pids ${ranks.map((c) => c.pid).join(" ")}`);
  const live = new Set(ranks.keys());
  const forward = (signal: Deno.Signal) => () => {
    for (const r of live) ranks[r].kill(signal);
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    return await superviseRanks(ranks, { live, log, graceMs: KILL_GRACE_MS });
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    for (const rank of ranks) killGroup(rank.pid); // what a rank started and left behind
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Waits for every rank; after the first failure, kills those left after `graceMs`. */
async function superviseRanks(
  ranks: Deno.ChildProcess[],
  state: { live: Set<number>; log: (line: string) => void; graceMs: number },
): Promise<number> {
  const { live, log } = state;
  const ended = ranks.map((c, r) => c.status.then((status) => ({ r, status })));
  let code = 0;
  let killer: ReturnType<typeof setTimeout> | undefined;
  while (live.size > 0) {
    const { r, status } = await Promise.race([...live].map((i) => ended[i]));
    live.delete(r);
    if (status.success || code !== 0) continue;
    code = status.signal !== null ? 1 : status.code;
    if (live.size === 0) break;
    log(
      `bench: rank ${r} failed (${describeExit(status)}); stopping ranks ${[...live].join(", ")} ` +
        `(killed after ${state.graceMs / 1000} s)`,
    );
    killer = setTimeout(() => {
      for (const i of live) ranks[i].kill("SIGKILL");
    }, state.graceMs);
  }
  clearTimeout(killer);
  if (code !== 0) log(`bench: the run failed (exit code ${code})`);
  return code;
}
