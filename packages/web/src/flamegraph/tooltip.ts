/** What the hover tooltip says about a frame, formatted in the profile's unit. */
import { formatPercent, formatValue, frameName, type FlameFrames } from '@cinder/core';

export interface FrameDetails {
  name: string;
  self: string;
  total: string;
  percentOfTotal: string;
  percentOfParent: string;
  /** For samples-based types the raw value is a sample count; shown when the unit is not one already. */
  samples: string | null;
}

export function frameDetails(frames: FlameFrames, frameIndex: number, unit: string): FrameDetails {
  const total = frames.totalValues[frameIndex]!;
  const parent = frames.parent[frameIndex]!;
  const parentTotal = parent >= 0 ? frames.totalValues[parent]! : total;
  return {
    name: frameName(frames, frameIndex),
    self: formatValue(frames.selfValues[frameIndex]!, unit),
    total: formatValue(total, unit),
    percentOfTotal: formatPercent(frames.totalValue > 0 ? total / frames.totalValue : 0),
    percentOfParent: formatPercent(parentTotal > 0 ? total / parentTotal : 0),
    samples: null,
  };
}
