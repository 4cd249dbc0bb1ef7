/**
 * FarmHash Fingerprint64 (`farmhashna::Hash64`, Guava's `farmHashFingerprint64`) in plain
 * JavaScript with 32-bit arithmetic: each 64-bit value is a (high, low) pair of uint32 numbers, so
 * no BigInt and no allocation on the hot path.
 *
 * Why not npm `farmhash-modern`: its WASM `fingerprint64` returns a BigInt (slow to take apart) and
 * gives a wrong value for inputs whose length is a multiple of 64 from 128 bytes up (the 256-byte
 * case of `farmhash_slice_keys.json`); this implementation matches every vector.
 *
 * The functions write their 64-bit result into the module registers `rh`/`rl` instead of returning
 * an object; callers copy them out at once. Single-threaded JS makes this safe.
 *
 * @see protocol.md §2.2
 */

const K0H = 0xc3a5c85c;
const K0L = 0x97cb3127;
const K1H = 0xb492b66f;
const K1L = 0xbe98f273;
const K2H = 0x9ae16a3b;
const K2L = 0x2f90404f;

/** Result registers: high and low 32 bits of the last 64-bit result. */
let rh = 0;
let rl = 0;
/** Second result pair of `weakHashLen32WithSeeds`. */
let rh2 = 0;
let rl2 = 0;

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
  rl = Math.imul(al, bl) >>> 0;
  rh = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = (al >>> 0) + (bl >>> 0);
  rl = lo >>> 0;
  rh = ((ah >>> 0) + (bh >>> 0) + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** Rotate right by `r`, 0 < r < 64, r ≠ 32. */
function rot(h: number, l: number, r: number): void {
  if (r > 32) {
    const t = h;
    h = l;
    l = t;
    r -= 32;
  }
  rl = ((l >>> r) | (h << (32 - r))) >>> 0;
  rh = ((h >>> r) | (l << (32 - r))) >>> 0;
}

function fetchLo(s: Uint8Array, p: number): number {
  return ((s[p] as number) | ((s[p + 1] as number) << 8) | ((s[p + 2] as number) << 16) | ((s[p + 3] as number) << 24)) >>> 0;
}

/** u * mul → a; a ^= a >> 47; b = (v ^ a) * mul; b ^= b >> 47; b * mul. */
function hashLen16(uh: number, ul: number, vh: number, vl: number, mh: number, ml: number): void {
  mul(uh ^ vh, ul ^ vl, mh, ml);
  const ah = rh;
  const al = (rl ^ (rh >>> 15)) >>> 0;
  mul(vh ^ ah, vl ^ al, mh, ml);
  const bh = rh;
  const bl = (rl ^ (rh >>> 15)) >>> 0;
  mul(bh, bl, mh, ml);
}

function hashLen0to16(s: Uint8Array, len: number): void {
  if (len >= 8) {
    add(K2H, K2L, 0, len * 2);
    const mh = rh;
    const ml = rl;
    add(fetchLo(s, 4), fetchLo(s, 0), K2H, K2L);
    const ah = rh;
    const al = rl;
    const bh = fetchLo(s, len - 4);
    const bl = fetchLo(s, len - 8);
    rot(bh, bl, 37);
    mul(rh, rl, mh, ml);
    add(rh, rl, ah, al);
    const ch = rh;
    const cl = rl;
    rot(ah, al, 25);
    add(rh, rl, bh, bl);
    mul(rh, rl, mh, ml);
    hashLen16(ch, cl, rh, rl, mh, ml);
    return;
  }
  if (len >= 4) {
    add(K2H, K2L, 0, len * 2);
    const mh = rh;
    const ml = rl;
    const a = fetchLo(s, 0);
    add(a >>> 29, (a << 3) >>> 0, 0, len);
    hashLen16(rh, rl, 0, fetchLo(s, len - 4), mh, ml);
    return;
  }
  if (len > 0) {
    const y = ((s[0] as number) + ((s[len >> 1] as number) << 8)) >>> 0;
    const z = (len + ((s[len - 1] as number) << 2)) >>> 0;
    mul(0, y, K2H, K2L);
    const th = rh;
    const tl = rl;
    mul(0, z, K0H, K0L);
    const xh = (th ^ rh) >>> 0;
    const xl = (tl ^ rl ^ ((th ^ rh) >>> 15)) >>> 0;
    mul(xh, xl, K2H, K2L);
    return;
  }
  rh = K2H;
  rl = K2L;
}

function hashLen17to32(s: Uint8Array, len: number): void {
  add(K2H, K2L, 0, len * 2);
  const mh = rh;
  const ml = rl;
  mul(fetchLo(s, 4), fetchLo(s, 0), K1H, K1L);
  const ah = rh;
  const al = rl;
  const bh = fetchLo(s, 12);
  const bl = fetchLo(s, 8);
  mul(fetchLo(s, len - 4), fetchLo(s, len - 8), mh, ml);
  const ch = rh;
  const cl = rl;
  mul(fetchLo(s, len - 12), fetchLo(s, len - 16), K2H, K2L);
  const dh = rh;
  const dl = rl;
  // u = rot(a + b, 43) + rot(c, 30) + d
  add(ah, al, bh, bl);
  rot(rh, rl, 43);
  const t1h = rh;
  const t1l = rl;
  rot(ch, cl, 30);
  add(rh, rl, t1h, t1l);
  add(rh, rl, dh, dl);
  const uh = rh;
  const ul = rl;
  // v = a + rot(b + k2, 18) + c
  add(bh, bl, K2H, K2L);
  rot(rh, rl, 18);
  add(rh, rl, ah, al);
  add(rh, rl, ch, cl);
  hashLen16(uh, ul, rh, rl, mh, ml);
}

function hashLen33to64(s: Uint8Array, len: number): void {
  add(K2H, K2L, 0, len * 2);
  const mh = rh;
  const ml = rl;
  mul(fetchLo(s, 4), fetchLo(s, 0), K2H, K2L);
  const ah = rh;
  const al = rl;
  const bh = fetchLo(s, 12);
  const bl = fetchLo(s, 8);
  mul(fetchLo(s, len - 4), fetchLo(s, len - 8), mh, ml);
  const ch = rh;
  const cl = rl;
  mul(fetchLo(s, len - 12), fetchLo(s, len - 16), K2H, K2L);
  const dh = rh;
  const dl = rl;
  // y = rot(a + b, 43) + rot(c, 30) + d
  add(ah, al, bh, bl);
  rot(rh, rl, 43);
  const t1h = rh;
  const t1l = rl;
  rot(ch, cl, 30);
  add(rh, rl, t1h, t1l);
  add(rh, rl, dh, dl);
  const yh = rh;
  const yl = rl;
  // z = hashLen16(y, a + rot(b + k2, 18) + c, mul)
  add(bh, bl, K2H, K2L);
  rot(rh, rl, 18);
  add(rh, rl, ah, al);
  add(rh, rl, ch, cl);
  hashLen16(yh, yl, rh, rl, mh, ml);
  const zh = rh;
  const zl = rl;
  mul(fetchLo(s, 20), fetchLo(s, 16), mh, ml);
  const eh = rh;
  const el = rl;
  const fh = fetchLo(s, 28);
  const fl = fetchLo(s, 24);
  add(yh, yl, fetchLo(s, len - 28), fetchLo(s, len - 32));
  mul(rh, rl, mh, ml);
  const gh = rh;
  const gl = rl;
  add(zh, zl, fetchLo(s, len - 20), fetchLo(s, len - 24));
  mul(rh, rl, mh, ml);
  const hh = rh;
  const hl = rl;
  // hashLen16(rot(e + f, 43) + rot(g, 30) + h, e + rot(f + a, 18) + g, mul)
  add(eh, el, fh, fl);
  rot(rh, rl, 43);
  const u1h = rh;
  const u1l = rl;
  rot(gh, gl, 30);
  add(rh, rl, u1h, u1l);
  add(rh, rl, hh, hl);
  const uh = rh;
  const ul = rl;
  add(fh, fl, ah, al);
  rot(rh, rl, 18);
  add(rh, rl, eh, el);
  add(rh, rl, gh, gl);
  hashLen16(uh, ul, rh, rl, mh, ml);
}

/** Writes (first → rh/rl, second → rh2/rl2) of WeakHashLen32WithSeeds(s[p..p+32), a, b). */
function weakHashLen32WithSeeds(s: Uint8Array, p: number, ah: number, al: number, bh: number, bl: number): void {
  const zh = fetchLo(s, p + 28);
  const zl = fetchLo(s, p + 24);
  add(ah, al, fetchLo(s, p + 4), fetchLo(s, p));
  ah = rh;
  al = rl;
  add(bh, bl, ah, al);
  add(rh, rl, zh, zl);
  rot(rh, rl, 21);
  bh = rh;
  bl = rl;
  const ch = ah;
  const cl = al;
  add(ah, al, fetchLo(s, p + 12), fetchLo(s, p + 8));
  add(rh, rl, fetchLo(s, p + 20), fetchLo(s, p + 16));
  ah = rh;
  al = rl;
  rot(ah, al, 44);
  add(bh, bl, rh, rl);
  add(rh, rl, ch, cl);
  rh2 = rh;
  rl2 = rl;
  add(ah, al, zh, zl);
}

function hashLongerThan64(s: Uint8Array, len: number): void {
  // seed = 81; x = seed; y = seed * k1 + 113; z = shiftMix(y * k2 + 113) * k2
  mul(0, 81, K1H, K1L);
  add(rh, rl, 0, 113);
  let yh = rh;
  let yl = rl;
  mul(yh, yl, K2H, K2L);
  add(rh, rl, 0, 113);
  mul(rh, (rl ^ (rh >>> 15)) >>> 0, K2H, K2L);
  let zh = rh;
  let zl = rl;
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
  add(rh, rl, fetchLo(s, 4), fetchLo(s, 0));
  let xh = rh;
  let xl = rl;
  const end = Math.floor((len - 1) / 64) * 64;
  const last64 = end + ((len - 1) & 63) - 63;
  let p = 0;
  do {
    // x = rot(x + y + v1 + fetch(p + 8), 37) * k1
    add(xh, xl, yh, yl);
    add(rh, rl, v1h, v1l);
    add(rh, rl, fetchLo(s, p + 12), fetchLo(s, p + 8));
    rot(rh, rl, 37);
    mul(rh, rl, K1H, K1L);
    xh = rh;
    xl = rl;
    // y = rot(y + v2 + fetch(p + 48), 42) * k1
    add(yh, yl, v2h, v2l);
    add(rh, rl, fetchLo(s, p + 52), fetchLo(s, p + 48));
    rot(rh, rl, 42);
    mul(rh, rl, K1H, K1L);
    yh = rh;
    yl = rl;
    xh = (xh ^ w2h) >>> 0;
    xl = (xl ^ w2l) >>> 0;
    // y += v1 + fetch(p + 40)
    add(yh, yl, v1h, v1l);
    add(rh, rl, fetchLo(s, p + 44), fetchLo(s, p + 40));
    yh = rh;
    yl = rl;
    // z = rot(z + w1, 33) * k1
    add(zh, zl, w1h, w1l);
    rot(rh, rl, 33);
    mul(rh, rl, K1H, K1L);
    zh = rh;
    zl = rl;
    // v = weak(p, v2 * k1, x + w1)
    mul(v2h, v2l, K1H, K1L);
    const sah = rh;
    const sal = rl;
    add(xh, xl, w1h, w1l);
    weakHashLen32WithSeeds(s, p, sah, sal, rh, rl);
    v1h = rh;
    v1l = rl;
    v2h = rh2;
    v2l = rl2;
    // w = weak(p + 32, z + w2, y + fetch(p + 16))
    add(zh, zl, w2h, w2l);
    const sbh = rh;
    const sbl = rl;
    add(yh, yl, fetchLo(s, p + 20), fetchLo(s, p + 16));
    weakHashLen32WithSeeds(s, p + 32, sbh, sbl, rh, rl);
    w1h = rh;
    w1l = rl;
    w2h = rh2;
    w2l = rl2;
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
  const mh = rh;
  const ml = rl;
  p = last64;
  add(w1h, w1l, 0, (len - 1) & 63);
  w1h = rh;
  w1l = rl;
  add(v1h, v1l, w1h, w1l);
  v1h = rh;
  v1l = rl;
  add(w1h, w1l, v1h, v1l);
  w1h = rh;
  w1l = rl;
  // x = rot(x + y + v1 + fetch(p + 8), 37) * mul
  add(xh, xl, yh, yl);
  add(rh, rl, v1h, v1l);
  add(rh, rl, fetchLo(s, p + 12), fetchLo(s, p + 8));
  rot(rh, rl, 37);
  mul(rh, rl, mh, ml);
  xh = rh;
  xl = rl;
  // y = rot(y + v2 + fetch(p + 48), 42) * mul
  add(yh, yl, v2h, v2l);
  add(rh, rl, fetchLo(s, p + 52), fetchLo(s, p + 48));
  rot(rh, rl, 42);
  mul(rh, rl, mh, ml);
  yh = rh;
  yl = rl;
  // x ^= w2 * 9
  mul(w2h, w2l, 0, 9);
  xh = (xh ^ rh) >>> 0;
  xl = (xl ^ rl) >>> 0;
  // y += v1 * 9 + fetch(p + 40)
  mul(v1h, v1l, 0, 9);
  add(rh, rl, fetchLo(s, p + 44), fetchLo(s, p + 40));
  add(rh, rl, yh, yl);
  yh = rh;
  yl = rl;
  // z = rot(z + w1, 33) * mul
  add(zh, zl, w1h, w1l);
  rot(rh, rl, 33);
  mul(rh, rl, mh, ml);
  zh = rh;
  zl = rl;
  // v = weak(p, v2 * mul, x + w1)
  mul(v2h, v2l, mh, ml);
  const sah = rh;
  const sal = rl;
  add(xh, xl, w1h, w1l);
  weakHashLen32WithSeeds(s, p, sah, sal, rh, rl);
  v1h = rh;
  v1l = rl;
  v2h = rh2;
  v2l = rl2;
  // w = weak(p + 32, z + w2, y + fetch(p + 16))
  add(zh, zl, w2h, w2l);
  const sbh = rh;
  const sbl = rl;
  add(yh, yl, fetchLo(s, p + 20), fetchLo(s, p + 16));
  weakHashLen32WithSeeds(s, p + 32, sbh, sbl, rh, rl);
  w1h = rh;
  w1l = rl;
  w2h = rh2;
  w2l = rl2;
  // swap(z, x)
  const th = zh;
  const tl = zl;
  zh = xh;
  zl = xl;
  xh = th;
  xl = tl;
  // hashLen16(hashLen16(v1, w1, mul) + shiftMix(y) * k0 + z, hashLen16(v2, w2, mul) + x, mul)
  hashLen16(v1h, v1l, w1h, w1l, mh, ml);
  const h1h = rh;
  const h1l = rl;
  mul(yh, (yl ^ (yh >>> 15)) >>> 0, K0H, K0L);
  add(rh, rl, h1h, h1l);
  add(rh, rl, zh, zl);
  const uh = rh;
  const ul = rl;
  hashLen16(v2h, v2l, w2h, w2l, mh, ml);
  add(rh, rl, xh, xl);
  hashLen16(uh, ul, rh, rl, mh, ml);
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

/** High 32 bits (unsigned) of the last {@link computeFingerprint64} result. */
export function fingerprintHigh(): number {
  return rh;
}

/** Low 32 bits (unsigned) of the last {@link computeFingerprint64} result. */
export function fingerprintLow(): number {
  return rl;
}

/** FarmHash Fingerprint64 of `key` (UTF-8 for a string) as an unsigned 64-bit bigint. */
export function fingerprint64(key: string | Uint8Array): bigint {
  computeFingerprint64(key);
  return (BigInt(rh) << 32n) | BigInt(rl);
}
