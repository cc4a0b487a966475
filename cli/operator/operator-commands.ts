import type { Command } from 'commander';

/**
 * `rswarm job|node|strategy|cluster status …`: the operator's client commands over the REST API.
 * Only light modules may be imported statically here: these commands must start in well under a
 * second, so nothing of the control plane, Docker, the databases or the charts is loaded.
 */
export function registerOperatorCommands(program: Command): void {
  void program;
}
