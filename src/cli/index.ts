import { main } from './main.ts';
import { run } from './run.ts';

await run(process.argv.slice(2), main);
