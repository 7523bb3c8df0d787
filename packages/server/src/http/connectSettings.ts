/** settings.v1.SettingsService over Connect (Grafana Profiles Drilldown keeps its settings here). */
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { SettingsService } from '../gen/settings/v1/setting_pb.js';
import type { SettingsStore, Setting } from '../settings/settingsStore.js';
import { tenantOf } from './connectIngest.js';
import { toConnectError } from './errors.js';

const message = (setting: Setting) => ({ name: setting.name, value: setting.value, modifiedAt: BigInt(setting.modifiedAtMs) });

async function guard<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw toConnectError(error);
  }
}

export function registerSettingsService(router: ConnectRouter, settings: SettingsStore): void {
  router.service(SettingsService, {
    get: (_request, context: HandlerContext) => guard(async () => ({ settings: (await settings.list(tenantOf(context))).map(message) })),
    set: (request, context: HandlerContext) =>
      guard(async () => {
        const setting = request.setting;
        // A time past int64 ms or before 1970 reads as "now".
        const modifiedAtMs = setting && setting.modifiedAt > 0n && setting.modifiedAt < 8_640_000_000_000_000n ? Number(setting.modifiedAt) : 0;
        return { setting: message(await settings.set(tenantOf(context), setting?.name ?? '', setting?.value ?? '', modifiedAtMs)) };
      }),
    delete: (request, context: HandlerContext) =>
      guard(async () => {
        await settings.delete(tenantOf(context), request.name);
        return {};
      }),
  });
}
