/**
 * The `convlab` command: builds the commander program and turns every failure into one line on
 * stderr and a non-zero exit status. `main` runs in-process (the tests call it directly).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerConvert } from './commands/convert.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExplain } from './commands/explain.js';
import { registerExport } from './commands/export.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlot } from './commands/plot.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';
import { CliError, processContext, type Context } from './context.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    // Run from the sources (cli/ rather than dist/cli/): package.json is one level up.
  }
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(ctx: Context): Command {
  const program = new Command('convlab')
    .description('Train, inspect and explain convolutional neural networks (the Keras API in TypeScript).\nExample: convlab train lenet5 --dataset fashion-mnist')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(s.startsWith('error:') ? `convlab: ${s}` : s),
    });
  program.addHelpText('after', '\nRun convlab <command> --help for the options of each command. Docs: docs/cli.md');
  registerInspect(program, ctx);
  registerTrain(program, ctx);
  registerEvaluate(program, ctx);
  registerPredict(program, ctx);
  registerPlot(program, ctx);
  registerExport(program, ctx);
  registerExplain(program, ctx);
  registerConvert(program, ctx);
  for (const sub of program.commands) sub.exitOverride().showHelpAfterError(`(run convlab ${sub.name()} --help for usage)`);
  return program;
}

/** Runs the CLI on `argv` (without 'node' and the script) and returns the exit status. */
export async function main(argv: string[], ctx: Context = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return 1;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version "errors" are successes; commander has already printed its message.
      return e.exitCode;
    }
    const err = e as Error;
    if (err instanceof CliError || err?.name === 'CliError') {
      ctx.err(`convlab: error: ${err.message}`);
      return (err as CliError).code ?? 1;
    }
    ctx.err(`convlab: error: ${(err?.message ?? String(e)).split('\n')[0]}`);
    if (process.env.CONVLAB_DEBUG) ctx.err(err?.stack ?? String(e));
    else ctx.err('(set CONVLAB_DEBUG=1 for the stack trace)');
    return 1;
  }
}
