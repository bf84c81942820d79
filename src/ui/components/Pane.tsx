// A bordered pane with a one-line title; its content gets `height - 3` rows.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export const PANE_CHROME = 3;

export function Pane({ title, right, focused, width, height, children }: { title: string; right?: string; focused: boolean; width: number; height: number; children: ReactNode }) {
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={focused ? 'cyan' : 'gray'} overflowY="hidden" flexShrink={0}>
      <Box height={1} overflowY="hidden">
        <Box flexGrow={1} overflowY="hidden">
          <Text wrap="truncate-end" bold color={focused ? 'cyan' : undefined}>
            {title}
          </Text>
        </Box>
        {right ? (
          <Box flexShrink={0} marginLeft={1}>
            <Text dimColor>{right}</Text>
          </Box>
        ) : null}
      </Box>
      {children}
    </Box>
  );
}
