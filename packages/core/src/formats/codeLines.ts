/**
 * Where a profile's code is: per frame name its file and start line, per call edge (caller name →
 * callee name) the line in the caller that makes the call. Cinder's call trees are by name only;
 * this is the side information Go's profile-guided optimisation needs, which matches hot call sites
 * by (caller, callee, call-site line − caller's start_line).
 *
 * Two shapes:
 * - PprofCode: what the ingest pprof reader returns for one profile (`decodePprof(…, { code: true })`),
 *   as flat arrays indexed by the profile's name ids, so it crosses a worker boundary cheaply.
 * - CodeLines: name-keyed maps, what exports read (server side table → pprof export; `cinder pgo`).
 */
import type { Profile } from '../model.js';

/** Lines and start lines above this are taken as unknown (pprof has int64 fields; Go's are int32). */
export const MAX_CODE_LINE = 0x7fff_ffff;

export interface PprofCode {
  /** Distinct file names the entries below point at. */
  files: string[];
  /** Per name id: index into `files`, −1 = unknown. */
  nameFile: Int32Array;
  /** Per name id: the function's start line, 0 = unknown. */
  nameStartLine: Int32Array;
  /**
   * Distinct call edges as triples (caller name id, callee name id, call-site line in the caller),
   * line > 0. Two call sites of one callee in one caller are two triples.
   */
  edges: Int32Array;
}

export type ProfileWithCode = Profile & { code?: PprofCode };

export interface FunctionCode {
  file: string;
  /** 0 = unknown */
  startLine: number;
}

export interface CodeLines {
  functions: Map<string, FunctionCode>;
  /** caller name → callee name → call-site line in the caller. */
  callSites: Map<string, Map<string, number>>;
}

export function emptyCodeLines(): CodeLines {
  return { functions: new Map(), callSites: new Map() };
}

export function profileCodeOf(profile: Profile): PprofCode | undefined {
  return (profile as ProfileWithCode).code;
}

/**
 * The code of one decoded profile by name (what `cinder pgo` reads back from the server's pprof).
 * When an edge has several call-site lines, the first listed wins.
 */
export function codeLinesOfProfile(profile: Profile): CodeLines {
  const code = profileCodeOf(profile);
  const lines = emptyCodeLines();
  if (!code) return lines;
  for (let id = 0; id < code.nameStartLine.length && id < profile.names.length; id++) {
    const fileIndex = code.nameFile[id]!;
    const startLine = code.nameStartLine[id]!;
    if (fileIndex < 0 && startLine === 0) continue;
    lines.functions.set(profile.names[id]!, { file: fileIndex < 0 ? '' : code.files[fileIndex]!, startLine });
  }
  for (let i = 0; i + 2 < code.edges.length; i += 3) {
    const caller = profile.names[code.edges[i]!];
    const callee = profile.names[code.edges[i + 1]!];
    if (caller === undefined || callee === undefined) continue;
    let callees = lines.callSites.get(caller);
    if (!callees) lines.callSites.set(caller, (callees = new Map()));
    if (!callees.has(callee)) callees.set(callee, code.edges[i + 2]!);
  }
  return lines;
}
