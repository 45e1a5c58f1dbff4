// The body of a prepare thread (prepare-thread.ts): parses, validates and encodes requests'
// events off the event loop, answering each message with its id.
import { parentPort, workerData } from 'node:worker_threads';
import { prepareEvents } from './prepare-events.ts';
import type { PrepareRequest, PrepareSettings } from './prepare-events.ts';
import type { PrepareReply } from './prepare-thread.ts';
import { packPrepared } from './prepared-transport.ts';

const settings = workerData as PrepareSettings;
const port = parentPort;
if (port === null) throw new Error('prepare-worker.ts runs as a worker thread only');

port.on('message', ({ id, request }: { id: number; request: PrepareRequest }) => {
  let reply: PrepareReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const packed = packPrepared(prepareEvents(request, settings));
    reply = { id, packed: packed.packed };
    // Moved, not cloned: the buffer holding every message's value changes thread without a copy.
    transfer = packed.transfer;
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply, transfer);
});
