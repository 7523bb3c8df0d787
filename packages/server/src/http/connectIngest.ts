import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { createContextKey } from '@connectrpc/connect';
import { PusherService } from '../gen/push/v1/push_pb.js';
import type { PushService } from '../ingest/push.js';
import { toConnectError } from './errors.js';

/** Set by the server's onRequest hook, read by Connect handlers. */
export const tenantKey = createContextKey<string>('anonymous', { description: 'tenant of the request' });

export function tenantOf(context: HandlerContext): string {
  return context.values.get(tenantKey);
}

export function registerPushService(router: ConnectRouter, push: PushService): void {
  router.service(PusherService, {
    async push(request, context) {
      try {
        await push.push(tenantOf(context), request.series);
        return {};
      } catch (error) {
        throw toConnectError(error);
      }
    },
  });
}
