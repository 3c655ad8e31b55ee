// io.k8s.api.storage.v1: protobuf field number → JSON property, from the Go structs' protobuf tags.
// See ./table.ts for the notation (a trailing "!" keeps a zero value; "..." inlines a struct).

import type { PackageFields } from './table.js';

export const STORAGE_V1: PackageFields = {
  package: 'io.k8s.api.storage.v1',
  types: {
    CSIDriver: { 1: 'metadata', 2: 'spec' },
    CSIDriverList: { 1: 'metadata', 2: 'items' },
    CSIDriverSpec: {
      1: 'attachRequired!', 2: 'podInfoOnMount!', 3: 'volumeLifecycleModes', 4: 'storageCapacity!', 5: 'fsGroupPolicy!',
      6: 'tokenRequests', 7: 'requiresRepublish!', 8: 'seLinuxMount!', 9: 'nodeAllocatableUpdatePeriodSeconds!',
    },
    CSINode: { 1: 'metadata', 2: 'spec' },
    CSINodeDriver: { 1: 'name!', 2: 'nodeID!', 3: 'topologyKeys', 4: 'allocatable' },
    CSINodeList: { 1: 'metadata', 2: 'items' },
    CSINodeSpec: { 1: 'drivers' },
    CSIStorageCapacity: {
      1: 'metadata', 2: 'nodeTopology', 3: 'storageClassName!', 4: 'capacity', 5: 'maximumVolumeSize',
    },
    CSIStorageCapacityList: { 1: 'metadata', 2: 'items' },
    StorageClass: {
      1: 'metadata', 2: 'provisioner!', 3: 'parameters', 4: 'reclaimPolicy!', 5: 'mountOptions',
      6: 'allowVolumeExpansion!', 7: 'volumeBindingMode!', 8: 'allowedTopologies',
    },
    StorageClassList: { 1: 'metadata', 2: 'items' },
    TokenRequest: { 1: 'audience!', 2: 'expirationSeconds!' },
    VolumeAttachment: { 1: 'metadata', 2: 'spec', 3: 'status' },
    VolumeAttachmentList: { 1: 'metadata', 2: 'items' },
    VolumeAttachmentSource: { 1: 'persistentVolumeName!', 2: 'inlineVolumeSpec' },
    VolumeAttachmentSpec: { 1: 'attacher!', 2: 'source', 3: 'nodeName!' },
    VolumeAttachmentStatus: { 1: 'attached!', 2: 'attachmentMetadata', 3: 'attachError', 4: 'detachError' },
    VolumeAttributesClass: { 1: 'metadata', 2: 'driverName!', 3: 'parameters' },
    VolumeAttributesClassList: { 1: 'metadata', 2: 'items' },
    VolumeError: { 1: 'time', 2: 'message', 3: 'errorCode!' },
    VolumeNodeResources: { 1: 'count!' },
  },
};
