// The block format, mirrored from src/codec/format.ts; the two must agree byte for byte.
export const FORMAT_VERSION: u32 = 1;

export const TS_KIND_CONST: u32 = 1;
export const TS_KIND_DOD: u32 = 2;
export const TS_KIND_RAW: u32 = 3;
export const TS_KIND_DELTA: u32 = 4;

export const VAL_KIND_CONST: u32 = 1;
export const VAL_KIND_DECIMAL_DELTA: u32 = 2;
export const VAL_KIND_DECIMAL_DOD: u32 = 3;
export const VAL_KIND_GORILLA: u32 = 4;

export const CHUNK: i32 = 128;
export const MAX_WIDTH: u32 = 54;
export const MAX_INT: f64 = 1125899906842624.0; // 2^50
export const MAX_EXP: i32 = 22;
export const EXCEPTION_SHIFT: i32 = 3;

export const POW10: StaticArray<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

@inline export function pow10(e: i32): f64 {
  return unchecked(POW10[e]);
}

@inline export function header(kind: u32): u32 {
  return (FORMAT_VERSION << 4) | kind;
}

// Error codes returned (negated) to JavaScript, which turns them into CodecError messages.
export const E_TRUNCATED: i32 = 1;
export const E_VERSION: i32 = 2;
export const E_COUNT: i32 = 3;
export const E_KIND: i32 = 4;
export const E_WIDTH: i32 = 5;
export const E_VARINT: i32 = 6;
export const E_TRAILING: i32 = 7;
export const E_EXPONENT: i32 = 8;
export const E_EXCEPTIONS: i32 = 9;
export const E_EXCEPTION_INDEX: i32 = 10;
export const E_GORILLA_NO_WINDOW: i32 = 11;
export const E_GORILLA_WINDOW: i32 = 12;
export const E_SHORT_BLOCK: i32 = 13;
