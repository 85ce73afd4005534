/**
 * Who listens on a local TCP port, for a message a person can act on ("taken by pid 1234: node
 * …azurite.js"). Linux only (/proc/net/tcp* and each process's open sockets); elsewhere, or
 * when the owner cannot be read (another user's process), undefined.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function portOwner(port: number): { pid: number; command: string } | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; column 9 is the socket's inode.
      if (cols.length > 9 && cols[3] === '0A' && parseInt(cols[1].split(':')[1], 16) === port)
        inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of safeList('/proc').filter((p) => /^\d+$/.test(p))) {
    for (const fd of safeList(`/proc/${pid}/fd`)) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        return { pid: Number(pid), command: command.length > 160 ? `${command.slice(0, 157)}...` : command };
      }
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
