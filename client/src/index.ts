export { TradegateClient, type ClientOptions } from './client.ts';
export { sandboxClock, type SandboxClockOptions } from './sandbox-clock.ts';
export { Journal, type JournalRecord } from './journal.ts';
export {
  NotificationError,
  openPayCloudNotification,
  openV2PayNotification,
  openV2RefundNotification,
  openV3Notification,
} from './notifications.ts';
export {
  defaultTiming,
  DIALECTS,
  systemClock,
  type CancelOrderRequest,
  type ClientEvent,
  type Clock,
  type Dialect,
  type MerchantCredentials,
  type MoneyMoved,
  type Outcome,
  type PayByCodeRequest,
  type Timing,
} from './types.ts';
