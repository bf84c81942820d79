// Pure parsers for the output of the tools helper pods run (docs/PROBES.md).
export * from './traceroute.ts';
export * from './dig.ts';
export * from './curl.ts';
export * from './ipvsadm.ts';
export * from './iptables.ts';
export * from './ss.ts';
