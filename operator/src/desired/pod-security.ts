import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

/** The "restricted" Pod Security Standard. */
export const restrictedPodSecurity: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const restrictedContainerSecurity: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};
