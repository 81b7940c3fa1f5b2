/** Slack's ack window is 3 s; the inspector marks acks slower than this. */
export const SLOW_ACK_MS = 2500;
