/**
 * The fault injector: the UDP proxy in this process or in its own, behind one seam, with its books.
 *
 * @module
 */

export * from "./books.ts";
export * from "./injector.ts";
export * from "./proxy_process.ts";
export * from "./tcp_relay.ts";
export * from "./udp_proxy.ts";
