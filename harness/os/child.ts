// One JSON message per line over a child process's stdin/stdout: the
// channel of the proxy process and of process-hosted shards. Private helper.

/** V8 flags for the harness's processes (halves GC-induced timer lateness). */
export const V8_FLAGS = "--max-semi-space-size=2";

/** Calls `onLine` with every non-empty line of a byte stream, in order. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    // One split per chunk (linear), not one slice per line.
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === "") continue;
      // Awaited only when it returns a promise: millions of lines need no microtask each.
      const done = onLine(line);
      if (done) await done;
    }
  }
  if (pending.trim() !== "") await onLine(pending);
}

const encoder = new TextEncoder();

/** Writes one JSON line to stdout, whole (a pipe may take a large message in several writes). */
export function writeLineSync(value: unknown): void {
  const bytes = encoder.encode(JSON.stringify(value) + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

/**
 * The V8 flags of a child: {@linkcode V8_FLAGS}, plus those of the
 * environment variable `HARNESS_CHILD_V8_FLAGS` when set and readable (e.g.
 * `--perf-basic-prof`, so that `perf` names a child's JS functions).
 */
function childV8Flags(): string {
  const name = "HARNESS_CHILD_V8_FLAGS";
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return V8_FLAGS;
  const extra = Deno.env.get(name)?.trim();
  return extra ? `${V8_FLAGS},${extra}` : V8_FLAGS;
}

/** The project's configuration (import map, lockfile), for child processes. */
const CONFIG = new URL("../../deno.json", import.meta.url);

/**
 * A Deno child process running `main`, with loopback-only network, the
 * project's import map and lockfile, and the harness's V8 flags.
 */
export function spawnDeno(main: URL): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${CONFIG.pathname}`,
      "--unstable-net",
      "--allow-net=127.0.0.1",
      "--allow-ffi",
      `--v8-flags=${childV8Flags()}`,
      main.href,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Sends JSON lines to a child's stdin, in order. */
export function lineWriter(child: Deno.ChildProcess): { send(value: unknown): Promise<void>; close(): Promise<void> } {
  const writer = child.stdin.getWriter();
  return {
    send: (value) => writer.write(encoder.encode(JSON.stringify(value) + "\n")),
    close: () => writer.close().catch(() => {}),
  };
}

/**
 * Moves this (child) process into a process group of its own, in the
 * harness's session. Two things follow: a signal sent to the harness's
 * group (Ctrl-C, `kill -TERM -PGID`, `timeout`) does not reach the child
 * before the harness has collected it; and if the harness dies while this
 * child is stopped (a paused member), its group is orphaned and the kernel
 * sends it SIGHUP and SIGCONT, which end it, instead of leaving it stopped
 * forever with its ports bound. A running child ends when its stdin closes.
 */
export function leaveParentGroup(): void {
  const libc = Deno.dlopen("libc.so.6", { setpgid: { parameters: ["i32", "i32"], result: "i32" } } as const);
  try {
    libc.symbols.setpgid(0, 0);
  } finally {
    libc.close();
  }
}
