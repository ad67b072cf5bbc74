/**
 * Processes and sockets as Linux's /proc shows them, for the tests that check that nothing
 * outlives its launcher and that nothing listens beyond this host. Reads /proc only.
 */

/** Whether `pid` is a process that still runs (not gone, not a zombie). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

/** The running processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === pid && state !== "Z") found.push(Number(entry.name));
    } catch { /* gone meanwhile */ }
  }
  return found;
}

/** Polls until none of `pids` runs, for at most `seconds`; those still running. */
export async function awaitGone(pids: number[], seconds: number): Promise<number[]> {
  for (let t = 0; t < seconds * 10; t++) {
    if (!pids.some(running)) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return pids.filter(running);
}

/** One TCP socket of a process: its local address (IPv4 dotted or IPv6 hex) and whether it listens. */
export interface Socket {
  local: string;
  listening: boolean;
}

/** /proc/net/tcp's "0100007F:1F90" as "127.0.0.1:8080"; tcp6's address stays hex. */
function localAddress(hex: string): string {
  const [addr, port] = hex.split(":");
  if (addr.length !== 8) return `[${addr}]:${parseInt(port, 16)}`;
  const bytes = addr.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
  return `${bytes.join(".")}:${parseInt(port, 16)}`;
}

/** The TCP sockets (IPv4 and IPv6) that process `pid` holds open now. */
export function tcpSocketsOf(pid: number): Socket[] {
  const inodes = new Set<string>();
  try {
    for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`));
      if (m) inodes.add(m[1]);
    }
  } catch {
    return []; // gone
  }
  const sockets: Socket[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${table}`);
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (inodes.has(f[9])) sockets.push({ local: localAddress(f[1]), listening: f[3] === "0A" });
    }
  }
  return sockets;
}

/** Whether a socket's local address is on loopback (127.0.0.0/8, or ::1 / ::ffff:127.x). */
export function onLoopback(socket: Socket): boolean {
  return /^127\./.test(socket.local) ||
    /^\[0{24}01000000\]/.test(socket.local) || // ::1 as /proc writes it
    /^\[0{16}FFFF0000[0-9A-F]{6}7F\]/i.test(socket.local); // ::ffff:127.x.y.z
}
