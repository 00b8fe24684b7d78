/**
 * Member sockets: the transport seam and UDP on loopback.
 *
 * @module
 */

export * from "./transport.ts";
export * from "./udp_transport.ts";
