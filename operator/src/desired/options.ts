/** What the builders need beyond the pipeline: operator-wide defaults from main.ts. */
export interface DesiredOptions {
  readonly images: {
    readonly ingest: string;
    readonly consumer: string;
    readonly archiver: string;
  };
  /** Where archive jobs push their run metrics (a Prometheus Pushgateway); none when unset. */
  readonly archivePushgatewayUrl?: string;
}
