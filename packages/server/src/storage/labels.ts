import type { LabelPairs } from '@cinder/core';

/**
 * Labels every series answers with (profile-types.md §1): the stored ones plus the internal
 * labels derived from the profile type. Every backend answers with these.
 */
export function withDerivedLabels(stored: LabelPairs, profileTypeId: string): LabelPairs {
  const [, type = '', unit = '', periodType = '', periodUnit = ''] = profileTypeId.split(':');
  const map = new Map<string, string>(stored);
  map.set('__profile_type__', profileTypeId);
  map.set('__type__', type);
  map.set('__unit__', unit);
  map.set('__period_type__', periodType);
  map.set('__period_unit__', periodUnit);
  const service = map.get('service_name');
  if (service !== undefined) map.set('__service_name__', service);
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
