/**
 * Member identities. A member is named by the IPv4 address and UDP port
 * others reach it at (its public address: with the proxy in the path, the
 * proxy port that stands for it). The paper's wire format carries exactly
 * that: 4 bytes of address and 2 of port.
 *
 * @module
 */

/**
 * A member's public address packed into one number: `ipv4 * 65536 + port`.
 * 48 bits, so it is exact in a double and cheap as a `Map` key.
 */
export type MemberId = number;

/** Packs an IPv4 address (as a 32-bit unsigned integer) and a port. */
export function memberId(ipv4: number, port: number): MemberId {
  if (!Number.isInteger(ipv4) || ipv4 < 0 || ipv4 > 0xffffffff) {
    throw new RangeError(
      `Cannot make a member id as 'ipv4' must be a 32-bit unsigned integer: current value is ${ipv4}`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new RangeError(
      `Cannot make a member id as 'port' must be an integer in [1, 65535]: current value is ${port}`,
    );
  }
  return ipv4 * 65536 + port;
}

/** The IPv4 part of a member id, as a 32-bit unsigned integer. */
export function memberIpv4(id: MemberId): number {
  return Math.floor(id / 65536);
}

/** The port part of a member id. */
export function memberPort(id: MemberId): number {
  return id % 65536;
}

/** `127.0.0.1` as a 32-bit unsigned integer. */
export const LOOPBACK_IPV4 = 0x7f000001;

/** The member id of `127.0.0.1:port`. */
export function loopbackId(port: number): MemberId {
  return memberId(LOOPBACK_IPV4, port);
}

/** Parses dotted-quad IPv4 text into a 32-bit unsigned integer. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new SyntaxError(`Cannot parse '${text}' as an IPv4 address`);
  }
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) {
      throw new SyntaxError(`Cannot parse '${text}' as an IPv4 address`);
    }
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a member id as `a.b.c.d:port`. */
export function formatMemberId(id: MemberId): string {
  const ip = memberIpv4(id);
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${memberPort(id)}`;
}

/** Parses `a.b.c.d:port` into a member id. */
export function parseMemberId(text: string): MemberId {
  const colon = text.lastIndexOf(":");
  if (colon < 0) {
    throw new SyntaxError(
      `Cannot parse '${text}' as a member address (a.b.c.d:port)`,
    );
  }
  return memberId(
    parseIpv4(text.slice(0, colon)),
    Number(text.slice(colon + 1)),
  );
}
