/**
 * FarmHash Fingerprint64 (`farmhashna::Hash64`, Guava's `farmHashFingerprint64`) in plain
 * JavaScript with 32-bit arithmetic: each 64-bit value is a (high, low) pair of int32 numbers, so
 * no BigInt and no allocation on the hot path.
 *
 * Why not npm `farmhash-modern`: its WASM `fingerprint64` returns a BigInt (slow to take apart) and
 * gives a wrong value for inputs whose length is a multiple of 64 from 128 bytes up (the 256-byte
 * case of `farmhash_slice_keys.json`); this implementation matches every vector.
 *
 * The functions write their 64-bit result into the registers `R` (read back through `hi()`/`lo()`)
 * instead of returning an object; callers copy them out at once. Single-threaded JS makes this safe.
 *
 * @see protocol.md §2.2
 */

const K0H = 0xc3a5c85c | 0;
const K0L = 0x97cb3127 | 0;
const K1H = 0xb492b66f | 0;
const K1L = 0xbe98f273 | 0;
const K2H = 0x9ae16a3b | 0;
const K2L = 0x2f90404f | 0;

/**
 * Result registers: [0]/[1] = high/low 32 bits of the last 64-bit result, [2]/[3] = the second pair
 * of `weakHashLen32WithSeeds`. Every 32-bit word is kept as a *signed* int32 (`| 0`, never
 * `>>> 0`): V8 holds int32 values as small integers, whereas a uint32 above 2^31 becomes a heap
 * number whenever it is stored in a variable of the module or passed to a function that is not
 * inlined — an allocation per operation. A typed array holds the results for the same reason.
 */
const R = new Int32Array(4);
const hi = (): number => R[0] as number;
const lo = (): number => R[1] as number;
const hi2 = (): number => R[2] as number;
const lo2 = (): number => R[3] as number;

const textEncoder = new TextEncoder();
let scratch = new Uint8Array(256);

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  R[1] = Math.imul(al, bl);
  R[0] = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const sum = (al >>> 0) + (bl >>> 0);
  R[1] = sum | 0;
  R[0] = (ah + bh + (sum > 0xffffffff ? 1 : 0)) | 0;
}

/** Rotate right by `r`, 0 < r < 64, r ≠ 32. */
function rot(h: number, l: number, r: number): void {
  if (r > 32) {
    const t = h;
    h = l;
    l = t;
    r -= 32;
  }
  R[1] = ((l >>> r) | (h << (32 - r)));
  R[0] = ((h >>> r) | (l << (32 - r)));
}

function fetchLo(s: Uint8Array, p: number): number {
  return ((s[p] as number) | ((s[p + 1] as number) << 8) | ((s[p + 2] as number) << 16) | ((s[p + 3] as number) << 24));
}

/** u * mul → a; a ^= a >> 47; b = (v ^ a) * mul; b ^= b >> 47; b * mul. */
function hashLen16(uh: number, ul: number, vh: number, vl: number, mh: number, ml: number): void {
  mul(uh ^ vh, ul ^ vl, mh, ml);
  const ah = hi();
  const al = (lo() ^ (hi() >>> 15));
  mul(vh ^ ah, vl ^ al, mh, ml);
  const bh = hi();
  const bl = (lo() ^ (hi() >>> 15));
  mul(bh, bl, mh, ml);
}

function hashLen0to16(s: Uint8Array, len: number): void {
  if (len >= 8) {
    add(K2H, K2L, 0, len * 2);
    const mh = hi();
    const ml = lo();
    add(fetchLo(s, 4), fetchLo(s, 0), K2H, K2L);
    const ah = hi();
    const al = lo();
    const bh = fetchLo(s, len - 4);
    const bl = fetchLo(s, len - 8);
    rot(bh, bl, 37);
    mul(hi(), lo(), mh, ml);
    add(hi(), lo(), ah, al);
    const ch = hi();
    const cl = lo();
    rot(ah, al, 25);
    add(hi(), lo(), bh, bl);
    mul(hi(), lo(), mh, ml);
    hashLen16(ch, cl, hi(), lo(), mh, ml);
    return;
  }
  if (len >= 4) {
    add(K2H, K2L, 0, len * 2);
    const mh = hi();
    const ml = lo();
    const a = fetchLo(s, 0);
    add(a >>> 29, a << 3, 0, len);
    hashLen16(hi(), lo(), 0, fetchLo(s, len - 4), mh, ml);
    return;
  }
  if (len > 0) {
    const y = ((s[0] as number) + ((s[len >> 1] as number) << 8));
    const z = (len + ((s[len - 1] as number) << 2));
    mul(0, y, K2H, K2L);
    const th = hi();
    const tl = lo();
    mul(0, z, K0H, K0L);
    const xh = (th ^ hi());
    const xl = (tl ^ lo() ^ ((th ^ hi()) >>> 15));
    mul(xh, xl, K2H, K2L);
    return;
  }
  R[0] = K2H;
  R[1] = K2L;
}

function hashLen17to32(s: Uint8Array, len: number): void {
  add(K2H, K2L, 0, len * 2);
  const mh = hi();
  const ml = lo();
  mul(fetchLo(s, 4), fetchLo(s, 0), K1H, K1L);
  const ah = hi();
  const al = lo();
  const bh = fetchLo(s, 12);
  const bl = fetchLo(s, 8);
  mul(fetchLo(s, len - 4), fetchLo(s, len - 8), mh, ml);
  const ch = hi();
  const cl = lo();
  mul(fetchLo(s, len - 12), fetchLo(s, len - 16), K2H, K2L);
  const dh = hi();
  const dl = lo();
  // u = rot(a + b, 43) + rot(c, 30) + d
  add(ah, al, bh, bl);
  rot(hi(), lo(), 43);
  const t1h = hi();
  const t1l = lo();
  rot(ch, cl, 30);
  add(hi(), lo(), t1h, t1l);
  add(hi(), lo(), dh, dl);
  const uh = hi();
  const ul = lo();
  // v = a + rot(b + k2, 18) + c
  add(bh, bl, K2H, K2L);
  rot(hi(), lo(), 18);
  add(hi(), lo(), ah, al);
  add(hi(), lo(), ch, cl);
  hashLen16(uh, ul, hi(), lo(), mh, ml);
}

function hashLen33to64(s: Uint8Array, len: number): void {
  add(K2H, K2L, 0, len * 2);
  const mh = hi();
  const ml = lo();
  mul(fetchLo(s, 4), fetchLo(s, 0), K2H, K2L);
  const ah = hi();
  const al = lo();
  const bh = fetchLo(s, 12);
  const bl = fetchLo(s, 8);
  mul(fetchLo(s, len - 4), fetchLo(s, len - 8), mh, ml);
  const ch = hi();
  const cl = lo();
  mul(fetchLo(s, len - 12), fetchLo(s, len - 16), K2H, K2L);
  const dh = hi();
  const dl = lo();
  // y = rot(a + b, 43) + rot(c, 30) + d
  add(ah, al, bh, bl);
  rot(hi(), lo(), 43);
  const t1h = hi();
  const t1l = lo();
  rot(ch, cl, 30);
  add(hi(), lo(), t1h, t1l);
  add(hi(), lo(), dh, dl);
  const yh = hi();
  const yl = lo();
  // z = hashLen16(y, a + rot(b + k2, 18) + c, mul)
  add(bh, bl, K2H, K2L);
  rot(hi(), lo(), 18);
  add(hi(), lo(), ah, al);
  add(hi(), lo(), ch, cl);
  hashLen16(yh, yl, hi(), lo(), mh, ml);
  const zh = hi();
  const zl = lo();
  mul(fetchLo(s, 20), fetchLo(s, 16), mh, ml);
  const eh = hi();
  const el = lo();
  const fh = fetchLo(s, 28);
  const fl = fetchLo(s, 24);
  add(yh, yl, fetchLo(s, len - 28), fetchLo(s, len - 32));
  mul(hi(), lo(), mh, ml);
  const gh = hi();
  const gl = lo();
  add(zh, zl, fetchLo(s, len - 20), fetchLo(s, len - 24));
  mul(hi(), lo(), mh, ml);
  const hh = hi();
  const hl = lo();
  // hashLen16(rot(e + f, 43) + rot(g, 30) + h, e + rot(f + a, 18) + g, mul)
  add(eh, el, fh, fl);
  rot(hi(), lo(), 43);
  const u1h = hi();
  const u1l = lo();
  rot(gh, gl, 30);
  add(hi(), lo(), u1h, u1l);
  add(hi(), lo(), hh, hl);
  const uh = hi();
  const ul = lo();
  add(fh, fl, ah, al);
  rot(hi(), lo(), 18);
  add(hi(), lo(), eh, el);
  add(hi(), lo(), gh, gl);
  hashLen16(uh, ul, hi(), lo(), mh, ml);
}

/** Writes (first → hi()/lo(), second → hi2()/lo2()) of WeakHashLen32WithSeeds(s[p..p+32), a, b). */
function weakHashLen32WithSeeds(s: Uint8Array, p: number, ah: number, al: number, bh: number, bl: number): void {
  const zh = fetchLo(s, p + 28);
  const zl = fetchLo(s, p + 24);
  add(ah, al, fetchLo(s, p + 4), fetchLo(s, p));
  ah = hi();
  al = lo();
  add(bh, bl, ah, al);
  add(hi(), lo(), zh, zl);
  rot(hi(), lo(), 21);
  bh = hi();
  bl = lo();
  const ch = ah;
  const cl = al;
  add(ah, al, fetchLo(s, p + 12), fetchLo(s, p + 8));
  add(hi(), lo(), fetchLo(s, p + 20), fetchLo(s, p + 16));
  ah = hi();
  al = lo();
  rot(ah, al, 44);
  add(bh, bl, hi(), lo());
  add(hi(), lo(), ch, cl);
  R[2] = hi();
  R[3] = lo();
  add(ah, al, zh, zl);
}

function hashLongerThan64(s: Uint8Array, len: number): void {
  // seed = 81; x = seed; y = seed * k1 + 113; z = shiftMix(y * k2 + 113) * k2
  mul(0, 81, K1H, K1L);
  add(hi(), lo(), 0, 113);
  let yh = hi();
  let yl = lo();
  mul(yh, yl, K2H, K2L);
  add(hi(), lo(), 0, 113);
  mul(hi(), (lo() ^ (hi() >>> 15)), K2H, K2L);
  let zh = hi();
  let zl = lo();
  let v1h = 0;
  let v1l = 0;
  let v2h = 0;
  let v2l = 0;
  let w1h = 0;
  let w1l = 0;
  let w2h = 0;
  let w2l = 0;
  // x = x * k2 + fetch(s)
  mul(0, 81, K2H, K2L);
  add(hi(), lo(), fetchLo(s, 4), fetchLo(s, 0));
  let xh = hi();
  let xl = lo();
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = end + ((len - 1) & 63) - 63;
  let p = 0;
  do {
    // x = rot(x + y + v1 + fetch(p + 8), 37) * k1
    add(xh, xl, yh, yl);
    add(hi(), lo(), v1h, v1l);
    add(hi(), lo(), fetchLo(s, p + 12), fetchLo(s, p + 8));
    rot(hi(), lo(), 37);
    mul(hi(), lo(), K1H, K1L);
    xh = hi();
    xl = lo();
    // y = rot(y + v2 + fetch(p + 48), 42) * k1
    add(yh, yl, v2h, v2l);
    add(hi(), lo(), fetchLo(s, p + 52), fetchLo(s, p + 48));
    rot(hi(), lo(), 42);
    mul(hi(), lo(), K1H, K1L);
    yh = hi();
    yl = lo();
    xh = (xh ^ w2h);
    xl = (xl ^ w2l);
    // y += v1 + fetch(p + 40)
    add(yh, yl, v1h, v1l);
    add(hi(), lo(), fetchLo(s, p + 44), fetchLo(s, p + 40));
    yh = hi();
    yl = lo();
    // z = rot(z + w1, 33) * k1
    add(zh, zl, w1h, w1l);
    rot(hi(), lo(), 33);
    mul(hi(), lo(), K1H, K1L);
    zh = hi();
    zl = lo();
    // v = weak(p, v2 * k1, x + w1)
    mul(v2h, v2l, K1H, K1L);
    const sah = hi();
    const sal = lo();
    add(xh, xl, w1h, w1l);
    weakHashLen32WithSeeds(s, p, sah, sal, hi(), lo());
    v1h = hi();
    v1l = lo();
    v2h = hi2();
    v2l = lo2();
    // w = weak(p + 32, z + w2, y + fetch(p + 16))
    add(zh, zl, w2h, w2l);
    const sbh = hi();
    const sbl = lo();
    add(yh, yl, fetchLo(s, p + 20), fetchLo(s, p + 16));
    weakHashLen32WithSeeds(s, p + 32, sbh, sbl, hi(), lo());
    w1h = hi();
    w1l = lo();
    w2h = hi2();
    w2l = lo2();
    // swap(z, x)
    const th = zh;
    const tl = zl;
    zh = xh;
    zl = xl;
    xh = th;
    xl = tl;
    p += 64;
  } while (p !== end);
  // mul = k1 + ((z & 0xff) << 1)
  add(K1H, K1L, 0, (zl & 0xff) << 1);
  const mh = hi();
  const ml = lo();
  p = last64;
  add(w1h, w1l, 0, (len - 1) & 63);
  w1h = hi();
  w1l = lo();
  add(v1h, v1l, w1h, w1l);
  v1h = hi();
  v1l = lo();
  add(w1h, w1l, v1h, v1l);
  w1h = hi();
  w1l = lo();
  // x = rot(x + y + v1 + fetch(p + 8), 37) * mul
  add(xh, xl, yh, yl);
  add(hi(), lo(), v1h, v1l);
  add(hi(), lo(), fetchLo(s, p + 12), fetchLo(s, p + 8));
  rot(hi(), lo(), 37);
  mul(hi(), lo(), mh, ml);
  xh = hi();
  xl = lo();
  // y = rot(y + v2 + fetch(p + 48), 42) * mul
  add(yh, yl, v2h, v2l);
  add(hi(), lo(), fetchLo(s, p + 52), fetchLo(s, p + 48));
  rot(hi(), lo(), 42);
  mul(hi(), lo(), mh, ml);
  yh = hi();
  yl = lo();
  // x ^= w2 * 9
  mul(w2h, w2l, 0, 9);
  xh = (xh ^ hi());
  xl = (xl ^ lo());
  // y += v1 * 9 + fetch(p + 40)
  mul(v1h, v1l, 0, 9);
  add(hi(), lo(), fetchLo(s, p + 44), fetchLo(s, p + 40));
  add(hi(), lo(), yh, yl);
  yh = hi();
  yl = lo();
  // z = rot(z + w1, 33) * mul
  add(zh, zl, w1h, w1l);
  rot(hi(), lo(), 33);
  mul(hi(), lo(), mh, ml);
  zh = hi();
  zl = lo();
  // v = weak(p, v2 * mul, x + w1)
  mul(v2h, v2l, mh, ml);
  const sah = hi();
  const sal = lo();
  add(xh, xl, w1h, w1l);
  weakHashLen32WithSeeds(s, p, sah, sal, hi(), lo());
  v1h = hi();
  v1l = lo();
  v2h = hi2();
  v2l = lo2();
  // w = weak(p + 32, z + w2, y + fetch(p + 16))
  add(zh, zl, w2h, w2l);
  const sbh = hi();
  const sbl = lo();
  add(yh, yl, fetchLo(s, p + 20), fetchLo(s, p + 16));
  weakHashLen32WithSeeds(s, p + 32, sbh, sbl, hi(), lo());
  w1h = hi();
  w1l = lo();
  w2h = hi2();
  w2l = lo2();
  // swap(z, x)
  const th = zh;
  const tl = zl;
  zh = xh;
  zl = xl;
  xh = th;
  xl = tl;
  // hashLen16(hashLen16(v1, w1, mul) + shiftMix(y) * k0 + z, hashLen16(v2, w2, mul) + x, mul)
  hashLen16(v1h, v1l, w1h, w1l, mh, ml);
  const h1h = hi();
  const h1l = lo();
  mul(yh, (yl ^ (yh >>> 15)), K0H, K0L);
  add(hi(), lo(), h1h, h1l);
  add(hi(), lo(), zh, zl);
  const uh = hi();
  const ul = lo();
  hashLen16(v2h, v2l, w2h, w2l, mh, ml);
  add(hi(), lo(), xh, xl);
  hashLen16(uh, ul, hi(), lo(), mh, ml);
}

function hashBytes(s: Uint8Array, len: number): void {
  if (len <= 16) hashLen0to16(s, len);
  else if (len <= 32) hashLen17to32(s, len);
  else if (len <= 64) hashLen33to64(s, len);
  else hashLongerThan64(s, len);
}

/**
 * Encodes `key` as UTF-8 into the shared scratch buffer and returns the byte length. ASCII (the
 * common case) is copied char by char, which beats `encodeInto` for short keys; anything else goes
 * through `TextEncoder.encodeInto`.
 */
function encodeToScratch(key: string): number {
  const n = key.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2));
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return textEncoder.encodeInto(key, scratch).written;
    scratch[i] = c;
  }
  return n;
}

/**
 * Computes the fingerprint of `key` (UTF-8 for a string) and leaves it in the registers read by
 * {@link fingerprintHigh}/{@link fingerprintLow}. Allocation-free for strings of up to 85 chars
 * (the scratch buffer grows once for longer ones).
 */
export function computeFingerprint64(key: string | Uint8Array): void {
  if (typeof key === 'string') {
    // Encode first: it may replace `scratch` with a larger buffer.
    const len = encodeToScratch(key);
    hashBytes(scratch, len);
  } else hashBytes(key, key.length);
}

/**
 * Writes the fingerprint of `key` (UTF-8 for a string) into `out` as two unsigned 32-bit words,
 * high then low, at `offset`. Allocation-free: the hot-path form of {@link fingerprint64}.
 */
export function writeFingerprint64(key: string | Uint8Array, out: Uint32Array, offset = 0): void {
  computeFingerprint64(key);
  out[offset] = hi() >>> 0;
  out[offset + 1] = lo() >>> 0;
}

/** High 32 bits (unsigned) of the last {@link computeFingerprint64} result. */
export function fingerprintHigh(): number {
  return hi() >>> 0;
}

/** Low 32 bits (unsigned) of the last {@link computeFingerprint64} result. */
export function fingerprintLow(): number {
  return lo() >>> 0;
}

/** FarmHash Fingerprint64 of `key` (UTF-8 for a string) as an unsigned 64-bit bigint. */
export function fingerprint64(key: string | Uint8Array): bigint {
  computeFingerprint64(key);
  return (BigInt(hi() >>> 0) << 32n) | BigInt(lo() >>> 0);
}
