// core has no DOM or Node types (types: [] in tsconfig) but may use the encoding API, which every
// JavaScript runtime we target (Node 20, browsers) provides. Declared minimally here.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
