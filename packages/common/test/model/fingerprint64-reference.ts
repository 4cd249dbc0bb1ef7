/**
 * A straightforward BigInt transcription of FarmHash Fingerprint64 (`farmhashna::Hash64`, the
 * function behind Guava's `farmHashFingerprint64`), written from the published algorithm. Slow but
 * obviously 64-bit; the tests check the fast 32-bit implementation against it.
 */
const M = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;

const m = (x: bigint): bigint => x & M;
const fetch64 = (s: Uint8Array, p: number): bigint => {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(s[p + i] as number);
  return v;
};
const fetch32 = (s: Uint8Array, p: number): bigint => {
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 8n) | BigInt(s[p + i] as number);
  return v;
};
const rotate = (v: bigint, r: bigint): bigint => (r === 0n ? v : m((v >> r) | (v << (64n - r))));
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);
const hashLen16 = (u: bigint, v: bigint, mul: bigint): bigint => {
  let a = m((u ^ v) * mul);
  a ^= a >> 47n;
  let b = m((v ^ a) * mul);
  b ^= b >> 47n;
  return m(b * mul);
};

function hashLen0to16(s: Uint8Array, len: number): bigint {
  if (len >= 8) {
    const mul = m(K2 + BigInt(len) * 2n);
    const a = m(fetch64(s, 0) + K2);
    const b = fetch64(s, len - 8);
    const c = m(m(rotate(b, 37n) * mul) + a);
    const d = m(m(rotate(a, 25n) + b) * mul);
    return hashLen16(c, d, mul);
  }
  if (len >= 4) {
    const mul = m(K2 + BigInt(len) * 2n);
    const a = fetch32(s, 0);
    return hashLen16(m(BigInt(len) + (a << 3n)), fetch32(s, len - 4), mul);
  }
  if (len > 0) {
    const a = BigInt(s[0] as number);
    const b = BigInt(s[len >> 1] as number);
    const c = BigInt(s[len - 1] as number);
    const y = (a + (b << 8n)) & 0xffffffffn;
    const z = (BigInt(len) + (c << 2n)) & 0xffffffffn;
    return m(shiftMix(m(y * K2) ^ m(z * K0)) * K2);
  }
  return K2;
}

function hashLen17to32(s: Uint8Array, len: number): bigint {
  const mul = m(K2 + BigInt(len) * 2n);
  const a = m(fetch64(s, 0) * K1);
  const b = fetch64(s, 8);
  const c = m(fetch64(s, len - 8) * mul);
  const d = m(fetch64(s, len - 16) * K2);
  return hashLen16(m(rotate(m(a + b), 43n) + rotate(c, 30n) + d), m(a + rotate(m(b + K2), 18n) + c), mul);
}

function hashLen33to64(s: Uint8Array, len: number): bigint {
  const mul = m(K2 + BigInt(len) * 2n);
  const a = m(fetch64(s, 0) * K2);
  const b = fetch64(s, 8);
  const c = m(fetch64(s, len - 8) * mul);
  const d = m(fetch64(s, len - 16) * K2);
  const y = m(rotate(m(a + b), 43n) + rotate(c, 30n) + d);
  const z = hashLen16(y, m(a + rotate(m(b + K2), 18n) + c), mul);
  const e = m(fetch64(s, 16) * mul);
  const f = fetch64(s, 24);
  const g = m(m(y + fetch64(s, len - 32)) * mul);
  const h = m(m(z + fetch64(s, len - 24)) * mul);
  return hashLen16(m(rotate(m(e + f), 43n) + rotate(g, 30n) + h), m(e + rotate(m(f + a), 18n) + g), mul);
}

function weak(s: Uint8Array, p: number, a0: bigint, b0: bigint): [bigint, bigint] {
  const w = fetch64(s, p);
  const x = fetch64(s, p + 8);
  const y = fetch64(s, p + 16);
  const z = fetch64(s, p + 24);
  let a = m(a0 + w);
  let b = rotate(m(b0 + a + z), 21n);
  const c = a;
  a = m(a + x);
  a = m(a + y);
  b = m(b + rotate(a, 44n));
  return [m(a + z), m(b + c)];
}

/** FarmHash Fingerprint64 of `s` as an unsigned 64-bit bigint (reference implementation). */
export function referenceFingerprint64(s: Uint8Array): bigint {
  const len = s.length;
  if (len <= 32) return len <= 16 ? hashLen0to16(s, len) : hashLen17to32(s, len);
  if (len <= 64) return hashLen33to64(s, len);
  const seed = 81n;
  let x = seed;
  let y = m(seed * K1 + 113n);
  let z = m(shiftMix(m(y * K2 + 113n)) * K2);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  x = m(x * K2 + fetch64(s, 0));
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = end + ((len - 1) & 63) - 63;
  let p = 0;
  do {
    x = m(rotate(m(x + y + v[0] + fetch64(s, p + 8)), 37n) * K1);
    y = m(rotate(m(y + v[1] + fetch64(s, p + 48)), 42n) * K1);
    x ^= w[1];
    y = m(y + v[0] + fetch64(s, p + 40));
    z = m(rotate(m(z + w[0]), 33n) * K1);
    v = weak(s, p, m(v[1] * K1), m(x + w[0]));
    w = weak(s, p + 32, m(z + w[1]), m(y + fetch64(s, p + 16)));
    [z, x] = [x, z];
    p += 64;
  } while (p !== end);
  const mul = m(K1 + ((z & 0xffn) << 1n));
  p = last64;
  w[0] = m(w[0] + BigInt((len - 1) & 63));
  v[0] = m(v[0] + w[0]);
  w[0] = m(w[0] + v[0]);
  x = m(rotate(m(x + y + v[0] + fetch64(s, p + 8)), 37n) * mul);
  y = m(rotate(m(y + v[1] + fetch64(s, p + 48)), 42n) * mul);
  x ^= m(w[1] * 9n);
  y = m(y + m(v[0] * 9n) + fetch64(s, p + 40));
  z = m(rotate(m(z + w[0]), 33n) * mul);
  v = weak(s, p, m(v[1] * mul), m(x + w[0]));
  w = weak(s, p + 32, m(z + w[1]), m(y + fetch64(s, p + 16)));
  [z, x] = [x, z];
  return hashLen16(m(hashLen16(v[0], w[0], mul) + m(shiftMix(y) * K0) + z), m(hashLen16(v[1], w[1], mul) + x), mul);
}
