/**
 * A rank's place in a data-parallel job, read from its environment as torchrun sets it (RANK,
 * WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or as Slurm's srun does (SLURM_PROCID,
 * SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR and MASTER_PORT exported by the batch script).
 * Pure: the environment is passed in.
 *
 * Ranks on one host (the launcher of `--nproc`) meet through a FileStore instead, whose path
 * BENCH_STORE_FILE names, and need no MASTER_PORT: nothing of theirs listens beyond 127.0.0.1. A
 * job across hosts meets through a TCPStore on MASTER_ADDR:MASTER_PORT, which, as PyTorch
 * documents, accepts connections from anywhere without authentication: run it on a trusted
 * network only.
 *
 * @module
 */

/** Where one rank stands and where the job meets. */
export interface RankEnv {
  /** This process's rank, 0..worldSize-1. */
  rank: number;
  /** The number of ranks. */
  worldSize: number;
  /** The rank on this host (it picks the GPU on a CUDA host). */
  localRank: number;
  /** The rendezvous host: rank 0 serves the TCPStore there. */
  masterAddr: string;
  /** The rendezvous port (0 with a store file: no port is used). */
  masterPort: number;
  /** The FileStore's path (BENCH_STORE_FILE), for ranks on one host; absent: the TCPStore. */
  storeFile?: string;
}

/** The variable naming the FileStore of ranks on one host. */
export const STORE_FILE_VAR = "BENCH_STORE_FILE";

/** A rank environment that is incomplete or contradicts itself. */
export class RankEnvError extends Error {
  /** Creates the error with a one-line message naming the variable. */
  constructor(message: string) {
    super(message);
    this.name = "RankEnvError";
  }
}

function readInt(env: Record<string, string | undefined>, name: string, min: number): number {
  const raw = env[name];
  const n = raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RankEnvError(`${name}: expected an integer ≥ ${min}, found ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The names of the variables a launcher sets: torchrun's, else srun's. */
function launcherNames(env: Record<string, string | undefined>) {
  if (env.RANK !== undefined || env.WORLD_SIZE !== undefined) {
    return { rank: "RANK", world: "WORLD_SIZE", local: "LOCAL_RANK" };
  }
  if (env.SLURM_PROCID !== undefined && env.MASTER_ADDR !== undefined) {
    return { rank: "SLURM_PROCID", world: "SLURM_NTASKS", local: "SLURM_LOCALID" };
  }
  return null;
}

/**
 * The rank environment, or null when no launcher started this process (a plain run). Throws a
 * {@linkcode RankEnvError} when one did but a variable is missing or out of range.
 */
export function readRankEnv(env: Record<string, string | undefined>): RankEnv | null {
  const names = launcherNames(env);
  if (names === null) return null;
  const worldSize = readInt(env, names.world, 1);
  const rank = readInt(env, names.rank, 0);
  if (rank >= worldSize) {
    throw new RankEnvError(
      `${names.rank}: expected a rank below ${names.world}=${worldSize}, found ${rank}`,
    );
  }
  const localRank = env[names.local] === undefined ? 0 : readInt(env, names.local, 0);
  const masterAddr = env.MASTER_ADDR?.trim() ?? "";
  if (masterAddr === "") {
    throw new RankEnvError(`MASTER_ADDR: expected the rendezvous host, found nothing`);
  }
  const storeFile = env[STORE_FILE_VAR]?.trim() || undefined;
  if (storeFile !== undefined) {
    return { rank, worldSize, localRank, masterAddr, masterPort: 0, storeFile };
  }
  const masterPort = readInt(env, "MASTER_PORT", 1);
  if (masterPort > 65535) {
    throw new RankEnvError(`MASTER_PORT: expected a port in 1..65535, found ${masterPort}`);
  }
  return { rank, worldSize, localRank, masterAddr, masterPort };
}

/** The environment the launcher gives rank `rank` of `worldSize` on this host. */
export function rankEnvVars(place: RankEnv): Record<string, string> {
  const vars: Record<string, string> = {
    RANK: String(place.rank),
    WORLD_SIZE: String(place.worldSize),
    LOCAL_RANK: String(place.localRank),
    LOCAL_WORLD_SIZE: String(place.worldSize),
    MASTER_ADDR: place.masterAddr,
  };
  if (place.storeFile !== undefined) vars[STORE_FILE_VAR] = place.storeFile;
  else vars.MASTER_PORT = String(place.masterPort);
  return vars;
}
