// The parts of Docker Engine API (v1.41) payloads this runtime reads or
// writes. Docker's field names are kept as they are on the wire.

export interface DockerContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Created: number;
  State: string;
  Labels: Record<string, string> | null;
}

export interface DockerState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface DockerEndpointSettings {
  IPAddress?: string;
  GlobalIPv6Address?: string;
}

export interface DockerContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  State: DockerState;
  Config: {
    Image: string;
    Labels: Record<string, string> | null;
    Tty: boolean;
    Hostname: string;
  };
  HostConfig: {
    NetworkMode?: string;
    IpcMode?: string;
    PidMode?: string;
  };
  NetworkSettings?: {
    IPAddress?: string;
    GlobalIPv6Address?: string;
    Networks?: Record<string, DockerEndpointSettings>;
  };
  LogPath?: string;
}

export interface DockerImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
  Config: {
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
  } | null;
}

export interface DockerVersion {
  Version: string;
  ApiVersion: string;
}

export interface DockerExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
}

/** Docker's zero time ("0001-01-01T00:00:00Z") and missing values become 0. */
export function dockerTime(value: string | undefined): number {
  if (!value || value.startsWith('0001-01-01')) return 0;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : ms;
}
