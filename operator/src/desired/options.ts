/** What the builders need beyond the pipeline: operator-wide defaults from main.ts. */
export interface DesiredOptions {
  readonly images: {
    readonly ingest: string;
    readonly consumer: string;
    readonly archiver: string;
  };
}
