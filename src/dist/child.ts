/**
 * Child processes that cannot outlive this one: ranks, baseline workers and the PyTorch
 * baseline's processes. Each is started as `setsid setpriv --pdeathsig KILL -- <program> ...`
 * (util-linux), so that it leads a process group of its own (a Ctrl-C in the terminal reaches it
 * only through us, and {@linkcode killGroup} reaches its own children too), and the kernel sends it
 * SIGKILL when its parent dies, however the parent ends (kill -9, the OOM killer, a crash).
 *
 * Why PR_SET_PDEATHSIG and not a lifeline pipe whose end the child watches: the signal is
 * delivered by the kernel, so it ends a child that is inside a long native call (a training step,
 * a blocked collective) where no event loop would read a pipe, and it needs no code in the three
 * kinds of child (a Deno rank, a Python script, the C++ worker). Its catch is that it fires when
 * the parent *thread* ends: Deno spawns from the thread that runs JavaScript, which lives as long
 * as the process (tests/child_process.test.ts keeps a child alive past the runtime's idle-thread
 * timeout); a Web Worker must not start one. setsid and setpriv exec in place (no fork), so the
 * child's pid is the program's and leads its group. A launcher that dies between the fork and
 * setpriv's prctl (microseconds) leaves the child orphaned: a worker then quits at EOF on its
 * stdin, a rank at its start when its parent is not the launcher ({@linkcode orphaned}).
 *
 * @module
 */

/** The variable that names the launcher's pid to a rank it started. */
export const LAUNCHER_PID_VAR = "BENCH_LAUNCHER_PID";

/** Options of {@linkcode tiedCommand}: Deno.Command's, less its program's arguments. */
export type TiedOptions = Omit<Deno.CommandOptions, "args">;

/** Whether `program` names an executable file, as a path or on PATH. */
function runnable(program: string): boolean {
  const dirs = program.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":");
  return dirs.some((dir) => {
    try {
      const info = Deno.statSync(dir === "" ? program : `${dir}/${program}`);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/**
 * A command that runs `program args` in its own process group, killed when we die. A program
 * that cannot run is started as it is, so that spawning it fails as Deno.Command's does.
 */
export function tiedCommand(
  program: string,
  args: readonly string[],
  options: TiedOptions = {},
): Deno.Command {
  if (!runnable(program)) return new Deno.Command(program, { ...options, args: [...args] });
  return new Deno.Command("setsid", {
    ...options,
    args: ["setpriv", "--pdeathsig", "KILL", "--", program, ...args],
  });
}

/** Sends `signal` to the process group `pid` leads (a tied child's); false when it is gone. */
export function killGroup(pid: number, signal: Deno.Signal = "SIGKILL"): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this process was started by a launcher (its pid in {@linkcode LAUNCHER_PID_VAR}) that
 * is no longer its parent: the launcher died before the child's death signal was armed.
 */
export function orphaned(env: Record<string, string | undefined>, parentPid: number): boolean {
  const launcher = env[LAUNCHER_PID_VAR];
  return launcher !== undefined && Number(launcher) !== parentPid;
}

/**
 * Passes SIGINT and SIGTERM on to a tied child's group while it runs (a terminal's Ctrl-C no longer
 * reaches it by itself); the returned function stops passing them.
 */
export function forwardStops(pid: number): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => killGroup(pid, signal);
    Deno.addSignalListener(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
