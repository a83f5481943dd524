/** Structured log sink; Powertools' Logger fits. */
export interface Logger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}
