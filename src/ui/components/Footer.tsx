// Footer: the prompt while typing a filter or command, else a flash message, else the focused pane's key hints.
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Mode } from '../state.ts';

export const Footer = memo(function Footer({ mode, prompt, flash, hints, width }: { mode: Mode; prompt: string; flash?: string; hints: [string, string][]; width: number }) {
  let body;
  if (mode !== 'normal')
    body = (
      <Text wrap="truncate-start">
        <Text color="cyan" bold>{mode === 'filter' ? '/' : ':'}</Text>
        {prompt}
        <Text inverse> </Text>
      </Text>
    );
  else if (flash) body = <Text wrap="truncate-end" color="yellow">{flash}</Text>;
  else
    body = (
      <Text wrap="truncate-end">
        {hints.map(([k, h], i) => (
          <Text key={i}>
            <Text color="cyan" bold>{k}</Text>
            <Text dimColor> {h}  </Text>
          </Text>
        ))}
      </Text>
    );
  return (
    <Box width={width} height={1} overflowY="hidden">
      {body}
    </Box>
  );
});
