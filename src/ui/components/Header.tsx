// Header: context, server, namespace, target, live/paused, the clock (its own 1 s timer, so nothing else re-renders).
import { Box, Text } from 'ink';
import { memo, useEffect, useState } from 'react';
import type { ConnectionState } from '../../state/types.ts';
import { clock } from '../panes/rows.ts';
import { safe } from '../rows.ts';

export interface HeaderInfo {
  context?: string;
  server?: string;
  namespace?: string;
  target?: string;
}

function Clock({ now }: { now?: () => number }) {
  const [t, setT] = useState(() => (now ?? Date.now)());
  useEffect(() => {
    const h = setInterval(() => setT((now ?? Date.now)()), 1000);
    return () => clearInterval(h);
  }, [now]);
  return <Text>{clock(t)}</Text>;
}

const CONN: Record<ConnectionState, { t: string; c: string }> = {
  connecting: { t: '… connecting', c: 'yellow' },
  connected: { t: '● live', c: 'green' },
  reconnecting: { t: '⟳ reconnecting', c: 'yellow' },
  lost: { t: '✗ connection lost', c: 'red' },
};

export const Header = memo(function Header({ info, paused, connection, diagnosing, width, now }: { info: HeaderInfo; paused: boolean; connection: ConnectionState; diagnosing: boolean; width: number; now?: () => number }) {
  const live = paused ? { t: '❚❚ paused', c: 'yellow' } : CONN[connection];
  return (
    <Box width={width} height={1} overflowY="hidden">
      <Box flexGrow={1} overflowY="hidden">
        <Text wrap="truncate-end">
          <Text bold color="cyan">netpath</Text>
          {info.context ? <Text> ctx <Text bold>{safe(info.context, 80)}</Text></Text> : null}
          {info.server ? <Text dimColor> {safe(info.server, 80)}</Text> : null}
          {info.namespace ? <Text> ns <Text bold>{safe(info.namespace, 80)}</Text></Text> : null}
          {info.target ? <Text> target <Text bold>{safe(info.target, 120)}</Text></Text> : null}
        </Text>
      </Box>
      <Box flexShrink={0}>
        <Text>
          {diagnosing ? <Text color="cyan">diagnosing… </Text> : null}
          <Text color={live.c}>{live.t}</Text> <Clock {...(now ? { now } : {})} />
        </Text>
      </Box>
    </Box>
  );
});
