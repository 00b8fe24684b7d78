import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import {
  decodeMessage,
  encodeHeartbeatList,
  heartbeatListBytes,
  MAX_ENTRIES,
  serialDelta16,
} from "../lib/basic/codec.ts";
import { DecodeError, HEADER_BYTES } from "../lib/core/wire.ts";
import { formatMemberId, loopbackId, parseMemberId } from "../lib/core/member_id.ts";
import { seededPrng } from "../lib/core/prng.ts";
import { crc32 } from "../lib/core/_crc32.ts";

const ids = [loopbackId(7001), loopbackId(7002), parseMemberId("10.1.2.3:65535")];

Deno.test("encodeHeartbeatList() round-trips through decodeMessage()", () => {
  const bytes = encodeHeartbeatList(ids, [0, 65535, 70000]);
  assertEquals(bytes.length, heartbeatListBytes(3));
  assertEquals(bytes.length, HEADER_BYTES + 8 * 3);
  const m = decodeMessage(bytes);
  assertEquals(Array.from(m.members), ids);
  assertEquals(Array.from(m.counters), [0, 65535, 70000 & 0xffff]);
  assertEquals(formatMemberId(m.members[2]!), "10.1.2.3:65535");
});

Deno.test("encodeHeartbeatList() writes the paper's 8-byte entries after an 8-byte header", () => {
  const bytes = encodeHeartbeatList([loopbackId(0x1234)], [0xabcd]);
  assertEquals(Array.from(bytes.subarray(0, 4)), [1, 1, 0, 1]);
  assertEquals(Array.from(bytes.subarray(8)), [127, 0, 0, 1, 0x12, 0x34, 0xab, 0xcd]);
});

Deno.test("encodeHeartbeatList() refuses more entries than fit in a datagram", () => {
  const many = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => loopbackId(i + 1));
  assertThrows(() => encodeHeartbeatList(many, many.map(() => 0)), RangeError, "at most");
});

function reasonOf(bytes: Uint8Array): string {
  const error = assertThrows(() => decodeMessage(bytes));
  assertInstanceOf(error, DecodeError);
  return error.reason;
}

Deno.test("decodeMessage() rejects every malformed input with a typed DecodeError", () => {
  const good = encodeHeartbeatList(ids, [1, 2, 3]);
  const cases: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "truncated"],
    ["shorter than the header", good.slice(0, 7), "truncated"],
    ["truncated entry", good.slice(0, good.length - 1), "length"],
    ["trailing byte", new Uint8Array([...good, 0]), "length"],
    ["wrong version", Uint8Array.from(good, (b, i) => (i === 0 ? 2 : b)), "version"],
    ["unknown kind", Uint8Array.from(good, (b, i) => (i === 1 ? 99 : b)), "kind"],
    ["count says more", Uint8Array.from(good, (b, i) => (i === 3 ? 4 : b)), "length"],
    ["flipped payload bit", Uint8Array.from(good, (b, i) => (i === 20 ? b ^ 0x10 : b)), "checksum"],
    ["flipped checksum bit", Uint8Array.from(good, (b, i) => (i === 5 ? b ^ 1 : b)), "checksum"],
    ["port 0", encodeHeartbeatList([loopbackId(1) - 1], [0]), "entry"],
    ["member listed twice", encodeHeartbeatList([ids[0]!, ids[0]!], [1, 2]), "entry"],
  ];
  for (const [name, bytes, reason] of cases) {
    assertEquals(reasonOf(bytes), reason, name);
  }
});

Deno.test("decodeMessage() rejects random single-bit corruption of a valid datagram", () => {
  const good = encodeHeartbeatList(ids, [5, 6, 7]);
  const rng = seededPrng(3);
  for (let trial = 0; trial < 500; trial++) {
    const bad = good.slice();
    const bit = Math.floor(rng() * bad.length * 8);
    bad[bit >> 3]! ^= 1 << (bit & 7);
    assertThrows(() => decodeMessage(bad), DecodeError);
  }
});

Deno.test("decodeMessage() never throws anything but DecodeError on random bytes", () => {
  const rng = seededPrng(11);
  for (let trial = 0; trial < 2000; trial++) {
    const bytes = Uint8Array.from({ length: Math.floor(rng() * 64) }, () => Math.floor(rng() * 256));
    if (trial % 2 === 0 && bytes.length > 1) [bytes[0], bytes[1]] = [1, 1];
    try {
      decodeMessage(bytes);
    } catch (error) {
      assertInstanceOf(error, DecodeError);
    }
  }
});

Deno.test("serialDelta16() compares wrapping counters within a sliding window", () => {
  const table: [number, number, number][] = [
    [1, 0, 1],
    [0, 1, -1],
    [5, 5, 0],
    [0, 65535, 1],
    [3, 65533, 6],
    [65535, 0, -1],
    [32767, 0, 32767],
    [32768, 0, -32768],
  ];
  for (const [a, b, d] of table) assertEquals(serialDelta16(a, b), d, `${a} vs ${b}`);
});

Deno.test("crc32 (slicing-by-4) gives the standard check value and the byte-wise values at every alignment", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  const byteWise = (bytes: Uint8Array, start: number, end: number, previous: number) => {
    let c = ~previous >>> 0;
    for (let i = start; i < end; i++) {
      c ^= bytes[i]!;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return ~c >>> 0;
  };
  const bytes = Uint8Array.from({ length: 70 }, (_, i) => (i * 151 + 7) & 0xff);
  for (let start = 0; start < 8; start++) {
    for (let end = start; end <= bytes.length; end += 3) {
      assertEquals(crc32(bytes, start, end, 0x1234567), byteWise(bytes, start, end, 0x1234567), `${start}..${end}`);
    }
  }
});
