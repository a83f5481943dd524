import type { CliIo } from './io';

/** Reads one line from standard input ('' when there is none or it ends first). */
export function readLine(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
      stdin.pause();
      resolve(text.split(/\r?\n/)[0] ?? '');
    };
    stdin.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    });
    stdin.on('end', done);
    stdin.resume();
  });
}

/** Reads standard input to its end ('' when there is none). */
export function readAll(io: CliIo): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stdin.on('data', (chunk) => {
      text += chunk.toString();
    });
    stdin.on('end', () => {
      stdin.removeAllListeners('data');
      stdin.removeAllListeners('end');
      resolve(text);
    });
    stdin.resume();
  });
}
