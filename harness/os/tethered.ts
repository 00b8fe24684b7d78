/**
 * Children that die with the harness. A real program run as a member (the
 * memberlist driver, a Serf agent) cannot put itself in a process group of
 * its own as the harness's Deno children do, and a stopped one (a paused
 * member) would not even notice its stdin closing. So it is started through
 * `setpriv --pdeathsig KILL` (util-linux), which asks the kernel to SIGKILL
 * it the moment the process that started it ends, however that ends
 * (SIGKILL included), and then executes the program itself (same pid). It
 * is also spawned `detached` (a session of its own), so Ctrl-C or a signal
 * to the harness's process group reaches the harness alone, which then ends
 * its members in order.
 *
 * The death signal is tied to the thread that spawned the child: Deno spawns
 * on the JavaScript thread, so the harness's main thread (or the worker
 * whose thread it is) must be the one to start these children.
 *
 * @module
 */

/** The message of the error thrown when `setpriv` is missing. */
export const SETPRIV_HINT = "setpriv is missing: it comes with util-linux (apt-get install util-linux)";

const SETPRIV_PATHS = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/local/bin/setpriv"];

/** The path of `setpriv`; throws with {@linkcode SETPRIV_HINT} when there is none. */
export function ensureSetpriv(): string {
  for (const path of SETPRIV_PATHS) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  throw new Error(SETPRIV_HINT);
}

/**
 * The `Deno.Command` for `program args` tethered to this process (see the
 * module doc): spawn it with the returned options merged into your own.
 */
export function tetheredCommand(
  program: string,
  args: readonly string[],
): { command: string; args: string[]; detached: true } {
  return { command: ensureSetpriv(), args: ["--pdeathsig", "KILL", "--", program, ...args], detached: true };
}
