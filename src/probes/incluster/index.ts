// In-cluster probes (docs/PROBES.md): the public surface the CLI and the UI use. Every source is an AsyncIterable of
// events taking an AbortSignal; aborting deletes the helper pod.
export { runLadder, ladderToEnd, applyLadder, planLadder, judgeRung, ladderVerdict, defaultProbeNamespaces, RUNG_ORDER, RUNG_INFO, type LadderEvent, type LadderOptions } from './ladder.ts';
export { traceroute, dig, curl, nodeView, workstationTraceroute, coreDnsUpstreams, compareNodeView, type ToolEvent, type ToolOptions, type NodeViewInput } from './tools.ts';
export { portForwardBisect, bisectVerdict, type BisectEvent, type BisectInput } from './bisect.ts';
export { runHelper, runHelperToEnd, HelperError, DEFAULT_IMAGE, DEFAULT_DEADLINE_SECONDS, HELPER_SELECTOR, type HelperEvent, type HelperOptions, type HelperSpec } from './runner.ts';
export { runEphemeral, EPHEMERAL_NOTE } from './ephemeral.ts';
export { deleteLive, installCleanupHandlers, livePods, sweepOrphans, RUN_ID } from './cleanup.ts';
export { helperOptions, withLadder } from './report.ts';
