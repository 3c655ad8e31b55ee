// Event reasons as upstream's pkg/kubelet/events: kubectl describe users,
// alerting rules and e2e suites match on these exact strings.

export const CreatedContainer = 'Created';
export const StartedContainer = 'Started';
export const FailedToCreateContainer = 'Failed';
export const FailedToStartContainer = 'Failed';
export const KillingContainer = 'Killing';
export const BackOffStartContainer = 'BackOff';
export const ExceededGracePeriod = 'ExceededGracePeriod';
export const FailedPostStartHook = 'FailedPostStartHook';
export const FailedPreStopHook = 'FailedPreStopHook';
export const DeadlineExceeded = 'DeadlineExceeded';

export const FailedToKillPod = 'FailedKillPod';
export const FailedToCreatePodContainer = 'FailedCreatePodContainer';

export const PullingImage = 'Pulling';
export const PulledImage = 'Pulled';
export const FailedToPullImage = 'Failed';
export const FailedToInspectImage = 'InspectFailed';
export const ErrImageNeverPullPolicy = 'ErrImageNeverPull';
export const BackOffPullImage = 'BackOff';

export const NodeReady = 'NodeReady';
export const NodeNotReady = 'NodeNotReady';
export const StartingKubelet = 'Starting';
export const KubeletSetupFailed = 'KubeletSetupFailed';
export const FailedMountVolume = 'FailedMount';
export const SuccessfulMountVolume = 'SuccessfulMountVolume';
export const NodeAllocatableEnforced = 'NodeAllocatableEnforced';
export const SandboxChanged = 'SandboxChanged';
export const FailedCreatePodSandBox = 'FailedCreatePodSandBox';
export const FailedStatusPodSandBox = 'FailedPodSandBoxStatus';

export const ContainerUnhealthy = 'Unhealthy';
export const ContainerProbeWarning = 'ProbeWarning';
export const FailedSync = 'FailedSync';
export const FailedValidation = 'FailedValidation';

/** Container waiting reasons (pkg/kubelet/container and images). */
export const ContainerCreating = 'ContainerCreating';
export const PodInitializing = 'PodInitializing';
export const CrashLoopBackOff = 'CrashLoopBackOff';
export const ErrImagePull = 'ErrImagePull';
export const ImagePullBackOff = 'ImagePullBackOff';
export const ErrImageNeverPull = 'ErrImageNeverPull';
export const InvalidImageName = 'InvalidImageName';
export const CreateContainerConfigError = 'CreateContainerConfigError';
export const CreateContainerError = 'CreateContainerError';
export const RunContainerError = 'RunContainerError';
export const PostStartHookError = 'PostStartHookError';
